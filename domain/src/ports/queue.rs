//! The purchase queue: makes an accepted purchase durable before the buyer is told so (publish),
//! and feeds the order writer (fetch, ack, dead-letter). JetStream in production, a SQLite table
//! embedded. Delivery is at-least-once; the purchase id makes the order exactly-once.

use std::future::Future;
use std::time::Duration;

use crate::ids::ActivityId;
use crate::ports::Cause;
use crate::purchase::Purchase;

/// The queue did not confirm the operation; for `publish`, the purchase is not durable and the
/// caller must give the stock back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("purchase queue unavailable")]
pub struct QueueError(#[source] pub Cause);

impl From<String> for QueueError {
    fn from(cause: String) -> Self {
        Self(Cause::from(cause))
    }
}

/// A publish that did not confirm durability, and whether the purchase may be stored anyway.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The purchase never reached the queue (not connected, refused at once): it is not stored,
    /// so its stock can go back at once.
    #[error("purchase queue refused the publish")]
    NotStored(#[source] Cause),
    /// The purchase was sent but its storage was not confirmed (a timeout, a lost connection):
    /// it may be stored. Its stock must stay taken until the reconciler settles it, or a later
    /// order would find the stock sold twice.
    #[error("purchase queue did not confirm the publish")]
    Unconfirmed(#[source] Cause),
}

impl PublishError {
    /// [`PublishError::NotStored`], for `cause`.
    pub fn not_stored(cause: impl Into<Cause>) -> Self {
        Self::NotStored(cause.into())
    }

    /// [`PublishError::Unconfirmed`], for `cause`.
    pub fn unconfirmed(cause: impl Into<Cause>) -> Self {
        Self::Unconfirmed(cause.into())
    }
}

/// How a publish would fare now, so the purchase path neither takes stock it cannot make
/// durable nor calls a sale sold out while taken stock may still come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutlook {
    /// Publishing works.
    Ready,
    /// Publishing works again (or still), but some failed lately: stock taken for them may still
    /// come back, so an empty gate is not yet a final "sold out".
    Recovering,
    /// The queue is unreachable: a publish now would fail; take nothing.
    Down,
}

/// An opaque handle naming one delivery, to acknowledge or dead-letter it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryReceipt(pub u64);

/// One message handed to the order writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A readable purchase.
    Purchase {
        /// The purchase.
        purchase: Purchase,
        /// Its handle.
        receipt: DeliveryReceipt,
    },
    /// A message that can never be processed (unreadable); it must be dead-lettered, not retried.
    Poison {
        /// Why it cannot be read.
        reason: String,
        /// Its handle.
        receipt: DeliveryReceipt,
    },
}

impl Delivery {
    /// The delivery's handle.
    pub fn receipt(&self) -> DeliveryReceipt {
        match self {
            Delivery::Purchase { receipt, .. } | Delivery::Poison { receipt, .. } => *receipt,
        }
    }
}

/// Durable hand-off of accepted purchases.
pub trait PurchaseQueue: Send + Sync + 'static {
    /// Returns once the purchase is durable; publishing the same purchase id again stores it once.
    ///
    /// # Errors
    /// [`PublishError`] when durability was not confirmed, saying whether it may be stored.
    fn publish(&self, purchase: &Purchase)
    -> impl Future<Output = Result<(), PublishError>> + Send;

    /// How a publish would fare now; answered from memory, without IO.
    fn outlook(&self) -> PublishOutlook {
        PublishOutlook::Ready
    }
}

/// The consuming side, shared by every node's order writer (one durable consumer).
pub trait PurchaseFeed: Send + Sync + 'static {
    /// Up to `max` deliveries, waiting at most `wait` for the first one. A delivery not
    /// acknowledged in time is delivered again.
    ///
    /// # Errors
    /// [`QueueError`] when the queue is unreachable.
    fn fetch(
        &self,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<Delivery>, QueueError>> + Send;

    /// Marks deliveries as done; they are not delivered again.
    ///
    /// # Errors
    /// [`QueueError`] when the queue is unreachable (the deliveries will come again).
    fn ack(
        &self,
        receipts: &[DeliveryReceipt],
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Moves a delivery that can never be processed to the dead-letter place, with `reason`, and
    /// removes it from the feed so it never blocks the ones behind it.
    ///
    /// # Errors
    /// [`QueueError`] when the queue is unreachable.
    fn dead_letter(
        &self,
        receipt: DeliveryReceipt,
        reason: &str,
    ) -> impl Future<Output = Result<(), QueueError>> + Send;

    /// Hands deliveries back to be delivered again after about `delay` (a batch whose orders
    /// could not be written), instead of leaving them until their ack deadline runs out. Without
    /// an implementation they simply come again after the ack deadline.
    ///
    /// # Errors
    /// [`QueueError`] when the queue is unreachable (they come again after the ack deadline).
    fn retry_later(
        &self,
        receipts: &[DeliveryReceipt],
        delay: Duration,
    ) -> impl Future<Output = Result<(), QueueError>> + Send {
        let _ = (receipts, delay);
        async { Ok(()) }
    }

    /// How many published purchases of `activity` are not yet acknowledged: what must drain
    /// before that sale's gate can be rebuilt from the database, whatever other sales' backlog.
    /// Without an implementation, the whole lag (a safe overcount).
    ///
    /// # Errors
    /// [`QueueError`] when the queue is unreachable.
    fn lag_of(&self, activity: ActivityId) -> impl Future<Output = Result<u64, QueueError>> + Send {
        let _ = activity;
        self.lag()
    }

    /// How many published purchases are not yet acknowledged (the order writer's lag).
    ///
    /// # Errors
    /// [`QueueError`] when the queue is unreachable.
    fn lag(&self) -> impl Future<Output = Result<u64, QueueError>> + Send;
}
