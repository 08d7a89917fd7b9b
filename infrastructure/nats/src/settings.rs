//! Tunables of the JetStream purchase queue. The defaults suit production; tests shorten the ack
//! wait so redelivery can be observed quickly.

use std::time::Duration;

/// How the queue talks to the server and how the stream and consumer are created.
///
/// Stream and consumer settings apply when `connect` creates them; an existing stream or consumer
/// keeps the configuration it was created with (edit it with the `nats` CLI), so nodes started
/// with different settings never fight over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JetStreamSettings {
    /// How long a fetched delivery may stay unacknowledged before the server hands it out again,
    /// to any node. Longer than the order writer's slowest batch commit, and short, because it is
    /// how long the purchases a dying node had fetched wait before another node writes them.
    pub ack_wait: Duration,
    /// How long the server remembers a purchase id to drop a re-published copy. Covers client
    /// retries and the reconciler's re-publish of purchases whose publish ack was lost.
    pub duplicate_window: Duration,
    /// Most deliveries handed out and not yet acknowledged, across all nodes together.
    pub max_ack_pending: i64,
    /// Copies of each stream on a JetStream cluster: 3 in production so a purchase acked as
    /// durable survives the loss of a server; 1 on a single server.
    pub replicas: usize,
    /// Bound on establishing the TCP connection and NATS handshake: a dead server fails fast.
    pub connect_timeout: Duration,
    /// Bound on every reply the queue waits for: publish acks, ack confirmations, stream and
    /// consumer requests. A purchase whose publish ack does not arrive in time is reported as not
    /// durable.
    pub request_timeout: Duration,
}

impl Default for JetStreamSettings {
    fn default() -> Self {
        Self {
            ack_wait: Duration::from_secs(10),
            duplicate_window: Duration::from_secs(120),
            max_ack_pending: 10_000,
            replicas: 1,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
        }
    }
}
