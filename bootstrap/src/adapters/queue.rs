//! The purchase queue: JetStream when configured, else a table in the node's database. Calls
//! are boxed for the same reason as the gate's (see `gate.rs`). JetStream calls run under the
//! NATS guard: a dead server costs a publish its deadline once, then the breaker refuses at once.

use std::time::Duration;

use seckiller_domain::ports::{
    Delivery, DeliveryReceipt, PublishError, PublishOutlook, PurchaseFeed, PurchaseQueue,
    QueueError,
};
use seckiller_domain::{ActivityId, Purchase};
use seckiller_nats::JetStreamPurchaseQueue;
use seckiller_persistence::SqlitePurchaseQueue;
use seckiller_resilience::{Breaker, FailureMemory, Guarded};

use super::guard::DependencyGuard;
use super::traced::{ok_or_error, traced};

/// Extra time the queue's background calls (fetch, ack, lag) get over the publish deadline: they
/// keep no buyer waiting, and cutting them short under load would open the breaker for nothing.
const BACKGROUND_EXTRA: Duration = Duration::from_secs(4);

/// The configured purchase queue.
pub enum QueueAdapter {
    /// A table in the node's own database: the embedded default, one node only.
    Database(SqlitePurchaseQueue),
    /// NATS JetStream: shared by every node.
    JetStream {
        /// The queue.
        queue: Box<JetStreamPurchaseQueue>,
        /// Its breaker and deadline.
        guard: DependencyGuard,
        /// How long after a failed publish an empty gate is not yet called sold out: until the
        /// reconciler has settled the stock such publishes left taken.
        settle: Duration,
        /// When a publish last failed.
        publish_failures: FailureMemory,
    },
}

impl QueueAdapter {
    /// The queue's breaker, when it has one.
    pub fn breaker(&self) -> Option<&std::sync::Arc<Breaker>> {
        match self {
            Self::Database(_) => None,
            Self::JetStream { guard, .. } => Some(guard.breaker()),
        }
    }
}

impl QueueAdapter {
    /// Asks the queue's server to answer, under its guard; `None` for the queue in the
    /// database.
    pub async fn ping(&self) -> Option<Result<(), QueueError>> {
        match self {
            Self::Database(_) => None,
            Self::JetStream { .. } => Some(self.lag().await.map(drop)),
        }
    }
}

impl PurchaseQueue for QueueAdapter {
    async fn publish(&self, purchase: &Purchase) -> Result<(), PublishError> {
        let call = Box::pin(self.publish_guarded(purchase));
        let outcome = |r: &Result<(), PublishError>| match r {
            Ok(()) => "stored",
            Err(PublishError::NotStored(_)) => "not_stored",
            Err(PublishError::Unconfirmed(_)) => "unconfirmed",
        };
        traced("queue.publish", Some(purchase.activity_id), call, outcome).await
    }

    fn outlook(&self) -> PublishOutlook {
        self.publish_outlook()
    }
}

impl QueueAdapter {
    async fn publish_guarded(&self, purchase: &Purchase) -> Result<(), PublishError> {
        match self {
            Self::Database(q) => q.publish(purchase).await,
            Self::JetStream {
                queue,
                guard,
                publish_failures,
                ..
            } => {
                let outcome = guard
                    .guarded(Duration::ZERO, Box::pin(queue.publish(purchase)))
                    .await;
                if outcome.is_err() {
                    publish_failures.record();
                }
                match outcome {
                    Ok(()) => Ok(()),
                    Err(Guarded::Failed(e)) => Err(e),
                    // Refused before anything was sent.
                    Err(e @ Guarded::Refused { .. }) => {
                        Err(PublishError::not_stored(e.to_string()))
                    }
                    // Sent, and the answer is late or no longer awaited: it may be stored.
                    Err(e @ (Guarded::TimedOut { .. } | Guarded::Abandoned { .. })) => {
                        Err(PublishError::unconfirmed(e.to_string()))
                    }
                }
            }
        }
    }

    fn publish_outlook(&self) -> PublishOutlook {
        match self {
            Self::Database(_) => PublishOutlook::Ready,
            Self::JetStream {
                queue,
                guard,
                settle,
                publish_failures,
            } => {
                if !queue.is_connected() || !guard.breaker().accepting() {
                    PublishOutlook::Down
                } else if publish_failures.within(*settle) {
                    PublishOutlook::Recovering
                } else {
                    PublishOutlook::Ready
                }
            }
        }
    }
}

impl PurchaseFeed for QueueAdapter {
    async fn fetch(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        let call = async {
            match self {
                Self::Database(q) => q.fetch(max, wait).await,
                Self::JetStream { queue, guard, .. } => {
                    guard
                        .run(wait + BACKGROUND_EXTRA, Box::pin(queue.fetch(max, wait)))
                        .await
                }
            }
        };
        traced("queue.fetch", None, call, ok_or_error).await
    }

    async fn ack(&self, receipts: &[DeliveryReceipt]) -> Result<(), QueueError> {
        let call = async {
            match self {
                Self::Database(q) => q.ack(receipts).await,
                Self::JetStream { queue, guard, .. } => {
                    guard
                        .run(BACKGROUND_EXTRA, Box::pin(queue.ack(receipts)))
                        .await
                }
            }
        };
        traced("queue.ack", None, call, ok_or_error).await
    }

    async fn retry_later(
        &self,
        receipts: &[DeliveryReceipt],
        delay: Duration,
    ) -> Result<(), QueueError> {
        match self {
            Self::Database(q) => q.retry_later(receipts, delay).await,
            Self::JetStream { queue, guard, .. } => {
                guard
                    .run(Duration::ZERO, Box::pin(queue.retry_later(receipts, delay)))
                    .await
            }
        }
    }

    async fn dead_letter(&self, receipt: DeliveryReceipt, reason: &str) -> Result<(), QueueError> {
        match self {
            Self::Database(q) => q.dead_letter(receipt, reason).await,
            Self::JetStream { queue, guard, .. } => {
                guard
                    .run(Duration::ZERO, Box::pin(queue.dead_letter(receipt, reason)))
                    .await
            }
        }
    }

    async fn lag_of(&self, activity: ActivityId) -> Result<u64, QueueError> {
        match self {
            Self::Database(q) => q.lag_of(activity).await,
            Self::JetStream { queue, guard, .. } => {
                guard
                    .run(BACKGROUND_EXTRA, Box::pin(queue.lag_of(activity)))
                    .await
            }
        }
    }

    async fn lag(&self) -> Result<u64, QueueError> {
        match self {
            Self::Database(q) => q.lag().await,
            Self::JetStream { queue, guard, .. } => {
                guard.run(BACKGROUND_EXTRA, Box::pin(queue.lag())).await
            }
        }
    }
}
