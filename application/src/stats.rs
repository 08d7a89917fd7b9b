//! Sale statistics for admins: the database ledger next to the gate and the queue, so an operator
//! sees at a glance whether they agree.

use std::sync::Arc;

use seckiller_domain::ActivityId;

use crate::activities::GetActivityError;
use crate::ledger_check::LedgerCheck;
use crate::{Adapters, Admin};

/// One activity's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityStats {
    /// Stock the sale has.
    pub total: u32,
    /// Available according to the database ledger.
    pub available: u32,
    /// Held by orders awaiting payment.
    pub held: u32,
    /// Paid for.
    pub sold: u32,
    /// Available according to the gate; `None` when not loaded.
    pub gate_available: Option<u32>,
    /// Orders not cancelled, and the items in them.
    pub live_orders: u64,
    /// Items in those orders.
    pub live_items: u64,
    /// Accepted purchases not yet written as orders (all activities).
    pub queue_lag: u64,
    /// Broken stock invariants, in words (see [`crate::ledger_check`]); empty when balanced.
    pub problems: Vec<String>,
}

/// Computes sale statistics.
pub struct Stats<A: Adapters> {
    adapters: Arc<A>,
}

impl<A: Adapters> Clone for Stats<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
        }
    }
}

impl<A: Adapters> Stats<A> {
    /// Stats over these adapters.
    pub fn new(adapters: Arc<A>) -> Self {
        Self { adapters }
    }

    /// The numbers of one activity.
    ///
    /// # Errors
    /// [`GetActivityError::NotFound`], or `Unavailable` when storage, the gate or the queue fail.
    pub async fn of(
        &self,
        _admin: &Admin,
        id: ActivityId,
    ) -> Result<ActivityStats, GetActivityError> {
        let report = LedgerCheck::new(self.adapters.clone())
            .one(id)
            .await?
            .ok_or(GetActivityError::NotFound)?;
        Ok(ActivityStats {
            total: report.total,
            available: report.available,
            held: report.held,
            sold: report.sold,
            gate_available: report.gate_available,
            live_orders: report.orders.live_orders,
            live_items: report.orders.pending_items + report.orders.paid_items,
            queue_lag: report.queue_lag,
            problems: report.problems,
        })
    }
}
