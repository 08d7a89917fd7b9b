//! The real binary at the door: thousands of idle connections and a band of slowloris clients
//! must neither stop it answering nor hold it for ever, and a SIGTERM in the middle of a sale
//! must end in a clean exit that kept every promise (each 202 becomes exactly one order).

// clippy.toml allows unwrap in `#[test]` functions only; the helpers below are test code too.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::num::NonZeroU64;
use std::time::Duration;

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use seckiller_e2e::environment::{ADMIN, ADMIN_PASSWORD};
use seckiller_e2e::{
    Answer, Api, Environment, Node, PurchaseState, SaleSpec, insert_buyers, orders_of_sale, rush,
    seckiller_binary,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// How long a node may take to become ready.
const READY: Duration = Duration::from_secs(30);
/// Connections that connect and say nothing.
const IDLE: usize = 2_000;
/// Connections that send a request head a byte a second.
const SLOWLORIS: usize = 50;
/// The node's request-head deadline in these tests.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(3);
/// A bound that tells a hung node from a fast one; the real figures are printed.
const HANG: Duration = Duration::from_secs(2);
/// How long past its deadline a slowloris connection may live: timers and scheduling.
const SLACK: Duration = Duration::from_secs(3);
/// The node's shutdown grace in the SIGTERM test.
const GRACE_SECONDS: u64 = 6;

/// Raises this process's open-file limit so it can hold the connections of the test.
fn raise_open_files() {
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
    let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    assert!(
        soft > (IDLE + SLOWLORIS + 200) as u64,
        "this test needs {} open files; the hard limit is {soft}",
        IDLE + SLOWLORIS + 200
    );
}

/// A slowloris client: sends a request head a byte a second, never finishing it; returns how
/// long after connecting the node closed the connection.
async fn slowloris(addr: std::net::SocketAddr) -> Duration {
    let stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let head =
            b"GET /healthz HTTP/1.1\r\nHost: seckiller\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaa";
        for byte in head.iter().cycle() {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut buf = [0_u8; 256];
    // Closed (0 bytes or a reset) is the only way this read ends: the head never completes.
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    trickle.abort();
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slowloris_connections_neither_stop_the_node_nor_hold_it() {
    raise_open_files();
    let binary = tokio::task::spawn_blocking(seckiller_binary)
        .await
        .unwrap()
        .unwrap();
    let environment = Environment::create().await.unwrap();
    let timeout = HEADER_READ_TIMEOUT.as_millis().to_string();
    let node = Node::start_with(
        &binary,
        &environment,
        &[("SECKILLER_HEADER_READ_TIMEOUT_MILLIS", &timeout)],
    )
    .unwrap();
    node.wait_ready(READY).await.unwrap();
    let addr = node.addr();

    let mut slow = JoinSet::new();
    for _ in 0..SLOWLORIS {
        slow.spawn(slowloris(addr));
    }
    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let asked = Instant::now();
    let health = client
        .get(format!("{}/healthz", node.base_url()))
        .send()
        .await
        .unwrap();
    let latency = asked.elapsed();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    assert!(
        latency < HANG,
        "GET /healthz took {latency:?} beside {IDLE} idle and {SLOWLORIS} slowloris connections"
    );

    let mut lifetimes = Vec::with_capacity(SLOWLORIS);
    while let Some(lived) = slow.join_next().await {
        lifetimes.push(lived.unwrap());
    }
    let longest = lifetimes.iter().max().copied().unwrap_or_default();
    assert!(
        longest < HEADER_READ_TIMEOUT + SLACK,
        "a slowloris connection lived {longest:?} with a head deadline of {HEADER_READ_TIMEOUT:?}"
    );
    assert!(
        !node.has_exited().unwrap(),
        "the node is still running:\n{}",
        node.log_tail()
    );
    eprintln!(
        "GET /healthz beside {IDLE} idle and {SLOWLORIS} slowloris connections: {latency:?}; \
         slowloris connections closed after {:?} to {longest:?}",
        lifetimes.iter().min().copied().unwrap_or_default()
    );
    drop(idle);
    node.kill9().unwrap();
    environment.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_sale_exits_cleanly_and_keeps_every_accepted_purchase() {
    const STOCK: u32 = 200;
    const CROWD: usize = 400;
    const IN_FLIGHT: usize = 40;
    const TERMINATE_AFTER: usize = 40;
    let binary = tokio::task::spawn_blocking(seckiller_binary)
        .await
        .unwrap()
        .unwrap();
    let environment = Environment::create().await.unwrap();
    let grace = GRACE_SECONDS.to_string();
    let settings = [("SECKILLER_SHUTDOWN_GRACE_SECONDS", grace.as_str())];
    let node = Node::start_with(&binary, &environment, &settings).unwrap();
    node.wait_ready(READY).await.unwrap();
    let api = Api::new(&node.base_url());
    let admin = api.sign_in(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let sale = SaleSpec {
        total_stock: STOCK,
        per_user_limit: 1,
        starts_in: chrono::Duration::seconds(-1),
        lasts: chrono::Duration::hours(1),
    };
    let activity = api.open_sale(&admin, sale).await.unwrap();
    let crowd = insert_buyers(&environment, CROWD).await.unwrap();

    // The crowd buys; at the fortieth 202 the node is told to stop.
    let switch = node.kill_switch();
    let terminator = switch.clone();
    let terminated_at = std::sync::Arc::new(std::sync::OnceLock::new());
    let marked = terminated_at.clone();
    let mut outcomes = rush(
        api.clone(),
        activity,
        crowd,
        NonZeroU64::MIN,
        IN_FLIGHT,
        move |accepted| {
            if accepted == TERMINATE_AFTER {
                let _ = marked.set(Instant::now());
                terminator.terminate().unwrap();
            }
        },
    );
    let mut accepted = Vec::new();
    let mut cut_off = 0_usize;
    while let Some(outcome) = outcomes.recv().await {
        match outcome.answer {
            Answer::Accepted { purchase_id } => accepted.push((outcome.buyer, purchase_id)),
            Answer::NoAnswer { .. } => cut_off += 1,
            Answer::Refused { status, code } => {
                assert!(
                    status == reqwest::StatusCode::CONFLICT
                        || status == reqwest::StatusCode::SERVICE_UNAVAILABLE,
                    "refused with {status} {code}"
                );
            }
            Answer::Malformed { error } => panic!("an answer outside the document: {error}"),
        }
    }
    assert!(
        accepted.len() >= TERMINATE_AFTER,
        "the node was never told to stop"
    );
    let status = switch
        .wait_exit(Duration::from_secs(GRACE_SECONDS) + SLACK)
        .await
        .unwrap();
    let stopped_after = terminated_at
        .get()
        .map(Instant::elapsed)
        .unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "the node exits 0 within its grace ({status:?}):\n{}",
        node.log_tail()
    );

    // Restarted, the node turns every 202 into exactly one order, each its own.
    let node = Node::start_with(&binary, &environment, &settings).unwrap();
    node.wait_ready(READY).await.unwrap();
    let api = Api::new(&node.base_url());
    let mut polls = JoinSet::new();
    for (buyer, purchase) in accepted.iter().cloned() {
        let api = api.clone();
        polls.spawn(async move {
            let state = api
                .await_order(&buyer.token, purchase, Duration::from_secs(45))
                .await
                .unwrap();
            (purchase, state)
        });
    }
    let mut orders = HashSet::new();
    while let Some(done) = polls.join_next().await {
        match done.unwrap() {
            (_, PurchaseState::Ordered { order_id }) => {
                assert!(orders.insert(order_id), "two purchases name one order");
            }
            (purchase, other) => panic!("accepted purchase {purchase} has no order: {other:?}"),
        }
    }
    let promised: HashSet<_> = accepted.iter().map(|(_, p)| *p).collect();
    let stored = orders_of_sale(&environment, activity).await.unwrap();
    let kept = stored
        .iter()
        .filter(|o| promised.contains(&o.purchase_id))
        .count();
    assert_eq!(
        kept,
        promised.len(),
        "one stored order per accepted purchase"
    );
    eprintln!(
        "SIGTERM after {TERMINATE_AFTER} accepted: {} accepted in all, {cut_off} cut off; \
         the node exited after {stopped_after:?}",
        accepted.len()
    );
    node.kill9().unwrap();
    environment.remove().await;
}
