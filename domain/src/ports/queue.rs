//! The purchase queue: makes an accepted purchase durable before the buyer is told so, and feeds
//! the order writer. JetStream in production, a SQLite table embedded.

use std::future::Future;

use crate::purchase::Purchase;

/// The queue did not confirm the purchase as durable; the caller must give the stock back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("purchase queue unavailable: {0}")]
pub struct QueueError(pub String);

/// Durable hand-off of accepted purchases.
pub trait PurchaseQueue: Send + Sync + 'static {
    /// Returns once the purchase is durable; publishing the same purchase id twice stores it once.
    ///
    /// # Errors
    /// [`QueueError`] when durability was not confirmed.
    fn publish(&self, purchase: &Purchase) -> impl Future<Output = Result<(), QueueError>> + Send;
}
