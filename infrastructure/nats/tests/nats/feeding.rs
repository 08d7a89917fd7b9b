//! The feed: redelivery, acks, lag, and several nodes on one durable consumer.

use std::collections::HashSet;
use std::time::Duration;

use seckiller_domain::ports::{DeliveryReceipt, PurchaseFeed, PurchaseQueue};
use seckiller_domain::{Purchase, PurchaseId};
use seckiller_nats::{JetStreamPurchaseQueue, JetStreamSettings};

use crate::support::{
    LONGER_THAN_QUICK_ACK_WAIT, fetch_exactly, purchase, purchase_of, quick_redelivery,
    spawn_queue, spawn_queue_with,
};

#[tokio::test]
async fn unacked_deliveries_are_delivered_again_and_acked_ones_are_not() {
    let queue = spawn_queue_with(quick_redelivery()).await;
    let (acked, forgotten) = (purchase(), purchase());
    queue.publish(&acked).await.unwrap();
    queue.publish(&forgotten).await.unwrap();

    let first = fetch_exactly(&*queue, 2).await;
    let by_id = |id: PurchaseId| {
        first
            .iter()
            .find(|d| purchase_of(d).id == id)
            .expect("delivered")
            .receipt()
    };
    queue.ack(&[by_id(acked.id)]).await.unwrap();
    let first_receipt_of_forgotten = by_id(forgotten.id);

    // Only the unacked one comes back, once its ack wait has passed, under a new receipt.
    let again = fetch_exactly(&*queue, 1).await;
    assert_eq!(purchase_of(&again[0]), &forgotten);
    assert_ne!(again[0].receipt(), first_receipt_of_forgotten);
    queue.ack(&[again[0].receipt()]).await.unwrap();
    // A late ack of the earlier delivery of the same message is harmless.
    queue.ack(&[first_receipt_of_forgotten]).await.unwrap();

    let after = queue.fetch(10, LONGER_THAN_QUICK_ACK_WAIT).await.unwrap();
    assert!(after.is_empty(), "acked messages came back: {after:?}");
    assert_eq!(queue.lag().await.unwrap(), 0);
}

#[tokio::test]
async fn lag_counts_published_but_unacked_purchases_and_returns_to_zero_after_ack() {
    let queue = spawn_queue().await;
    assert_eq!(queue.lag().await.unwrap(), 0);
    for _ in 0..3 {
        queue.publish(&purchase()).await.unwrap();
    }
    assert_eq!(queue.lag().await.unwrap(), 3, "published, not fetched");

    let deliveries = fetch_exactly(&*queue, 3).await;
    assert_eq!(queue.lag().await.unwrap(), 3, "fetched, not acked");

    let receipts: Vec<_> = deliveries.iter().map(|d| d.receipt()).collect();
    queue.ack(&receipts[..2]).await.unwrap();
    assert_eq!(queue.lag().await.unwrap(), 1);
    queue.ack(&receipts[2..]).await.unwrap();
    assert_eq!(queue.lag().await.unwrap(), 0);

    // Acking again, or with receipts never handed out, changes nothing and is no error.
    queue.ack(&receipts).await.unwrap();
    queue.ack(&[DeliveryReceipt(u64::MAX)]).await.unwrap();
    assert_eq!(queue.lag().await.unwrap(), 0);
}

/// A batch is acked with one confirmation (its last ack): when `ack` returns, every ack before
/// the last was applied too, however large the batch.
#[tokio::test]
async fn a_large_batch_is_settled_when_its_ack_returns() {
    let queue = spawn_queue().await;
    for round in 0..3 {
        let published = queue
            .publish_many(&(0..300).map(|_| purchase()).collect::<Vec<_>>())
            .await;
        assert!(published.iter().all(Result::is_ok), "round {round}");
        let deliveries = fetch_exactly(&*queue, 300).await;
        let receipts: Vec<_> = deliveries.iter().map(|d| d.receipt()).collect();
        queue.ack(&receipts).await.unwrap();
        assert_eq!(queue.lag().await.unwrap(), 0, "round {round}");
    }
    let after = queue.fetch(10, LONGER_THAN_QUICK_ACK_WAIT).await.unwrap();
    assert!(after.is_empty(), "acked messages came back: {after:?}");
}

