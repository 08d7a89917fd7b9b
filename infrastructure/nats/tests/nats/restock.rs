//! Restock announcements over core NATS.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use seckiller_domain::ActivityId;
use seckiller_domain::ports::RestockNotifier;
use seckiller_nats::{NatsRestockNotifier, connect_nats, listen_for_restock, restock_subject};
use uuid::Uuid;

use crate::support::{nats_url, unique_name};

#[tokio::test]
async fn a_restock_announcement_reaches_a_listener_on_another_connection() {
    let prefix = unique_name();
    let listening_node = connect_nats(&nats_url(), Duration::from_secs(2))
        .await
        .unwrap();
    let announcing_node = connect_nats(&nats_url(), Duration::from_secs(2))
        .await
        .unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&heard);
    let listener = listen_for_restock(&listening_node, &prefix, move |activity| {
        sink.lock().unwrap().push(activity);
    })
    .await
    .unwrap();

    // A malformed announcement first: skipped, and the listener keeps going.
    announcing_node
        .publish(restock_subject(&prefix), "not an activity id".into())
        .await
        .unwrap();
    let activity = ActivityId::from_uuid(Uuid::now_v7());
    let notifier = NatsRestockNotifier::new(announcing_node, &prefix);

    // Core NATS is at-most-once (announcements are best effort by design), so the announcement
    // is repeated until heard; what is tested is that the listener hears and decodes it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while heard.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "announcement never arrived"
        );
        notifier.announce(activity).await.unwrap();
        for _ in 0..50 {
            if !heard.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    assert!(heard.lock().unwrap().iter().all(|a| *a == activity));
    listener.stop().await;
}
