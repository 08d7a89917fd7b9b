//! NATS adapters. The purchase queue is a JetStream stream with one durable pull consumer shared
//! by every node's order writer: a purchase counts as durable once JetStream acknowledged its
//! publish, and the purchase id is the message id so a re-publish is stored once. Restock
//! announcements go over core NATS, best effort, to every node.
//!
//! This crate implements ports of `seckiller-domain` and must not depend on other adapter crates
//! or on the application layer; wiring happens in `bootstrap/`.

mod connection;
mod layout;
mod queue;
mod restock;
mod settings;
mod wire;

pub use connection::{NatsConnectError, connect_nats};
pub use layout::{
    DEAD_LETTER_DELIVERIES_HEADER, DEAD_LETTER_MESSAGE_ID_HEADER, DEAD_LETTER_REASON_HEADER,
    DEAD_LETTER_SEQUENCE_HEADER, StreamLayout,
};
pub use queue::{JetStreamPurchaseQueue, delete_purchase_streams};
pub use restock::{
    ListenerHandle, NatsRestockNotifier, RestockListenError, listen_for_restock, restock_subject,
};
pub use settings::JetStreamSettings;
