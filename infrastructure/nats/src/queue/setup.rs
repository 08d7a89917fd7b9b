//! Creates the streams and the consumer the queue needs, and deletes them for tests and tools.

use async_nats::Client;
use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::context::{Context, DeleteStreamErrorKind};
use async_nats::jetstream::stream::{self, DiscardPolicy, RetentionPolicy, StorageType};
use seckiller_domain::ports::QueueError;

use crate::layout::StreamLayout;
use crate::settings::JetStreamSettings;

/// Creates-or-gets the purchase stream, the dead-letter stream and the durable consumer; returns
/// the purchase stream and the consumer.
///
/// The purchase stream is a work queue on disk: a message stays until the order writer acks it,
/// then it is gone, so the stream holds exactly the backlog. The consumer never gives up on a
/// message (no delivery limit): a limit would silently drop purchases after a long database
/// outage; unreadable messages leave through the dead-letter path instead.
pub(super) async fn ensure_streams_and_consumer(
    jetstream: &Context,
    layout: &StreamLayout,
    settings: &JetStreamSettings,
) -> Result<(stream::Stream, PullConsumer), QueueError> {
    let mut purchases = jetstream
        .get_or_create_stream(stream::Config {
            name: layout.stream().to_owned(),
            description: Some("Accepted purchases waiting to become orders".to_owned()),
            subjects: vec![
                layout.purchase_subject().to_owned(),
                layout.purchase_subjects(),
            ],
            storage: StorageType::File,
            retention: RetentionPolicy::WorkQueue,
            discard: DiscardPolicy::New,
            duplicate_window: settings.duplicate_window,
            num_replicas: settings.replicas,
            ..Default::default()
        })
        .await
        .map_err(|err| {
            QueueError::from(format!("cannot create stream {}: {err}", layout.stream()))
        })?;
    add_sale_subjects(jetstream, &mut purchases, layout).await?;

    jetstream
        .get_or_create_stream(stream::Config {
            name: layout.dead_letter_stream().to_owned(),
            description: Some("Purchase messages that could never be processed".to_owned()),
            subjects: vec![layout.dead_letter_subject().to_owned()],
            storage: StorageType::File,
            retention: RetentionPolicy::Limits,
            duplicate_window: settings.duplicate_window,
            num_replicas: settings.replicas,
            ..Default::default()
        })
        .await
        .map_err(|err| {
            QueueError::from(format!(
                "cannot create stream {}: {err}",
                layout.dead_letter_stream()
            ))
        })?;

    let consumer = purchases
        .get_or_create_consumer(
            layout.consumer(),
            pull::Config {
                durable_name: Some(layout.consumer().to_owned()),
                description: Some("Order writers of every node".to_owned()),
                deliver_policy: DeliverPolicy::All,
                ack_policy: AckPolicy::Explicit,
                ack_wait: settings.ack_wait,
                max_deliver: -1,
                max_ack_pending: settings.max_ack_pending,
                ..Default::default()
            },
        )
        .await
        .map_err(|err| {
            QueueError::from(format!(
                "cannot create consumer {} on {}: {err}",
                layout.consumer(),
                layout.stream()
            ))
        })?;
    Ok((purchases, consumer))
}

/// A stream created before each sale had its own subject gets the per-sale subjects added.
async fn add_sale_subjects(
    jetstream: &Context,
    purchases: &mut stream::Stream,
    layout: &StreamLayout,
) -> Result<(), QueueError> {
    let info = purchases.info().await.map_err(|err| {
        QueueError::from(format!("cannot read stream {}: {err}", layout.stream()))
    })?;
    let wanted = layout.purchase_subjects();
    if info.config.subjects.contains(&wanted) {
        return Ok(());
    }
    let mut config = info.config.clone();
    config.subjects.push(wanted);
    jetstream.update_stream(&config).await.map_err(|err| {
        QueueError::from(format!(
            "cannot add per-sale subjects to stream {}: {err}",
            layout.stream()
        ))
    })?;
    Ok(())
}

/// Deletes both streams of `layout`; a stream that is already gone is not an error.
pub(super) async fn delete_streams(
    jetstream: &Context,
    layout: &StreamLayout,
) -> Result<(), QueueError> {
    for name in [layout.stream(), layout.dead_letter_stream()] {
        match jetstream.delete_stream(name).await {
            Ok(_) => {}
            Err(err) if is_stream_not_found(&err.kind()) => {}
            Err(err) => {
                return Err(QueueError::from(format!(
                    "cannot delete stream {name}: {err}"
                )));
            }
        }
    }
    Ok(())
}

fn is_stream_not_found(kind: &DeleteStreamErrorKind) -> bool {
    matches!(kind, DeleteStreamErrorKind::JetStream(err) if err.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

/// Deletes the purchase stream named `stream_name` and its dead-letter stream over `client`,
/// without creating anything first. For tests and tools only (a test's clean-up guard calls it
/// even when the queue was never built).
///
/// # Errors
/// [`QueueError`] when the name is unusable or the server does not confirm the deletion.
pub async fn delete_purchase_streams(client: Client, stream_name: &str) -> Result<(), QueueError> {
    let layout = StreamLayout::new(stream_name)?;
    delete_streams(&async_nats::jetstream::new(client), &layout).await
}
