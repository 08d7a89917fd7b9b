//! Redis away: the gate answers `GateError` within its two-second timeouts instead of hanging,
//! and recovers once Redis is back. The `timeout`s below only turn a hang into a failure.

use std::net::SocketAddr;
use std::time::Duration;

use fred::prelude::{Config, ServerConfig};
use seckiller_contract::gate::fixtures::{a_buyer, a_purchase, an_activity_id, items};
use seckiller_domain::ports::{GateDecision, StockGate};
use seckiller_redis::RedisStockGate;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::timeout;

use crate::harness::{open, redis_url};

const HANG: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_dead_redis_is_an_error_not_a_hang() {
    let connected = timeout(HANG, RedisStockGate::connect("redis://127.0.0.1:1", "x:")).await;
    assert!(matches!(connected, Ok(Err(_))), "{connected:?}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_an_error_not_a_hang() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let connected = timeout(HANG, RedisStockGate::connect(&url, "x:")).await;
    silent.abort();
    assert!(matches!(connected, Ok(Err(_))), "{connected:?}");
}

#[tokio::test]
async fn losing_redis_fails_calls_fast_and_they_recover_when_it_returns() {
    // Keys and their cleanup come from a direct gate; the one under test reaches Redis through a
    // proxy that the test cuts.
    let direct = open().await;
    let proxy = Proxy::start("127.0.0.1:0".parse().unwrap()).await;
    let gate = RedisStockGate::connect(&format!("redis://{}", proxy.addr), &direct.prefix)
        .await
        .unwrap();
    let activity = an_activity_id();
    gate.preheat(activity, 10, items(5), &[]).await.unwrap();

    let addr = proxy.addr;
    proxy.stop().await;
    let purchase = a_purchase(activity, a_buyer(), 1);
    let answer = timeout(HANG, gate.try_take(&purchase)).await;
    assert!(matches!(answer, Ok(Err(_))), "{answer:?}");

    let _back = Proxy::start(addr).await;
    let mut attempts = 0;
    let decision = loop {
        attempts += 1;
        match timeout(HANG, gate.try_take(&purchase)).await {
            Ok(Ok(decision)) => break decision,
            Ok(Err(_)) if attempts < 20 => tokio::time::sleep(Duration::from_millis(250)).await,
            other => panic!("the gate did not come back: {other:?}"),
        }
    };
    assert_eq!(decision, GateDecision::Accepted);
    assert_eq!(
        direct.gate.available(activity).await.unwrap(),
        Some(9),
        "taken once, even if the failed attempt reached Redis"
    );
}

/// Forwards TCP connections to the test Redis until stopped; stopping drops every connection.
struct Proxy {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(addr: SocketAddr) -> Proxy {
        let upstream = redis_addr().await;
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let mut links = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                links.spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Proxy { addr, task }
    }

    async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// The host and port of the test Redis (a single server).
async fn redis_addr() -> SocketAddr {
    let config = Config::from_url(&redis_url()).unwrap();
    let ServerConfig::Centralized { server } = config.server else {
        panic!("the outage test needs a single Redis server");
    };
    tokio::net::lookup_host((server.host.to_string(), server.port))
        .await
        .unwrap()
        .next()
        .unwrap()
}
