//! The order writer: turns accepted purchases from the queue into orders, a batch per
//! transaction, acknowledging only after the commit. Delivery is at-least-once and the purchase id
//! is unique across orders, so every accepted purchase becomes exactly one order.

use seckiller_domain::ports::chain;
use std::sync::Arc;
use std::time::{Duration, Instant};

use seckiller_domain::ports::{
    Clock, Delivery, DeliveryReceipt, IdSource, OrderRepository, PurchaseFeed, RecordOutcome,
};
use seckiller_domain::{Order, OrderId, PurchaseId};

use crate::activity_cache::ActivityCache;
use crate::{Adapters, Unavailable};

/// How soon a batch that could not be written is delivered again: soon after the database
/// returns, without spinning while it is away.
pub const RETRY_DELAY: Duration = Duration::from_millis(500);

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Purchases that became orders now.
    pub created: Vec<PurchaseId>,
    /// Purchases whose order already existed (redeliveries).
    pub duplicates: usize,
    /// Purchases the database could not cover (reported to their buyers).
    pub rejected: Vec<PurchaseId>,
    /// Unreadable messages moved to the dead-letter place.
    pub dead_lettered: usize,
    /// How long writing the orders and acknowledging them took; `None` when there were none.
    pub writing: Option<Duration>,
}

impl BatchReport {
    /// Deliveries handled in the batch.
    pub fn handled(&self) -> usize {
        self.created.len() + self.duplicates + self.rejected.len() + self.dead_lettered
    }
}

/// Writes orders from the purchase feed.
pub struct OrderWriter<A: Adapters> {
    adapters: Arc<A>,
    cache: ActivityCache,
}

impl<A: Adapters> Clone for OrderWriter<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            cache: self.cache.clone(),
        }
    }
}

impl<A: Adapters> OrderWriter<A> {
    /// A writer over these adapters.
    pub fn new(adapters: Arc<A>, cache: ActivityCache) -> Self {
        Self { adapters, cache }
    }

    /// Fetches up to `max` purchases (waiting at most `wait` for the first), records their orders
    /// in one transaction, then acknowledges them. On a failure nothing is acknowledged and the
    /// batch is handed back to come again after [`RETRY_DELAY`], not after the ack deadline.
    ///
    /// An order's payment deadline counts from when it is written, not from the purchase: a
    /// buyer never loses paying time to the service's own delay (a queue backlog, a database
    /// outage).
    ///
    /// # Errors
    /// `Unavailable` when the queue or storage fails.
    pub async fn write_batch(
        &self,
        max: usize,
        wait: Duration,
    ) -> Result<BatchReport, Unavailable> {
        let a = &self.adapters;
        let deliveries = a.queue().fetch(max, wait).await?;
        let handed_out: Vec<DeliveryReceipt> = deliveries.iter().map(Delivery::receipt).collect();
        let written = self.write(deliveries).await;
        if written.is_err() && !handed_out.is_empty() {
            // Settled ones (dead-lettered) are unknown to the queue by now and skipped.
            if let Err(e) = a.queue().retry_later(&handed_out, RETRY_DELAY).await {
                tracing::debug!(error = %chain(&e), "could not hand a failed batch back; it comes again after the ack deadline");
            }
        }
        written
    }

    async fn write(&self, deliveries: Vec<Delivery>) -> Result<BatchReport, Unavailable> {
        let a = &self.adapters;
        let queue_down = |e: seckiller_domain::ports::QueueError| Unavailable(e.0);
        let now = a.clock().now();
        let mut report = BatchReport::default();
        let mut orders = Vec::with_capacity(deliveries.len());
        let mut receipts: Vec<DeliveryReceipt> = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            match delivery {
                Delivery::Purchase { purchase, receipt } => {
                    match self.cache.get(a.activities(), purchase.activity_id).await? {
                        Some(activity) => {
                            let deadline =
                                purchase.accepted_at.max(now) + activity.payment_window.duration();
                            let id = OrderId::from_uuid(a.ids().next_id());
                            orders.push(Order::from_purchase(
                                id,
                                &purchase,
                                deadline,
                                purchase.accepted_at,
                            ));
                            receipts.push(receipt);
                        }
                        None => {
                            let reason =
                                format!("purchase {} names an unknown activity", purchase.id);
                            a.queue()
                                .dead_letter(receipt, &reason)
                                .await
                                .map_err(queue_down)?;
                            report.dead_lettered += 1;
                        }
                    }
                }
                Delivery::Poison { reason, receipt } => {
                    a.queue()
                        .dead_letter(receipt, &reason)
                        .await
                        .map_err(queue_down)?;
                    report.dead_lettered += 1;
                }
            }
        }
        if orders.is_empty() {
            return Ok(report);
        }
        let started = Instant::now();
        let outcomes = a.orders().record(&orders).await?;
        for (order, outcome) in orders.iter().zip(outcomes) {
            match outcome {
                RecordOutcome::Created => report.created.push(order.purchase_id),
                RecordOutcome::AlreadyRecorded => report.duplicates += 1,
                RecordOutcome::Rejected { reason } => {
                    tracing::error!(purchase = %order.purchase_id, %reason, "an accepted purchase was rejected by the database ledger");
                    report.rejected.push(order.purchase_id);
                }
            }
        }
        a.queue().ack(&receipts).await.map_err(queue_down)?;
        report.writing = Some(started.elapsed());
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
