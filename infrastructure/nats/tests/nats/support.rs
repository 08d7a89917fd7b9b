//! Shared test helpers: the server URL, unique streams with a clean-up guard, purchases, polling.
// Helpers fail the calling test by panicking, like the tests themselves (clippy exempts only
// `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use seckiller_domain::ports::{Delivery, PurchaseFeed};
use seckiller_domain::{ActivityId, Currency, Money, Purchase, PurchaseId, Quantity, UserId};
use seckiller_nats::{JetStreamPurchaseQueue, JetStreamSettings, delete_purchase_streams};
use uuid::Uuid;

/// The NATS server the tests run against.
pub fn nats_url() -> String {
    std::env::var("SECKILLER_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// A name no other test (or run) uses.
pub fn unique_name() -> String {
    format!("T{}", Uuid::now_v7().simple())
}

/// Settings with a one-second ack wait, so redelivery shows quickly.
pub fn quick_redelivery() -> JetStreamSettings {
    JetStreamSettings {
        ack_wait: Duration::from_secs(1),
        ..JetStreamSettings::default()
    }
}

/// Deletes a test's streams when dropped, also when the test panics. Drop cannot await, so the
/// deletion runs on its own thread and runtime with its own connection.
pub struct StreamGuard {
    /// The stream to delete.
    pub stream: String,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let stream = self.stream.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(async {
                let client = async_nats::connect(nats_url())
                    .await
                    .map_err(|err| err.to_string())?;
                delete_purchase_streams(client, &stream)
                    .await
                    .map_err(|err| err.to_string())
            })
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("could not delete test stream {}: {err}", self.stream),
            Err(_) => eprintln!("clean-up of test stream {} panicked", self.stream),
        }
    }
}

/// A queue on a fresh stream, deleted when the value is dropped.
pub struct TestQueue {
    pub queue: JetStreamPurchaseQueue,
    pub stream: String,
    _guard: StreamGuard,
}

impl TestQueue {
    /// Another node's queue: its own connection, the same stream and consumer.
    pub async fn another_node(&self, settings: JetStreamSettings) -> JetStreamPurchaseQueue {
        JetStreamPurchaseQueue::connect_with(&nats_url(), &self.stream, settings)
            .await
            .expect("second node connects")
    }
}

impl std::ops::Deref for TestQueue {
    type Target = JetStreamPurchaseQueue;

    fn deref(&self) -> &Self::Target {
        &self.queue
    }
}

/// A queue on a fresh stream with `settings`.
pub async fn spawn_queue_with(settings: JetStreamSettings) -> TestQueue {
    let stream = unique_name();
    // The guard exists before anything is created, so a half-made setup is cleaned up too.
    let guard = StreamGuard {
        stream: stream.clone(),
    };
    let queue = JetStreamPurchaseQueue::connect_with(&nats_url(), &stream, settings)
        .await
        .expect("queue connects and creates its stream");
    TestQueue {
        queue,
        stream,
        _guard: guard,
    }
}

/// A queue on a fresh stream with default settings.
pub async fn spawn_queue() -> TestQueue {
    spawn_queue_with(JetStreamSettings::default()).await
}

/// A purchase with every field set to something distinctive.
pub fn purchase() -> Purchase {
    Purchase {
        id: PurchaseId::from_uuid(Uuid::now_v7()),
        activity_id: ActivityId::from_uuid(Uuid::now_v7()),
        buyer_id: UserId::from_uuid(Uuid::now_v7()),
        quantity: Quantity::new(2).unwrap(),
        unit_price: Money::new(12_345, Currency::parse("JPY").unwrap()).unwrap(),
        accepted_at: Utc::now(),
    }
}

/// Fetches until exactly `count` deliveries arrived, failing after a generous deadline.
pub async fn fetch_exactly(feed: &impl PurchaseFeed, count: usize) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut deliveries = Vec::new();
    while deliveries.len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {count} deliveries arrived",
            deliveries.len()
        );
        let batch = feed
            .fetch(count - deliveries.len(), Duration::from_millis(500))
            .await
            .expect("fetch works");
        deliveries.extend(batch);
    }
    assert_eq!(deliveries.len(), count, "more deliveries than expected");
    deliveries
}

/// The purchase in a delivery, failing on poison.
pub fn purchase_of(delivery: &Delivery) -> &Purchase {
    match delivery {
        Delivery::Purchase { purchase, .. } => purchase,
        Delivery::Poison { reason, .. } => panic!("unexpected poison: {reason}"),
    }
}

/// Long enough for an unacked delivery under [`quick_redelivery`] to come back: a fetch this long
/// that returns nothing proves nothing is due.
pub const LONGER_THAN_QUICK_ACK_WAIT: Duration = Duration::from_millis(2_500);
