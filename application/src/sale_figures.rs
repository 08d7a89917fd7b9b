//! The figures of every live sale, for the node's metrics: its stock in the database and the
//! gate, whether it is open and preheated, whether its books balance, and its own backlog in the
//! queue. A sale counts as live from its publication until `retention` after its end, so a
//! dashboard still shows how a sale closed; cancelled sales and drafts are not live.

use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ports::{ActivityRepository, Clock, PurchaseFeed};
use seckiller_domain::{ActivityId, ActivityState};

use crate::ledger_check::LedgerCheck;
use crate::{Adapters, Unavailable};

/// How many sales one read looks at (newest first, as the repository lists them).
const SCAN: u32 = 500;

/// One live sale's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleFigure {
    /// The sale.
    pub id: ActivityId,
    /// Published and inside its window (open, or sold out).
    pub open: bool,
    /// Stock the sale has.
    pub total: u32,
    /// Available in the database.
    pub available: u32,
    /// Held by orders awaiting payment.
    pub held: u32,
    /// Paid for.
    pub sold: u32,
    /// Available in the gate; `None` when the gate does not hold the sale.
    pub gate: Option<u32>,
    /// Accepted purchases of this sale not yet written as orders.
    pub queue_lag: u64,
    /// The database's books balance: `total = available + held + sold`, held is what pending
    /// orders hold and sold what paid ones hold (see [`crate::ledger_check`]). The gate is not
    /// part of it: compare `gate` with `available` once `queue_lag` is zero.
    pub balanced: bool,
}

/// Reads the live sales' figures.
pub struct SaleFigures<A: Adapters> {
    adapters: Arc<A>,
    retention: Duration,
}

impl<A: Adapters> SaleFigures<A> {
    /// Figures of sales published and not ended longer than `retention` ago.
    pub fn new(adapters: Arc<A>, retention: Duration) -> Self {
        Self {
            adapters,
            retention,
        }
    }

    /// The figures of every live sale.
    ///
    /// # Errors
    /// `Unavailable` when storage, the gate or the queue fails.
    pub async fn read(&self) -> Result<Vec<SaleFigure>, Unavailable> {
        let a = &self.adapters;
        let now = a.clock().now();
        let books = LedgerCheck::new(a.clone());
        let mut figures = Vec::new();
        for record in a.activities().list(false, SCAN, 0).await? {
            let activity = &record.activity;
            if activity.state != ActivityState::Published
                || activity.window.has_ended(now - self.retention)
            {
                continue;
            }
            let lag = a.queue().lag_of(activity.id).await?;
            let report = books.report(&record, lag).await?;
            figures.push(SaleFigure {
                id: activity.id,
                open: activity.window.has_started(now) && !activity.window.has_ended(now),
                total: report.total,
                available: report.available,
                held: report.held,
                sold: report.sold,
                gate: report.gate_available,
                queue_lag: lag,
                balanced: report.books_balance(),
            });
        }
        Ok(figures)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use super::*;
    use crate::testing::{buyer, sale};

    #[tokio::test]
    async fn a_live_sale_shows_its_stock_in_the_gate_and_the_database_and_its_backlog() {
        let sale = sale(10, 2).await;
        let figures = SaleFigures::new(sale.adapters.clone(), Duration::minutes(10));
        sale.attempt(&buyer(), 2).await.unwrap();
        let [before] = figures.read().await.unwrap().try_into().unwrap();
        assert_eq!(before.id, sale.activity);
        assert!(before.open);
        assert_eq!(
            (
                before.total,
                before.available,
                before.gate,
                before.queue_lag
            ),
            (10, 10, Some(8), 1)
        );
        assert!(
            before.balanced,
            "the gate is not compared while purchases are queued"
        );
        sale.writer
            .write_batch(10, StdDuration::ZERO)
            .await
            .unwrap();
        let [after] = figures.read().await.unwrap().try_into().unwrap();
        assert_eq!(
            (after.available, after.held, after.gate, after.queue_lag),
            (8, 2, Some(8), 0)
        );
        assert!(after.balanced);
    }

    #[tokio::test]
    async fn a_sale_is_no_longer_live_past_its_retention() {
        let sale = sale(10, 2).await;
        let none = SaleFigures::new(sale.adapters.clone(), Duration::minutes(10));
        sale.adapters.clock.advance(Duration::days(3));
        assert_eq!(none.read().await.unwrap(), Vec::new());
    }
}