#[tokio::test]
async fn two_nodes_on_the_same_consumer_share_the_backlog() {
    let node_a = spawn_queue().await;
    let node_b = node_a.another_node(JetStreamSettings::default()).await;
    let purchases: Vec<_> = (0..100).map(|_| purchase()).collect();
    assert!(
        node_a
            .publish_many(&purchases)
            .await
            .iter()
            .all(Result::is_ok)
    );

    // A takes half and holds it; B is handed the other half, never A's.
    let taken_by_a = fetch_exactly(&*node_a, 50).await;
    let taken_by_b = fetch_exactly(&node_b, 50).await;
    let ids = |deliveries: &[seckiller_domain::ports::Delivery]| -> HashSet<PurchaseId> {
        deliveries.iter().map(|d| purchase_of(d).id).collect()
    };
    let (a, b) = (ids(&taken_by_a), ids(&taken_by_b));
    assert!(a.is_disjoint(&b));
    let all: HashSet<_> = purchases.iter().map(|p| p.id).collect();
    assert_eq!(&a | &b, all);

    let receipts = |deliveries: &[seckiller_domain::ports::Delivery]| -> Vec<DeliveryReceipt> {
        deliveries.iter().map(|d| d.receipt()).collect()
    };
    node_a.ack(&receipts(&taken_by_a)).await.unwrap();
    node_b.ack(&receipts(&taken_by_b)).await.unwrap();
    assert_eq!(node_a.lag().await.unwrap(), 0);
    assert_eq!(node_b.lag().await.unwrap(), 0);
}

#[tokio::test]
async fn two_nodes_fetching_concurrently_receive_every_message_exactly_once() {
    let node_a = spawn_queue().await;
    let node_b = node_a.another_node(JetStreamSettings::default()).await;
    let purchases: Vec<Purchase> = (0..300).map(|_| purchase()).collect();
    assert!(
        node_a
            .publish_many(&purchases)
            .await
            .iter()
            .all(Result::is_ok)
    );

    // Each node fetches small batches and acks them until the backlog is empty.
    async fn drain(node: &JetStreamPurchaseQueue) -> Vec<PurchaseId> {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while node.lag().await.unwrap() > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "backlog never drained"
            );
            let batch = node.fetch(25, Duration::from_millis(200)).await.unwrap();
            seen.extend(batch.iter().map(|d| purchase_of(d).id));
            let receipts: Vec<_> = batch.iter().map(|d| d.receipt()).collect();
            node.ack(&receipts).await.unwrap();
        }
        seen
    }
    let (seen_by_a, seen_by_b) = tokio::join!(drain(&node_a), drain(&node_b));

    let mut every_delivery = seen_by_a;
    every_delivery.extend(seen_by_b);
    let distinct: HashSet<_> = every_delivery.iter().copied().collect();
    assert_eq!(every_delivery.len(), 300, "some message went to both nodes");
    assert_eq!(distinct, purchases.iter().map(|p| p.id).collect());
}

#[tokio::test]
async fn a_fetch_on_an_empty_queue_returns_nothing_after_its_wait() {
    let queue = spawn_queue().await;
    assert!(
        queue
            .fetch(10, Duration::from_millis(200))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(queue.fetch(10, Duration::ZERO).await.unwrap().is_empty());
    assert!(
        queue
            .fetch(0, Duration::from_secs(5))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_sales_lag_counts_its_own_unacked_purchases_only() {
    let queue = spawn_queue().await;
    let mine = purchase();
    let theirs = purchase();
    queue.publish(&mine).await.unwrap();
    queue.publish(&theirs).await.unwrap();
    let mut also_mine = purchase();
    also_mine.activity_id = mine.activity_id;
    queue.publish(&also_mine).await.unwrap();

    assert_eq!(queue.lag_of(mine.activity_id).await.unwrap(), 2);
    assert_eq!(queue.lag_of(theirs.activity_id).await.unwrap(), 1);
    let delivered = fetch_exactly(&*queue, 3).await;
    let of_mine: Vec<DeliveryReceipt> = delivered
        .iter()
        .filter(|d| purchase_of(d).activity_id == mine.activity_id)
        .map(|d| d.receipt())
        .collect();
    queue.ack(&of_mine).await.unwrap();
    assert_eq!(queue.lag_of(mine.activity_id).await.unwrap(), 0);
    assert_eq!(queue.lag_of(theirs.activity_id).await.unwrap(), 1);
}
