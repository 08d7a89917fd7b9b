//! A purchase queue in memory, for use-case tests: publish stores once per purchase id, fetch hands
//! out what is not in flight, ack removes. It never waits (a test drives it step by step).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seckiller_domain::ports::{
    Delivery, DeliveryReceipt, PublishError, PurchaseFeed, PurchaseQueue, QueueError,
};
use seckiller_domain::{ActivityId, Purchase, PurchaseId};

use crate::repositories::lock;

#[derive(Debug, Default)]
struct Inner {
    next: u64,
    seen: HashSet<PurchaseId>,
    queued: BTreeMap<u64, Purchase>,
    in_flight: HashSet<u64>,
    dead: Vec<(Purchase, String)>,
}

/// Purchases queued in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryPurchaseQueue(Arc<Mutex<Inner>>);

impl MemoryPurchaseQueue {
    /// Makes every in-flight delivery deliverable again, as an expired ack deadline would.
    pub fn redeliver_unacked(&self) {
        lock(&self.0).in_flight.clear();
    }

    /// Purchases moved to the dead-letter place, with their reasons.
    pub fn dead_letters(&self) -> Vec<(Purchase, String)> {
        lock(&self.0).dead.clone()
    }
}

impl PurchaseQueue for MemoryPurchaseQueue {
    async fn publish(&self, purchase: &Purchase) -> Result<(), PublishError> {
        let mut inner = lock(&self.0);
        if inner.seen.insert(purchase.id) {
            let seq = inner.next;
            inner.next += 1;
            inner.queued.insert(seq, purchase.clone());
        }
        Ok(())
    }
}

impl PurchaseFeed for MemoryPurchaseQueue {
    async fn fetch(&self, max: usize, _wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        let mut inner = lock(&self.0);
        let ready: Vec<(u64, Purchase)> = inner
            .queued
            .iter()
            .filter(|(seq, _)| !inner.in_flight.contains(seq))
            .take(max)
            .map(|(seq, p)| (*seq, p.clone()))
            .collect();
        inner.in_flight.extend(ready.iter().map(|(seq, _)| *seq));
        Ok(ready
            .into_iter()
            .map(|(seq, purchase)| Delivery::Purchase {
                purchase,
                receipt: DeliveryReceipt(seq),
            })
            .collect())
    }

    async fn ack(&self, receipts: &[DeliveryReceipt]) -> Result<(), QueueError> {
        let mut inner = lock(&self.0);
        for r in receipts {
            inner.queued.remove(&r.0);
            inner.in_flight.remove(&r.0);
        }
        Ok(())
    }

    async fn retry_later(
        &self,
        receipts: &[DeliveryReceipt],
        _delay: Duration,
    ) -> Result<(), QueueError> {
        let mut inner = lock(&self.0);
        for r in receipts {
            inner.in_flight.remove(&r.0);
        }
        Ok(())
    }

    async fn lag_of(&self, activity: ActivityId) -> Result<u64, QueueError> {
        let inner = lock(&self.0);
        let count = inner
            .queued
            .values()
            .filter(|p| p.activity_id == activity)
            .count();
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }

    async fn dead_letter(&self, receipt: DeliveryReceipt, reason: &str) -> Result<(), QueueError> {
        let mut inner = lock(&self.0);
        inner.in_flight.remove(&receipt.0);
        if let Some(p) = inner.queued.remove(&receipt.0) {
            inner.dead.push((p, reason.to_owned()));
        }
        Ok(())
    }

    async fn lag(&self) -> Result<u64, QueueError> {
        Ok(lock(&self.0).queued.len() as u64)
    }
}
