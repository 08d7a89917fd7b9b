//! Paying and cancelling one order in memory: the domain's own transition decides whether the
//! order may move (pending, and for payment before its deadline), and the order and its ledger
//! change together or not at all.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{ActivityRecord, MoveOutcome, StorageError};
use seckiller_domain::{ActivityId, ActivityState, CancelReason, Order, OrderError, OrderId};

use super::{Books, MemoryOrderRepository};
use crate::repositories::lock;

/// Where held items go when their order moves on.
#[derive(Debug, Clone, Copy)]
pub(super) enum Destination {
    /// Back to sale: the order was cancelled or expired.
    Available,
    /// Paid for.
    Sold,
}

/// Moves `quantity` held items of `activity` to `to`; nothing moves when too few are held.
///
/// # Errors
/// [`StorageError`] "ledger out of balance" when fewer than `quantity` items are held or the
/// activity is missing: orders and ledger disagree.
pub(super) fn move_held(
    records: &mut HashMap<ActivityId, ActivityRecord>,
    activity: ActivityId,
    quantity: u32,
    to: Destination,
) -> Result<(), StorageError> {
    let moved = records.get_mut(&activity).is_some_and(|r| match to {
        Destination::Available => r.stock.release(quantity).is_ok(),
        Destination::Sold => r.stock.confirm(quantity).is_ok(),
    });
    if moved {
        Ok(())
    } else {
        Err(StorageError::from(format!(
            "ledger out of balance: activity {activity} holds fewer than {quantity} items"
        )))
    }
}

impl MemoryOrderRepository {
    /// As the database adapter: an order of a cancelled sale is never paid; if still pending it
    /// is cancelled with its sale now and answered as refused. The sale's state is read under
    /// the same locks [`MemoryOrderRepository::cancel_sale_now`] holds, so the two take turns.
    pub(super) fn pay_now(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        let mut books = lock(&self.books);
        let mut records = lock(&self.activities.0);
        let called_off = books.by_id_mut(id).is_some_and(|o| {
            records
                .get(&o.activity_id)
                .is_some_and(|r| r.activity.state == ActivityState::Cancelled)
        });
        if called_off {
            let outcome = move_one(
                &mut books,
                &mut records,
                id,
                |o| o.cancel_by_admin(now),
                Destination::Available,
            )?;
            return Ok(match outcome {
                MoveOutcome::Moved(cancelled) => MoveOutcome::Refused(cancelled),
                outcome => outcome,
            });
        }
        move_one(
            &mut books,
            &mut records,
            id,
            |o| o.pay(now, payment_ref),
            Destination::Sold,
        )
    }

    pub(super) fn cancel_now(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        move_one(
            &mut lock(&self.books),
            &mut lock(&self.activities.0),
            id,
            |o| match reason {
                CancelReason::Expired => o.expire(now),
                CancelReason::ByBuyer => o.cancel_by_buyer(now),
                CancelReason::ByAdmin => o.cancel_by_admin(now),
            },
            Destination::Available,
        )
    }
}

fn move_one(
    books: &mut Books,
    records: &mut HashMap<ActivityId, ActivityRecord>,
    id: OrderId,
    transition: impl FnOnce(&mut Order) -> Result<(), OrderError>,
    to: Destination,
) -> Result<MoveOutcome, StorageError> {
    let Some(stored) = books.by_id_mut(id) else {
        return Ok(MoveOutcome::Missing);
    };
    let mut moved = stored.clone();
    if transition(&mut moved).is_err() {
        return Ok(MoveOutcome::Refused(stored.clone()));
    }
    move_held(records, moved.activity_id, moved.quantity.get(), to)?;
    *stored = moved.clone();
    Ok(MoveOutcome::Moved(moved))
}
