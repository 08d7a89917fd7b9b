//! Moves of many orders at once in memory, and the outbox of stock owed back to the stock gate.
//! A batch is checked against the ledgers before anything changes, so it applies whole or not
//! at all, as the database adapter's transaction does.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{ActivityRecord, StorageError, UpdateActivityError};
use seckiller_domain::{Activity, ActivityId, Order, OrderId, OrderStatus};

use super::moves::{Destination, move_held};
use super::{Books, MemoryOrderRepository};
use crate::repositories::{lock, write_activity};

/// Whether `order` waits in the outbox until released: every cancelled or expired order (its
/// stock may be owed to the gate, a charge may be owed a refund).
fn awaits_release(order: &Order) -> bool {
    matches!(order.status, OrderStatus::Cancelled(_))
}

impl MemoryOrderRepository {
    pub(super) fn expire_due_now(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Order>, StorageError> {
        let mut books = lock(&self.books);
        let mut records = lock(&self.activities.0);
        let mut due: Vec<Order> = books
            .orders
            .values()
            .filter(|o| o.is_overdue(now))
            .cloned()
            .collect();
        due.sort_by_key(|o| (o.pay_deadline, o.id));
        due.truncate(limit as usize);
        for order in &mut due {
            order.expire(now).map_err(|e| {
                StorageError::from(format!("an overdue order would not expire: {e}"))
            })?;
        }
        release_all(&mut records, &due)?;
        store(&mut books, &due);
        Ok(due)
    }

    /// The sale's cancellation and its pending orders' in one step under both locks, as the
    /// database adapter's one transaction: a payment (which takes the same locks) comes wholly
    /// before or wholly after it.
    pub(super) fn cancel_sale_now(
        &self,
        activity: &Activity,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, UpdateActivityError> {
        let mut books = lock(&self.books);
        let mut records = lock(&self.activities.0);
        let before = records.get(&activity.id).cloned();
        write_activity(&mut records, activity, expected_version)?;
        let mut pending: Vec<Order> = books
            .orders
            .values()
            .filter(|o| o.activity_id == activity.id && o.status == OrderStatus::PendingPayment)
            .cloned()
            .collect();
        let cancelled = pending.iter_mut().try_for_each(|o| {
            o.cancel_by_admin(now)
                .map_err(|e| StorageError::from(format!("a pending order would not cancel: {e}")))
        });
        if let Err(e) = cancelled.and_then(|()| release_all(&mut records, &pending)) {
            // All or nothing, as the database's transaction: the sale is put back as it was.
            if let Some(before) = before {
                records.insert(activity.id, before);
            }
            return Err(e.into());
        }
        store(&mut books, &pending);
        Ok(pending.len() as u64)
    }

    /// Cancelled and expired orders not yet released, oldest cancellation first.
    pub(super) fn unreleased_now(&self, limit: u32) -> Vec<Order> {
        let books = lock(&self.books);
        let mut owed: Vec<Order> = books
            .orders
            .values()
            .filter(|o| awaits_release(o) && !books.released.contains(&o.id))
            .cloned()
            .collect();
        owed.sort_by_key(|o| (o.cancelled_at.or(o.expired_at), o.id));
        owed.truncate(limit as usize);
        owed
    }

    /// Only cancelled and expired orders are marked; a pending or paid order's id marks nothing.
    pub(super) fn mark_released_now(&self, ids: &[OrderId]) {
        let asked: HashSet<OrderId> = ids.iter().copied().collect();
        let mut books = lock(&self.books);
        let owed: Vec<OrderId> = books
            .orders
            .values()
            .filter(|o| asked.contains(&o.id) && awaits_release(o))
            .map(|o| o.id)
            .collect();
        books.released.extend(owed);
    }
}

/// Moves the items of `orders` held → available, per activity, all or nothing: the moves are
/// tried on copies of the ledgers, which replace the originals only when every one succeeded.
fn release_all(
    records: &mut HashMap<ActivityId, ActivityRecord>,
    orders: &[Order],
) -> Result<(), StorageError> {
    let mut per_activity: BTreeMap<ActivityId, u32> = BTreeMap::new();
    for order in orders {
        let items = per_activity.entry(order.activity_id).or_default();
        *items = items.saturating_add(order.quantity.get());
    }
    let mut changed: HashMap<ActivityId, ActivityRecord> = per_activity
        .keys()
        .filter_map(|id| records.get(id).map(|r| (*id, r.clone())))
        .collect();
    for (activity, quantity) in per_activity {
        move_held(&mut changed, activity, quantity, Destination::Available)?;
    }
    records.extend(changed);
    Ok(())
}

/// Writes moved orders back over their stored versions.
fn store(books: &mut Books, moved: &[Order]) {
    for order in moved {
        books.orders.insert(order.purchase_id, order.clone());
    }
}
