//! The JetStream purchase queue: publishing side here, consuming side in `feed`, server-side
//! setup in `setup`, the receipt bookkeeping in `receipts`.

mod dead_letter;
mod feed;
mod receipts;
mod setup;

use async_nats::connection::State;
use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::context::{Context, ContextBuilder, PublishAckFuture};
use async_nats::jetstream::message::PublishMessage;
use async_nats::{Client, Subject};
use seckiller_domain::Purchase;
use seckiller_domain::ports::{Cause, PublishError, PurchaseQueue, QueueError};

use crate::connection::connect_nats;
use crate::layout::StreamLayout;
use crate::settings::JetStreamSettings;
use crate::wire;

pub use setup::delete_purchase_streams;

use receipts::Receipts;

/// The purchase queue and feed over JetStream.
///
/// Every method takes `&self` and the connection is multiplexed, so any number of publishes,
/// fetches and acks may be in flight at once from one value (share it behind an `Arc`); nothing
/// is serialised behind a lock except the brief bookkeeping of receipts.
pub struct JetStreamPurchaseQueue {
    client: Client,
    jetstream: Context,
    consumer: PullConsumer,
    stream: async_nats::jetstream::stream::Stream,
    layout: StreamLayout,
    settings: JetStreamSettings,
    receipts: Receipts<feed::Outstanding>,
}

impl JetStreamPurchaseQueue {
    /// Connects to `url` and creates (or finds) the purchase stream named `stream_name`, its
    /// dead-letter stream and the shared durable consumer, with default settings.
    ///
    /// # Errors
    /// [`QueueError`] when the name is unusable, the server is unreachable (within the connect
    /// timeout) or refuses to create the stream or consumer.
    pub async fn connect(url: &str, stream_name: &str) -> Result<Self, QueueError> {
        Self::connect_with(url, stream_name, JetStreamSettings::default()).await
    }

    /// [`connect`](Self::connect) with explicit settings (tests shorten the ack wait).
    ///
    /// # Errors
    /// As for [`connect`](Self::connect).
    pub async fn connect_with(
        url: &str,
        stream_name: &str,
        settings: JetStreamSettings,
    ) -> Result<Self, QueueError> {
        let layout = StreamLayout::new(stream_name)?;
        let client = connect_nats(url, settings.connect_timeout)
            .await
            .map_err(|err| QueueError(Cause::new(err)))?;
        Self::with_client_and_layout(client, layout, settings).await
    }

    /// The queue over an existing connection, so a node can share one connection between the
    /// queue and its restock announcements.
    ///
    /// # Errors
    /// As for [`connect`](Self::connect), minus connecting.
    pub async fn with_client(
        client: Client,
        stream_name: &str,
        settings: JetStreamSettings,
    ) -> Result<Self, QueueError> {
        let layout = StreamLayout::new(stream_name)?;
        Self::with_client_and_layout(client, layout, settings).await
    }

    async fn with_client_and_layout(
        client: Client,
        layout: StreamLayout,
        settings: JetStreamSettings,
    ) -> Result<Self, QueueError> {
        let jetstream = ContextBuilder::new()
            .timeout(settings.request_timeout)
            .build(client.clone());
        let (stream, consumer) =
            setup::ensure_streams_and_consumer(&jetstream, &layout, &settings).await?;
        Ok(Self {
            client,
            jetstream,
            consumer,
            stream,
            layout,
            settings,
            receipts: Receipts::default(),
        })
    }

    /// The names of the stream, subjects and consumer in use.
    pub fn layout(&self) -> &StreamLayout {
        &self.layout
    }

    /// The underlying connection (cheap to clone), to share with other NATS adapters.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Publishes many purchases with all of them in flight at once and waits for every ack; the
    /// result for each purchase is at the same index. For bulk re-publishing (the reconciler)
    /// and measurements.
    pub async fn publish_many(&self, purchases: &[Purchase]) -> Vec<Result<(), PublishError>> {
        futures::future::join_all(purchases.iter().map(|purchase| self.publish(purchase))).await
    }

    /// Deletes the purchase stream and its dead-letter stream, with everything in them. For
    /// tests and tools only: production never deletes the queue.
    ///
    /// # Errors
    /// [`QueueError`] when the server does not confirm the deletion.
    pub async fn delete_streams(&self) -> Result<(), QueueError> {
        setup::delete_streams(&self.jetstream, &self.layout).await
    }

    /// True while the connection to the server is up.
    pub fn is_connected(&self) -> bool {
        matches!(self.client.connection_state(), State::Connected)
    }

    /// Fails at once while the connection is down, instead of after a timeout: the buyer gets a
    /// prompt 503 and the caller can give the stock back, while the client reconnects.
    fn ensure_connected(&self) -> Result<(), QueueError> {
        match self.client.connection_state() {
            State::Connected => Ok(()),
            State::Pending | State::Disconnected => Err(QueueError::from(
                "not connected to NATS (reconnecting)".to_owned(),
            )),
        }
    }

    /// Hands the purchase to the connection. A failure here means it was never sent.
    async fn send(&self, purchase: &Purchase) -> Result<PublishAckFuture, PublishError> {
        self.ensure_connected()
            .map_err(|err| PublishError::NotStored(err.0))?;
        let body = wire::encode(purchase).map_err(|err| {
            PublishError::not_stored(format!("cannot encode purchase {}: {err}", purchase.id))
        })?;
        let message = PublishMessage::build()
            .payload(body.into())
            .message_id(purchase.id.to_string());
        self.jetstream
            .send_publish(
                Subject::from(self.layout.purchase_subject_of(purchase.activity_id)),
                message,
            )
            .await
            .map_err(|err| {
                PublishError::not_stored(format!(
                    "publish of purchase {} failed: {err}",
                    purchase.id
                ))
            })
    }
}

impl PurchaseQueue for JetStreamPurchaseQueue {
    /// A missing or failed ack is [`PublishError::Unconfirmed`]: the server may have stored the
    /// purchase before the answer was lost.
    async fn publish(&self, purchase: &Purchase) -> Result<(), PublishError> {
        let ack = self.send(purchase).await?.await.map_err(|err| {
            PublishError::unconfirmed(format!(
                "purchase {} not confirmed durable: {err}",
                purchase.id
            ))
        })?;
        if ack.duplicate {
            tracing::debug!(purchase = %purchase.id, "purchase was already in the queue");
        }
        Ok(())
    }
}
