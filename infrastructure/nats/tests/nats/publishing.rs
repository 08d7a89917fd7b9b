//! Publishing: durability, fidelity, de-duplication, concurrency.

use std::collections::HashSet;

use seckiller_domain::ports::{PurchaseFeed, PurchaseQueue};

use crate::support::{fetch_exactly, purchase, purchase_of, spawn_queue};

#[tokio::test]
async fn a_published_purchase_is_fetched_back_intact() {
    let queue = spawn_queue().await;
    let original = purchase();

    queue.publish(&original).await.unwrap();

    let deliveries = fetch_exactly(&*queue, 1).await;
    let fetched = purchase_of(&deliveries[0]);
    // Every field, accepted_at to the nanosecond.
    assert_eq!(fetched, &original);
    assert_eq!(fetched.quantity.get(), 2);
    assert_eq!(fetched.unit_price.amount_minor(), 12_345);
    assert_eq!(fetched.unit_price.currency().as_str(), "JPY");
    assert_eq!(fetched.accepted_at, original.accepted_at);
}

#[tokio::test]
async fn publishing_the_same_purchase_id_twice_stores_it_once() {
    let queue = spawn_queue().await;
    let original = purchase();

    queue.publish(&original).await.unwrap();
    queue.publish(&original).await.unwrap();

    assert_eq!(queue.lag().await.unwrap(), 1);
    let deliveries = fetch_exactly(&*queue, 1).await;
    assert_eq!(purchase_of(&deliveries[0]), &original);
    let more = queue
        .fetch(10, std::time::Duration::from_millis(300))
        .await
        .unwrap();
    assert!(more.is_empty(), "the duplicate was stored: {more:?}");
    assert_eq!(queue.lag().await.unwrap(), 1);
}

#[tokio::test]
async fn two_thousand_purchases_published_concurrently_are_all_stored_exactly_once() {
    let queue = spawn_queue().await;
    let purchases: Vec<_> = (0..2_000).map(|_| purchase()).collect();

    // All 2,000 in flight at once, acks awaited together; then all again, as a client retrying
    // every publish would.
    for round in ["first", "repeated"] {
        let results = queue.publish_many(&purchases).await;
        let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(failures.is_empty(), "{round} round: {failures:?}");
    }

    assert_eq!(queue.lag().await.unwrap(), 2_000);
    let deliveries = fetch_exactly(&*queue, 2_000).await;
    let fetched: HashSet<_> = deliveries.iter().map(|d| purchase_of(d).id).collect();
    let published: HashSet<_> = purchases.iter().map(|p| p.id).collect();
    assert_eq!(fetched, published);

    let receipts: Vec<_> = deliveries.iter().map(|d| d.receipt()).collect();
    queue.ack(&receipts).await.unwrap();
    assert_eq!(queue.lag().await.unwrap(), 0);
}

/// A stream made before each sale had its own subject (purchases on `<stream>.purchases` only)
/// gets the per-sale subjects when a queue connects, still hands out what is on the old subject,
/// and takes new purchases.
#[tokio::test]
async fn a_stream_from_before_per_sale_subjects_is_upgraded_on_connect() {
    use async_nats::jetstream::stream::{Config, RetentionPolicy};
    use seckiller_nats::JetStreamPurchaseQueue;

    let stream = crate::support::unique_name();
    let _guard = crate::support::StreamGuard {
        stream: stream.clone(),
    };
    let client = async_nats::connect(crate::support::nats_url())
        .await
        .unwrap();
    let jetstream = async_nats::jetstream::new(client);
    jetstream
        .create_stream(Config {
            name: stream.clone(),
            subjects: vec![format!("{stream}.purchases")],
            retention: RetentionPolicy::WorkQueue,
            ..Default::default()
        })
        .await
        .unwrap();
    // Unreadable, so it comes out as poison: enough to show the old subject is still read.
    jetstream
        .publish(format!("{stream}.purchases"), "left from before".into())
        .await
        .unwrap()
        .await
        .unwrap();

    let queue = JetStreamPurchaseQueue::connect(&crate::support::nats_url(), &stream)
        .await
        .unwrap();
    let new = purchase();
    queue.publish(&new).await.unwrap();
    let info = jetstream
        .get_stream(&stream)
        .await
        .unwrap()
        .cached_info()
        .clone();
    assert!(
        info.config
            .subjects
            .contains(&format!("{stream}.purchases.>"))
    );
    let delivered = fetch_exactly(&queue, 2).await;
    let purchases: Vec<_> = delivered
        .iter()
        .filter_map(|d| match d {
            seckiller_domain::ports::Delivery::Purchase { purchase, .. } => Some(purchase.id),
            seckiller_domain::ports::Delivery::Poison { .. } => None,
        })
        .collect();
    assert_eq!(purchases, vec![new.id]);
    assert_eq!(
        delivered
            .iter()
            .filter(|d| matches!(d, seckiller_domain::ports::Delivery::Poison { .. }))
            .count(),
        1
    );
}
