//! Connecting: a dead server is reported promptly, never waited on forever.

use std::time::Duration;

use seckiller_nats::{JetStreamPurchaseQueue, connect_nats};

use crate::support::unique_name;

const DEAD_URL: &str = "nats://127.0.0.1:1";

#[tokio::test]
async fn connecting_to_a_dead_server_fails_within_a_few_seconds() {
    let attempt = tokio::time::timeout(
        Duration::from_secs(10),
        JetStreamPurchaseQueue::connect(DEAD_URL, &unique_name()),
    )
    .await
    .expect("connect returned instead of hanging");
    let err = attempt.err().expect("connecting to a dead server fails");
    assert!(
        err.0.to_string().contains("cannot connect to NATS"),
        "{err}"
    );

    let plain = tokio::time::timeout(
        Duration::from_secs(10),
        connect_nats(DEAD_URL, Duration::from_secs(2)),
    )
    .await
    .expect("connect returned instead of hanging");
    assert!(plain.is_err());
}

#[tokio::test]
async fn a_stream_name_that_would_break_subjects_is_refused_before_connecting() {
    let err = JetStreamPurchaseQueue::connect(DEAD_URL, "bad.name")
        .await
        .err()
        .expect("refused");
    assert!(err.0.to_string().contains("bad stream name"), "{err}");
}
