//! The consuming side: fetch a batch from the shared durable consumer, ack it after the orders
//! are committed, and report the backlog.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt;
use seckiller_domain::ActivityId;
use seckiller_domain::ports::{Delivery, DeliveryReceipt, PurchaseFeed, QueueError};

use super::JetStreamPurchaseQueue;
use crate::wire;

/// How many ack waits a handed-out delivery is remembered. Long after one ack wait the server has
/// delivered the message again, but a late ack still settles it, so keep it a while longer.
const RECEIPT_LIFETIME_IN_ACK_WAITS: u32 = 10;

/// A delivery awaiting its ack: the message (without its reply subject) and the means to ack it.
pub(super) struct Outstanding {
    pub(super) message: async_nats::Message,
    pub(super) acker: jetstream::message::Acker,
    pub(super) stream_sequence: u64,
    pub(super) deliveries: i64,
}

impl PurchaseFeed for JetStreamPurchaseQueue {
    /// One pull request for up to `max` messages. The server answers as soon as at least one is
    /// there (returning what is available, without waiting to fill the batch), or after `wait`
    /// with none.
    async fn fetch(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        self.ensure_connected()?;
        let forgotten = self.receipts.forget_older_than(
            self.settings
                .ack_wait
                .saturating_mul(RECEIPT_LIFETIME_IN_ACK_WAITS),
        );
        if forgotten > 0 {
            tracing::warn!(forgotten, "forgot deliveries never acked nor dead-lettered");
        }

        let mut request = self.consumer.fetch().max_messages(max);
        if !wait.is_zero() {
            request = request.expires(wait);
        }
        let mut batch = request.messages().await.map_err(|err| {
            QueueError::from(format!("fetch from {} failed: {err}", self.layout.stream()))
        })?;

        // The server ends the batch itself; this bound only matters if its answer is lost.
        let deadline = tokio::time::Instant::now() + wait + self.settings.request_timeout;
        let mut deliveries = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, batch.next()).await {
                Ok(None) => break,
                Ok(Some(Ok(message))) => deliveries.push(self.hand_out(message)),
                Ok(Some(Err(err))) if deliveries.is_empty() => {
                    return Err(QueueError::from(format!(
                        "fetch from {} failed: {err}",
                        self.layout.stream()
                    )));
                }
                Ok(Some(Err(err))) => {
                    tracing::warn!(%err, "fetch ended early; returning what arrived");
                    break;
                }
                Err(_elapsed) => {
                    tracing::warn!("fetch answer overdue; returning what arrived");
                    break;
                }
            }
        }
        Ok(deliveries)
    }

    /// Acks every delivery of the batch but the last without waiting, then the last confirmed
    /// by the server (double ack). The server applies one consumer's acks in the order they
    /// arrive on a connection, so once the last is confirmed every ack before it was applied:
    /// when this returns the deliveries are settled and the lag reflects it, for one round trip
    /// per batch instead of one per delivery. Unknown or already settled receipts are skipped.
    /// If the confirmation fails, every receipt of the batch stays valid for a retry: an ack
    /// that did arrive is settled already, and a delivery whose ack was lost comes again, which
    /// the order writer records once whatever happens.
    async fn ack(&self, receipts: &[DeliveryReceipt]) -> Result<(), QueueError> {
        let taken = self.receipts.take_many(receipts);
        let Some(((_, last), before)) = taken.split_last() else {
            return Ok(());
        };
        let mut sent = Ok(());
        for (_, outstanding) in before {
            sent = outstanding.acker.ack().await;
            if sent.is_err() {
                break;
            }
        }
        let confirmed = match sent {
            Ok(()) => last.acker.double_ack().await,
            Err(err) => Err(err),
        };
        let Err(err) = confirmed else {
            return Ok(());
        };
        let count = taken.len();
        for (receipt, outstanding) in taken {
            self.receipts.put_back(receipt, outstanding);
        }
        Err(QueueError::from(format!(
            "{count} acks not confirmed (they will be delivered again): {err}"
        )))
    }

    /// Negative acks with a delay: the server delivers them again after `delay` instead of after
    /// the ack wait. Receipts it cannot reach stay valid and come again after the ack wait.
    async fn retry_later(
        &self,
        receipts: &[DeliveryReceipt],
        delay: Duration,
    ) -> Result<(), QueueError> {
        let mut failed = None;
        for (receipt, outstanding) in self.receipts.take_many(receipts) {
            let sent = outstanding
                .acker
                .ack_with(jetstream::AckKind::Nak(Some(delay)))
                .await;
            if let Err(err) = sent {
                self.receipts.put_back(receipt, outstanding);
                failed = Some(err);
            }
        }
        match failed {
            None => Ok(()),
            Some(err) => Err(QueueError::from(format!(
                "negative acks not sent (the deliveries come again after the ack wait): {err}"
            ))),
        }
    }

    async fn dead_letter(&self, receipt: DeliveryReceipt, reason: &str) -> Result<(), QueueError> {
        self.dead_letter_delivery(receipt, reason).await
    }

    /// The sale's messages still in the stream (a work queue keeps exactly the unacked ones),
    /// plus any still on the subject every sale shared before, which may be the sale's.
    async fn lag_of(&self, activity: ActivityId) -> Result<u64, QueueError> {
        let mut counted = 0u64;
        for subject in [
            self.layout.purchase_subject_of(activity),
            self.layout.purchase_subject().to_owned(),
        ] {
            let mut subjects = self
                .stream
                .info_with_subjects(subject)
                .await
                .map_err(|err| {
                    QueueError::from(format!("cannot read the backlog of sale {activity}: {err}"))
                })?;
            while let Some(entry) = subjects.next().await {
                let (_, count) = entry.map_err(|err| {
                    QueueError::from(format!("cannot read the backlog of sale {activity}: {err}"))
                })?;
                counted = counted.saturating_add(u64::try_from(count).unwrap_or(u64::MAX));
            }
        }
        Ok(counted)
    }

    /// Messages not yet handed out plus those handed out and not acked.
    async fn lag(&self) -> Result<u64, QueueError> {
        let info = self
            .consumer
            .get_info()
            .await
            .map_err(|err| QueueError::from(format!("cannot read consumer state: {err}")))?;
        let ack_pending = u64::try_from(info.num_ack_pending).unwrap_or(u64::MAX);
        Ok(info.num_pending.saturating_add(ack_pending))
    }
}

impl JetStreamPurchaseQueue {
    /// Decodes one message and keeps its ack handle under a new receipt.
    fn hand_out(&self, message: jetstream::Message) -> Delivery {
        let (stream_sequence, deliveries) = message
            .info()
            .map(|info| (info.stream_sequence, info.delivered))
            .unwrap_or((0, 0));
        let (message, acker) = message.split();
        let decoded = wire::decode(&message.payload);
        let receipt = self.receipts.insert(Outstanding {
            message,
            acker,
            stream_sequence,
            deliveries,
        });
        match decoded {
            Ok(purchase) => Delivery::Purchase { purchase, receipt },
            Err(reason) => {
                tracing::warn!(
                    stream = self.layout.stream(),
                    sequence = stream_sequence,
                    %reason,
                    "unreadable message in the purchase queue"
                );
                Delivery::Poison { reason, receipt }
            }
        }
    }
}
