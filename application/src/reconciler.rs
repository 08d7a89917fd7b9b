//! The reconciler: finds accepted purchases that never became orders because the node that took
//! their stock died before publishing them (between the gate call and the publish), and publishes
//! them again once they are older than a grace period, so their buyers still get their orders.
//! The purchase id is the message id and the order key, so publishing twice is harmless.
//!
//! It also gives back gate holdings whose purchase the database refused or whose order was
//! cancelled while the gate was being rebuilt. It only looks when the queue is drained and the
//! gate holds less than the database says is available.
//!
//! The other way round — the gate shows more than the database once every purchase is written —
//! the gate lost takes (it came back from an older snapshot, or a lagging replica took over):
//! it is distrusted, and the next purchase loads the sale afresh from the database.

use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ports::ActivityRecord;
use seckiller_domain::ports::{
    ActivityRepository, Clock, OrderRepository, PurchaseFeed, PurchaseQueue, StockGate,
};
use seckiller_domain::{ActivityState, OrderStatus, Purchase, PurchaseId};

use crate::{Adapters, Unavailable};

/// How many activities one pass looks at.
const SCAN: u32 = 500;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// False when the queue still held purchases, so nothing was compared.
    pub drained: bool,
    /// Activities whose gate held less than the database.
    pub mismatched: usize,
    /// Activities whose gate showed more stock than the database and was distrusted.
    pub distrusted: usize,
    /// Purchases published again.
    pub republished: Vec<PurchaseId>,
    /// Gate holdings given back because the database refused or cancelled them.
    pub returned: usize,
}

/// Mends the gate against the database.
pub struct Reconciler<A: Adapters> {
    adapters: Arc<A>,
    grace: Duration,
}

impl<A: Adapters> Reconciler<A> {
    /// A reconciler that leaves purchases younger than `grace` alone (their publish may still be
    /// in flight).
    pub fn new(adapters: Arc<A>, grace: Duration) -> Self {
        Self { adapters, grace }
    }

    /// One pass over the selling activities.
    ///
    /// # Errors
    /// `Unavailable` when storage, the gate or the queue fails.
    pub async fn run_once(&self) -> Result<ReconcileReport, Unavailable> {
        let a = &self.adapters;
        let mut report = ReconcileReport::default();
        if a.queue().lag().await? > 0 {
            return Ok(report);
        }
        report.drained = true;
        let now = a.clock().now();
        for record in a.activities().list(false, SCAN, 0).await? {
            let activity = &record.activity;
            if activity.state != ActivityState::Published || !activity.window.has_started(now) {
                continue;
            }
            if self.gate_lost_takes(&record).await? {
                report.distrusted += 1;
                continue;
            }
            if self.mend(&record, &mut report).await? {
                report.mismatched += 1;
            }
        }
        Ok(report)
    }

    /// True when the gate shows more stock than the database while the database stood still
    /// (read before and after the gate): stock only goes back to the gate after the database
    /// took it back, and takes only lower the gate, so that gate lost takes. It is distrusted.
    async fn gate_lost_takes(&self, record: &ActivityRecord) -> Result<bool, Unavailable> {
        let a = &self.adapters;
        let id = record.activity.id;
        let before = record.stock.available();
        let Some(in_gate) = a.gate().available(id).await? else {
            return Ok(false);
        };
        if in_gate <= before {
            return Ok(false);
        }
        let after = a.activities().by_id(id).await?.map(|r| r.stock.available());
        if after != Some(before) || a.queue().lag().await? > 0 {
            return Ok(false);
        }
        let distrusted = a.gate().distrust(id).await?;
        if distrusted {
            tracing::warn!(activity = %id, in_gate, in_database = before, "the stock gate shows more than the database: it lost takes, so the sale is loaded afresh");
        } else {
            tracing::error!(activity = %id, in_gate, in_database = before, "the stock gate shows more than the database and cannot be reloaded");
        }
        Ok(distrusted)
    }

    /// Looks at one activity; true when its gate held less than the database.
    async fn mend(
        &self,
        record: &ActivityRecord,
        report: &mut ReconcileReport,
    ) -> Result<bool, Unavailable> {
        let a = &self.adapters;
        let id = record.activity.id;
        match a.gate().available(id).await? {
            Some(in_gate) if in_gate < record.stock.available() => {}
            _ => return Ok(false),
        }
        let cutoff = a.clock().now() - self.grace;
        for purchase in a.gate().holdings(id).await? {
            if purchase.accepted_at > cutoff {
                continue;
            }
            match self.fate(&purchase).await? {
                Fate::Live => {}
                Fate::Refused => {
                    if a.gate().give_back(&purchase).await? {
                        report.returned += 1;
                    }
                }
                Fate::Unknown => {
                    tracing::warn!(purchase = %purchase.id, "republishing a purchase that never reached the queue");
                    a.queue().publish(&purchase).await?;
                    report.republished.push(purchase.id);
                }
            }
        }
        Ok(true)
    }

    async fn fate(&self, purchase: &Purchase) -> Result<Fate, Unavailable> {
        let orders = self.adapters.orders();
        if let Some(order) = orders.by_purchase(purchase.id).await? {
            return Ok(match order.status {
                OrderStatus::Cancelled(_) => Fate::Refused,
                OrderStatus::PendingPayment | OrderStatus::Paid => Fate::Live,
            });
        }
        Ok(match orders.rejection(purchase.id).await? {
            Some(_) => Fate::Refused,
            None => Fate::Unknown,
        })
    }
}

/// What the database knows of a purchase the gate holds.
enum Fate {
    /// Its order holds the stock, as the gate does.
    Live,
    /// Rejected, or its order was cancelled: the gate must give the stock back.
    Refused,
    /// Never reached the database.
    Unknown,
}

#[cfg(test)]
mod tests;
