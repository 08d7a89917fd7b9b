//! The receiving side of restock announcements: a background task that calls back for every
//! announced activity until its handle is stopped or dropped.

use async_nats::{Client, Subscriber};
use futures::StreamExt;
use seckiller_domain::ActivityId;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::restock_subject;

/// Listening for restock announcements could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot listen for restock announcements: {0}")]
pub struct RestockListenError(pub String);

/// Keeps a restock listener running. Dropping it stops the listener (without waiting);
/// [`stop`](Self::stop) stops it and waits until it has.
#[derive(Debug)]
pub struct ListenerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl ListenerHandle {
    /// Stops the listener and waits until it has unsubscribed; no callback runs after this.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            // An error means the task already ended; either way it is done or finishing.
            let _ = stop.send(());
        }
        if let Err(err) = (&mut self.task).await {
            tracing::warn!(%err, "restock listener ended abnormally");
        }
    }
}

/// Subscribes to `<prefix>.restock` on `client` and spawns a task that calls `on_restock` for
/// every announced activity. A malformed payload is logged and skipped.
///
/// Returns once the server has registered the subscription, so an announcement sent after this
/// returns is heard. Must be called within a Tokio runtime.
///
/// # Errors
/// [`RestockListenError`] when the subscription cannot be made or confirmed.
pub async fn listen_for_restock<F>(
    client: &Client,
    prefix: &str,
    on_restock: F,
) -> Result<ListenerHandle, RestockListenError>
where
    F: Fn(ActivityId) + Send + Sync + 'static,
{
    let subscriber = client
        .subscribe(restock_subject(prefix))
        .await
        .map_err(|err| RestockListenError(err.to_string()))?;
    client
        .flush()
        .await
        .map_err(|err| RestockListenError(err.to_string()))?;
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(listen(subscriber, stopped, on_restock));
    Ok(ListenerHandle {
        stop: Some(stop),
        task,
    })
}

async fn listen<F>(mut subscriber: Subscriber, mut stopped: oneshot::Receiver<()>, on_restock: F)
where
    F: Fn(ActivityId) + Send + Sync + 'static,
{
    loop {
        tokio::select! {
            // A stop signal or a dropped handle: either way, stop.
            _ = &mut stopped => break,
            message = subscriber.next() => match message {
                Some(message) => match parse(&message.payload) {
                    Some(activity) => on_restock(activity),
                    None => tracing::warn!(
                        payload = %String::from_utf8_lossy(&message.payload),
                        "ignored a malformed restock announcement"
                    ),
                },
                None => {
                    tracing::warn!("restock subscription closed");
                    break;
                }
            },
        }
    }
    if let Err(err) = subscriber.unsubscribe().await {
        tracing::debug!(%err, "restock unsubscribe not sent (connection closing)");
    }
}

fn parse(payload: &[u8]) -> Option<ActivityId> {
    std::str::from_utf8(payload).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_activity_id_is_an_announcement() {
        let id = ActivityId::from_uuid(uuid::Uuid::now_v7());
        assert_eq!(parse(id.to_string().as_bytes()), Some(id));
        assert_eq!(parse(b"not an id"), None);
        assert_eq!(parse(b"\xff\xfe"), None);
    }
}
