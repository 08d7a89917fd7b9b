//! The ledger check: proves the stock invariants per activity. In the database, `total =
//! available + held + sold`, held equals the items of pending orders and sold the items of paid
//! ones; and once the queue is drained, the gate's stock equals the database's available. Any
//! difference is named, for `seckiller check` and the admin stats.

use std::sync::Arc;

use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, OrderRepository, OrderTotals, PurchaseFeed, StockGate,
};
use seckiller_domain::{ActivityId, ActivityState};

use crate::{Adapters, Unavailable};

/// How many activities one check covers.
const SCAN: u32 = 10_000;

/// One activity's books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerReport {
    /// The activity.
    pub activity_id: ActivityId,
    /// Its headline, for people reading the report.
    pub title: String,
    /// Stock the sale has.
    pub total: u32,
    /// Available in the database.
    pub available: u32,
    /// Held by pending orders, per the ledger.
    pub held: u32,
    /// Sold, per the ledger.
    pub sold: u32,
    /// What the orders themselves add up to.
    pub orders: OrderTotals,
    /// Available in the gate; `None` when the gate does not hold the activity.
    pub gate_available: Option<u32>,
    /// Purchases still in the queue (all activities); the gate is compared only at zero.
    pub queue_lag: u64,
    /// Every broken invariant, in words; empty when the books balance.
    pub problems: Vec<String>,
}

impl LedgerReport {
    /// True when every invariant holds.
    pub fn balanced(&self) -> bool {
        self.problems.is_empty()
    }

    /// True when the database's own books balance — `total = available + held + sold`, held is
    /// what pending orders hold, sold what paid ones hold — whatever the gate shows.
    pub fn books_balance(&self) -> bool {
        let moved = u64::from(self.available) + u64::from(self.held) + u64::from(self.sold);
        moved == u64::from(self.total)
            && u64::from(self.held) == self.orders.pending_items
            && u64::from(self.sold) == self.orders.paid_items
    }
}

/// Checks the books.
pub struct LedgerCheck<A: Adapters> {
    adapters: Arc<A>,
}

impl<A: Adapters> Clone for LedgerCheck<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
        }
    }
}

impl<A: Adapters> LedgerCheck<A> {
    /// A check over these adapters.
    pub fn new(adapters: Arc<A>) -> Self {
        Self { adapters }
    }

    /// Every activity, drafts included.
    ///
    /// # Errors
    /// `Unavailable` when storage, the gate or the queue fails.
    pub async fn all(&self) -> Result<Vec<LedgerReport>, Unavailable> {
        let a = &self.adapters;
        let lag = a.queue().lag().await?;
        let mut reports = Vec::new();
        for record in a.activities().list(true, SCAN, 0).await? {
            reports.push(self.report(&record, lag).await?);
        }
        Ok(reports)
    }

    /// One activity; `None` when it is not stored.
    ///
    /// # Errors
    /// `Unavailable` when storage, the gate or the queue fails.
    pub async fn one(&self, id: ActivityId) -> Result<Option<LedgerReport>, Unavailable> {
        let a = &self.adapters;
        let lag = a.queue().lag().await?;
        match a.activities().by_id(id).await? {
            Some(record) => Ok(Some(self.report(&record, lag).await?)),
            None => Ok(None),
        }
    }

    /// The books of one stored activity, its gate compared with the database once `lag` (the
    /// queue's backlog that could still move it) is zero.
    pub(crate) async fn report(
        &self,
        record: &ActivityRecord,
        lag: u64,
    ) -> Result<LedgerReport, Unavailable> {
        let a = &self.adapters;
        let id = record.activity.id;
        let orders = a.orders().totals(id).await?;
        let gate_available = a.gate().available(id).await?;
        let stock = &record.stock;
        let mut problems = Vec::new();
        let moved =
            u64::from(stock.available()) + u64::from(stock.held()) + u64::from(stock.sold());
        if moved != u64::from(stock.total()) {
            problems.push(format!(
                "total {} but available + held + sold = {moved}",
                stock.total()
            ));
        }
        if u64::from(stock.held()) != orders.pending_items {
            problems.push(format!(
                "ledger holds {} but pending orders hold {}",
                stock.held(),
                orders.pending_items
            ));
        }
        if u64::from(stock.sold()) != orders.paid_items {
            problems.push(format!(
                "ledger sold {} but paid orders hold {}",
                stock.sold(),
                orders.paid_items
            ));
        }
        let selling = record.activity.state == ActivityState::Published;
        if let Some(in_gate) =
            gate_available.filter(|g| selling && lag == 0 && *g != stock.available())
        {
            problems.push(format!(
                "gate has {in_gate} available but the database {} (queue drained)",
                stock.available()
            ));
        }
        Ok(LedgerReport {
            activity_id: id,
            title: record.activity.title.as_str().to_owned(),
            total: stock.total(),
            available: stock.available(),
            held: stock.held(),
            sold: stock.sold(),
            orders,
            gate_available,
            queue_lag: lag,
            problems,
        })
    }
}

#[cfg(test)]
mod tests;
