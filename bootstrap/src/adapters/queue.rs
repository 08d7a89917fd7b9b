//! The purchase queue: JetStream when configured, else a table in the node's database. Calls
//! are boxed for the same reason as the gate's (see `gate.rs`).

use std::time::Duration;

use seckiller_domain::Purchase;
use seckiller_domain::ports::{Delivery, DeliveryReceipt, PurchaseFeed, PurchaseQueue, QueueError};
use seckiller_nats::JetStreamPurchaseQueue;
use seckiller_persistence::SqlitePurchaseQueue;

/// The configured purchase queue.
pub enum QueueAdapter {
    /// A table in the node's own database: the embedded default, one node only.
    Database(SqlitePurchaseQueue),
    /// NATS JetStream: shared by every node.
    JetStream(Box<JetStreamPurchaseQueue>),
}

impl PurchaseQueue for QueueAdapter {
    async fn publish(&self, purchase: &Purchase) -> Result<(), QueueError> {
        match self {
            Self::Database(q) => q.publish(purchase).await,
            Self::JetStream(q) => Box::pin(q.publish(purchase)).await,
        }
    }
}

impl PurchaseFeed for QueueAdapter {
    async fn fetch(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        match self {
            Self::Database(q) => q.fetch(max, wait).await,
            Self::JetStream(q) => Box::pin(q.fetch(max, wait)).await,
        }
    }

    async fn ack(&self, receipts: &[DeliveryReceipt]) -> Result<(), QueueError> {
        match self {
            Self::Database(q) => q.ack(receipts).await,
            Self::JetStream(q) => Box::pin(q.ack(receipts)).await,
        }
    }

    async fn dead_letter(&self, receipt: DeliveryReceipt, reason: &str) -> Result<(), QueueError> {
        match self {
            Self::Database(q) => q.dead_letter(receipt, reason).await,
            Self::JetStream(q) => Box::pin(q.dead_letter(receipt, reason)).await,
        }
    }

    async fn lag(&self) -> Result<u64, QueueError> {
        match self {
            Self::Database(q) => q.lag().await,
            Self::JetStream(q) => Box::pin(q.lag()).await,
        }
    }
}
