//! One way to open a NATS connection, so every adapter gets the same failure behaviour: a dead
//! server fails the first connect quickly, and once connected the client reconnects forever, so a
//! server restart or network blip heals without restarting the node.

use std::time::Duration;

use async_nats::{Client, ConnectOptions, Event};

/// The first connection to NATS could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot connect to NATS: {0}")]
pub struct NatsConnectError(pub String);

/// Connects to the NATS server at `url`, giving up after `timeout` if it does not answer.
///
/// Reconnection after a later disconnect is unlimited; meanwhile requests fail on their own
/// timeouts, so callers never hang on a lost server. Connection events are logged.
///
/// # Errors
/// [`NatsConnectError`] when the URL is malformed or the server is unreachable within `timeout`.
pub async fn connect_nats(url: &str, timeout: Duration) -> Result<Client, NatsConnectError> {
    let options = ConnectOptions::new()
        .name("seckiller")
        .connection_timeout(timeout)
        .max_reconnects(None)
        .event_callback(|event| async move { log_event(&event) });
    // The client's own timeout covers one attempt; the outer bound also covers name resolution
    // and the handshake, whatever the client does inside.
    match tokio::time::timeout(timeout.saturating_mul(2), options.connect(url)).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(err)) => Err(NatsConnectError(err.to_string())),
        Err(_elapsed) => Err(NatsConnectError(format!(
            "no answer within {} ms",
            timeout.as_millis()
        ))),
    }
}

fn log_event(event: &Event) {
    match event {
        Event::Connected => tracing::info!("NATS connection (re)established"),
        Event::Disconnected => tracing::warn!("NATS connection lost; reconnecting"),
        Event::LameDuckMode | Event::Draining | Event::Closed => {
            tracing::warn!(%event, "NATS connection state changed");
        }
        // Every failed reconnect attempt reports one; the loss itself was logged once above.
        Event::ClientError(_) => tracing::debug!(%event, "NATS client error"),
        Event::SlowConsumer(_) | Event::ServerError(_) => {
            tracing::warn!(%event, "NATS connection problem");
        }
    }
}
