//! The expiry sweeper: every node runs it. Each pass claims overdue unpaid orders in the database
//! (claims of concurrent nodes never overlap), expires them with their stock moved held →
//! available in the same transaction, then returns that stock to the gate and announces the
//! restock. The database decides; the gate and the announcement follow through the outbox.

use seckiller_domain::ports::chain;
use std::sync::Arc;

use seckiller_domain::ports::{Clock, OrderRepository};

use crate::stock_returns::{ReleaseReport, StockReturns};
use crate::{Adapters, Unavailable};

/// What one sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Orders this pass expired.
    pub expired: usize,
    /// The stock returns that followed (this pass's expiries and any left over from before).
    pub release: ReleaseReport,
}

/// Expires overdue orders.
pub struct Sweeper<A: Adapters> {
    adapters: Arc<A>,
    returns: StockReturns<A>,
    batch: u32,
}

impl<A: Adapters> Sweeper<A> {
    /// A sweeper claiming at most `batch` orders per pass.
    pub fn new(adapters: Arc<A>, returns: StockReturns<A>, batch: u32) -> Self {
        Self {
            adapters,
            returns,
            batch: batch.max(1),
        }
    }

    /// One pass: expire what is due, then release it and any earlier cancellation whose stock is
    /// not back in the gate yet.
    ///
    /// # Errors
    /// `Unavailable` when storage fails; the gate or provider failing only postpones releases.
    pub async fn run_once(&self) -> Result<SweepReport, Unavailable> {
        let a = &self.adapters;
        let expired = a.orders().expire_due(a.clock().now(), self.batch).await?;
        let mut release = match self.returns.release(&expired).await {
            Ok(report) => report,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "expired stock not yet returned to the gate");
                ReleaseReport::default()
            }
        };
        if release.released == expired.len() {
            let backlog = self.returns.release_pending(self.batch).await?;
            release.released += backlog.released;
            release.returned_to_gate += backlog.returned_to_gate;
            release.refunded += backlog.refunded;
            release.restocked.extend(backlog.restocked);
        }
        Ok(SweepReport {
            expired: expired.len(),
            release,
        })
    }
}

#[cfg(test)]
mod tests;
