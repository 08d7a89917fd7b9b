//! Outages mid-sale: each scenario starts its own Redis, NATS (and, for the database scenario,
//! Postgres), runs a crowd of buyers who keep retrying through the outage as real ones would, and
//! breaks one server — or one node — after the first purchases. When the dust settles the sale
//! must have kept every promise: each 202 became exactly one order, the ledger rejected none, no
//! more live items than stock, nobody past the per-buyer limit, nobody told `sold_out` while
//! stock was left, the whole stock sold once the servers came back, and `seckiller check` green.
//! Refusals during the outage must come fast (a generous bound telling a 503 from a hang); the
//! figures are printed (`--nocapture`).

// clippy.toml allows unwrap in `#[test]` functions only; the helpers below are test code too.
#![allow(clippy::unwrap_used)]

mod crowd_simulator;
mod stage;

use std::time::Duration;

use seckiller_e2e::{RedisPersistence, RetryingCrowd};

use stage::{Options, STOCK, Stage, Window, servers_installed};

/// Acceptances after which the server (or node) is broken: the sale is well under way.
const FAULT_AFTER: usize = 30;
/// Acceptances after which a server is broken near the end of the sale: a fifth of the stock
/// is left.
const NEAR_THE_END: usize = STOCK as usize * 4 / 5;

/// Starts the crowd and waits for the fault's moment.
async fn crowd_until_fault(stage: &Stage) -> RetryingCrowd {
    let mut crowd = stage.crowd();
    assert!(
        crowd.accepted_at_least(FAULT_AFTER).await,
        "the crowd ended before {FAULT_AFTER} purchases were accepted"
    );
    crowd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_empty_loses_no_purchase_and_sells_the_whole_stock() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options::default()).await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.redis.kill().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stage.redis.start_empty().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("redis restarted empty", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restarted_from_its_append_only_file_loses_no_purchase() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options {
        redis: RedisPersistence::AppendOnly,
        ..Options::default()
    })
    .await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.redis.kill().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stage.redis.start_again().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("redis restarted from its AOF", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restored_from_an_older_snapshot_is_not_trusted() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options::default()).await;
    let mut crowd = stage.crowd();
    assert!(crowd.accepted_at_least(FAULT_AFTER / 2).await);
    let snapshot = stage.redis.snapshot().await.unwrap();
    assert!(crowd.accepted_at_least(FAULT_AFTER * 2).await);
    let from = crowd.elapsed();
    stage.redis.kill().unwrap();
    stage.redis.start_from(&snapshot).await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("redis restored from an older snapshot", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_gets_fast_refusals_and_loses_no_purchase() {
    if !servers_installed() {
        return;
    }
    let stage = Stage::new(Options::default()).await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.redis.freeze().unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    stage.redis.thaw().unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage.verdict("redis frozen 5 s", crowd, outage, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restarted_with_its_store_tells_nobody_sold_out_falsely() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options::default()).await;
    // Near the end of the sale: the purchases whose publish is failing then hold what is left
    // of the stock, and the buyers who meet the gate meanwhile must not be told it is gone.
    let mut crowd = stage.crowd();
    assert!(crowd.accepted_at_least(NEAR_THE_END).await);
    let from = crowd.elapsed();
    stage.nats.kill().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stage.nats.start_again().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage.verdict("nats down 3 s", crowd, outage, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_crash_loses_no_purchase() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options {
        own_postgres: true,
        ..Options::default()
    })
    .await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    let postgres = stage.postgres.as_mut().unwrap();
    postgres.crash().await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    postgres.start_again().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("postgres crashed 5 s", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buyers_of_a_killed_node_carry_on_at_the_other() {
    if !servers_installed() {
        return;
    }
    let stage = Stage::new(Options {
        nodes: 2,
        ..Options::default()
    })
    .await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.nodes[0].kill9().unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("one of two nodes killed", crowd, outage, Some(0))
        .await;
}
