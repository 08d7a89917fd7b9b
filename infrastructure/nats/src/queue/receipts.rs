//! Deliveries handed out and not yet settled, by receipt. The order writer only sees
//! [`DeliveryReceipt`]s; the means to ack the message stay here until it is acked or
//! dead-lettered, or until it is so old that the server has long handed it out again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use seckiller_domain::ports::DeliveryReceipt;

/// Outstanding deliveries of one feed. Generic over what is kept so the bookkeeping is testable
/// without a server. The lock is only held for map operations, never across an await.
pub(super) struct Receipts<T> {
    next: AtomicU64,
    outstanding: Mutex<HashMap<DeliveryReceipt, Outstanding<T>>>,
}

struct Outstanding<T> {
    value: T,
    handed_out_at: Instant,
}

impl<T> Default for Receipts<T> {
    fn default() -> Self {
        Self {
            next: AtomicU64::new(1),
            outstanding: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Receipts<T> {
    /// Keeps `value` under a new receipt, never used before by this feed.
    pub(super) fn insert(&self, value: T) -> DeliveryReceipt {
        let receipt = DeliveryReceipt(self.next.fetch_add(1, Ordering::Relaxed));
        let entry = Outstanding {
            value,
            handed_out_at: Instant::now(),
        };
        self.lock().insert(receipt, entry);
        receipt
    }

    /// Removes and returns what `receipt` names; `None` for an unknown or already settled one.
    pub(super) fn take(&self, receipt: DeliveryReceipt) -> Option<T> {
        self.lock().remove(&receipt).map(|entry| entry.value)
    }

    /// [`take`](Self::take) for many receipts under one lock; unknown ones and repeats are
    /// skipped.
    pub(super) fn take_many(&self, receipts: &[DeliveryReceipt]) -> Vec<(DeliveryReceipt, T)> {
        let mut outstanding = self.lock();
        receipts
            .iter()
            .filter_map(|receipt| {
                outstanding
                    .remove(receipt)
                    .map(|entry| (*receipt, entry.value))
            })
            .collect()
    }

    /// Returns a taken value whose settlement failed, so a retry with the same receipt works.
    pub(super) fn put_back(&self, receipt: DeliveryReceipt, value: T) {
        let entry = Outstanding {
            value,
            handed_out_at: Instant::now(),
        };
        self.lock().insert(receipt, entry);
    }

    /// Drops entries handed out more than `age` ago and returns how many. Their messages have
    /// been delivered again by then, so nothing is lost, and a crashed or forgetful caller cannot
    /// make the map grow forever.
    pub(super) fn forget_older_than(&self, age: Duration) -> usize {
        let now = Instant::now();
        let mut outstanding = self.lock();
        let before = outstanding.len();
        outstanding.retain(|_, entry| now.duration_since(entry.handed_out_at) <= age);
        before - outstanding.len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<DeliveryReceipt, Outstanding<T>>> {
        // A panic elsewhere while holding the lock cannot leave the map half-updated (each
        // operation is a single map call), so a poisoned lock is still safe to use.
        self.outstanding
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_unique_and_settle_once() {
        let receipts = Receipts::default();
        let a = receipts.insert("a");
        let b = receipts.insert("b");
        assert_ne!(a, b);
        assert_eq!(receipts.take(a), Some("a"));
        assert_eq!(receipts.take(a), None);
        assert_eq!(
            receipts.take_many(&[a, b, b, DeliveryReceipt(999)]),
            vec![(b, "b")]
        );
    }

    #[test]
    fn a_value_put_back_can_be_taken_again() {
        let receipts = Receipts::default();
        let a = receipts.insert("a");
        let value = receipts.take(a).unwrap();
        receipts.put_back(a, value);
        assert_eq!(receipts.take(a), Some("a"));
    }

    #[test]
    fn old_entries_are_forgotten_and_young_ones_kept() {
        let receipts = Receipts::default();
        let a = receipts.insert("a");
        assert_eq!(receipts.forget_older_than(Duration::from_secs(60)), 0);
        assert_eq!(receipts.forget_older_than(Duration::ZERO), 1);
        assert_eq!(receipts.take(a), None);
    }
}
