//! What only the embedded purchase queue has to prove, beyond the feed contract: overdue
//! deliveries come again, unreadable rows come out as poison, dead letters keep what they were,
//! a failed commit is reported to every publisher, and a publish from another task wakes a
//! waiting fetch.

use std::time::{Duration, Instant};

use seckiller_contract::a_purchase;
use seckiller_domain::ports::{Delivery, PurchaseFeed, PurchaseQueue};
use seckiller_persistence::QueueSettings;

use crate::harness::{QueueStore, Store, queue_on, sqlite_queue};

/// Long enough that a fetch expected to find something never gives up first.
const PATIENCE: Duration = Duration::from_secs(30);

on_both_backends!(
    an_unacked_delivery_comes_again_after_the_ack_deadline,
    an_unreadable_row_is_delivered_as_poison,
    a_dead_letter_keeps_the_payload_and_the_reason,
    a_failed_commit_is_reported_to_the_publisher,
);

fn quick_redelivery(store: Store) -> QueueStore {
    let settings = QueueSettings {
        ack_deadline: Duration::from_millis(300),
        ..QueueSettings::default()
    };
    queue_on(store, settings)
}

async fn an_unacked_delivery_comes_again_after_the_ack_deadline(store: Store) {
    let QueueStore {
        queue,
        store: _store,
    } = quick_redelivery(store);
    let purchase = a_purchase();
    queue.publish(&purchase).await.expect("publish");
    // Any `max` is fine, even one no database would take as a LIMIT.
    let first = queue.fetch(usize::MAX, PATIENCE).await.expect("fetch");
    assert_eq!(first.len(), 1);

    // Nothing is published meanwhile: the ack deadline itself ends this wait.
    let again = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert_eq!(again, first, "the same delivery, same receipt");
    queue.ack(&[again[0].receipt()]).await.expect("ack");
    assert_eq!(queue.lag().await.expect("lag"), 0);
}

async fn an_unreadable_row_is_delivered_as_poison(store: Store) {
    let QueueStore { queue, store } = quick_redelivery(store);
    let purchase = a_purchase();
    queue.publish(&purchase).await.expect("publish");
    store
        .sql(r#"UPDATE queued_purchases SET payload = '{"id": "nonsense"}'"#)
        .await
        .expect("corrupt the payload");

    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    let [Delivery::Poison { reason, receipt }] = &deliveries[..] else {
        panic!("expected one poison delivery: {deliveries:?}")
    };
    assert!(!reason.is_empty());
    queue
        .dead_letter(*receipt, reason)
        .await
        .expect("dead-letter");
    assert_eq!(queue.lag().await.expect("lag"), 0);
}

async fn a_dead_letter_keeps_the_payload_and_the_reason(store: Store) {
    let QueueStore { queue, store } = quick_redelivery(store);
    queue.publish(&a_purchase()).await.expect("publish");
    let payload = store.texts("SELECT payload FROM queued_purchases").await;
    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");

    queue
        .dead_letter(deliveries[0].receipt(), "the activity vanished")
        .await
        .expect("dead-letter");
    assert_eq!(
        store.texts("SELECT payload FROM dead_purchases").await,
        payload
    );
    assert_eq!(
        store.texts("SELECT reason FROM dead_purchases").await,
        vec!["the activity vanished"]
    );
    // Dead-lettering it again (a retry after a lost answer) changes nothing.
    queue
        .dead_letter(deliveries[0].receipt(), "again")
        .await
        .expect("dead-letter again");
    assert_eq!(store.number("SELECT COUNT(*) FROM dead_purchases").await, 1);
    assert!(
        queue
            .fetch(10, Duration::from_millis(600))
            .await
            .expect("fetch")
            .is_empty(),
        "a dead letter is never delivered again, even past its ack deadline"
    );
}

async fn a_failed_commit_is_reported_to_the_publisher(store: Store) {
    let QueueStore { queue, store } = quick_redelivery(store);
    store
        .sql("ALTER TABLE queued_purchases RENAME TO queued_purchases_away")
        .await
        .expect("hide the queue table");
    let refused = queue.publish(&a_purchase()).await;
    store
        .sql("ALTER TABLE queued_purchases_away RENAME TO queued_purchases")
        .await
        .expect("restore the queue table");

    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(queue.lag().await.expect("lag"), 0);
    queue
        .publish(&a_purchase())
        .await
        .expect("the writer goes on after a failure");
    assert_eq!(queue.lag().await.expect("lag"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_from_another_task_wakes_a_waiting_fetch() {
    let QueueStore {
        queue,
        store: _store,
    } = sqlite_queue().await;
    let purchase = a_purchase();
    let publisher = {
        let (queue, purchase) = (queue.clone(), purchase.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            queue.publish(&purchase).await
        })
    };

    let started = Instant::now();
    let deliveries = queue.fetch(10, PATIENCE).await.expect("fetch");
    assert!(started.elapsed() < PATIENCE, "woken by the commit");
    publisher
        .await
        .expect("the publisher did not panic")
        .expect("publish");
    assert!(matches!(
        &deliveries[..],
        [Delivery::Purchase { purchase: p, .. }] if *p == purchase
    ));
}

/// Not a test of correctness: prints how many publishes per second the group commit confirms on
/// SQLite (synchronous = FULL) with a crowd in flight. Run with
/// `cargo test -p seckiller-persistence --test repositories -- --ignored --nocapture publish_rate`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn publish_rate_under_a_crowd() {
    for crowd in [1, 2_000, 20_000] {
        let QueueStore {
            queue,
            store: _store,
        } = sqlite_queue().await;
        let purchases: Vec<_> = (0..crowd).map(|_| a_purchase()).collect();
        let started = Instant::now();
        let publishers: Vec<_> = purchases
            .into_iter()
            .map(|purchase| {
                let queue = queue.clone();
                tokio::spawn(async move { queue.publish(&purchase).await })
            })
            .collect();
        for publisher in publishers {
            publisher.await.expect("no panic").expect("publish");
        }
        let took = started.elapsed();
        println!(
            "{crowd:>6} publishes in flight: {took:?}, {:.0} publishes/s",
            f64::from(crowd) / took.as_secs_f64()
        );
    }
}
