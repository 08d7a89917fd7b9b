//! Trace export: a node given `SECKILLER_OTLP_ENDPOINT` sends its spans over OTLP/HTTP — the
//! request, the port calls of a purchase named with their sale and outcome, and the calls to
//! Redis and NATS beneath them — to a receiver
//! this test runs itself.

// clippy.toml allows unwrap in `#[test]` functions only; the helpers below are test code too.
#![allow(clippy::unwrap_used)]

use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use seckiller_e2e::environment::{ADMIN, ADMIN_PASSWORD};
use seckiller_e2e::{Api, Environment, Node, SaleSpec, insert_buyers, seckiller_binary};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// How long a node may take to become ready.
const READY: Duration = Duration::from_secs(30);

/// What the receiver was sent: each request's path and body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// Answers every HTTP/1.1 request on `stream` with an empty 200, keeping its path and body.
async fn serve(stream: TcpStream, received: Received) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let path = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if stream.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if stream.read_exact(&mut body).await.is_err() {
            return;
        }
        received.lock().unwrap().push((path, body));
        let answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if stream.get_mut().write_all(answer).await.is_err() {
            return;
        }
    }
}

/// A receiver on a free port: its address and what it got.
async fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Received::default();
    let kept = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, kept.clone()));
        }
    });
    (url, received)
}

/// Whether some export to the traces path holds every one of `words`.
fn exported(received: &Received, words: &[&str]) -> bool {
    let received = received.lock().unwrap();
    let bodies: Vec<&[u8]> = received
        .iter()
        .filter(|(path, _)| path == "/v1/traces")
        .map(|(_, body)| body.as_slice())
        .collect();
    words.iter().all(|word| {
        bodies
            .iter()
            .any(|body| body.windows(word.len()).any(|w| w == word.as_bytes()))
    })
}

#[tokio::test]
async fn a_purchase_is_exported_as_spans_of_its_port_calls() {
    let (url, received) = receiver().await;
    let binary = tokio::task::spawn_blocking(seckiller_binary)
        .await
        .unwrap()
        .unwrap();
    let environment = Environment::create().await.unwrap();
    let settings = [
        ("SECKILLER_OTLP_ENDPOINT", url.as_str()),
        // The SDK's batch delay, so the test need not wait its default 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    ];
    let node = Node::start_with(&binary, &environment, &settings).unwrap();
    node.wait_ready(READY).await.unwrap();
    let api = Api::new(&node.base_url());
    let admin = api.sign_in(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let sale = SaleSpec {
        total_stock: 3,
        per_user_limit: 1,
        starts_in: chrono::Duration::seconds(-1),
        lasts: chrono::Duration::hours(1),
    };
    let activity = api.open_sale(&admin, sale).await.unwrap();
    let buyer = insert_buyers(&environment, 1).await.unwrap().remove(0);
    api.buy(&buyer.token, activity, NonZeroU64::MIN)
        .await
        .unwrap();

    let sale_id = activity.to_string();
    let words = [
        "seckiller",
        "request",
        "gate.take",
        "accepted",
        "queue.publish",
        "stored",
        // The guarded calls below the ports: Redis for the take, NATS for the publish.
        "redis",
        "nats",
        sale_id.as_str(),
    ];
    for _ in 0..100 {
        if exported(&received, &words) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        exported(&received, &words),
        "exports: {:?}\n{}",
        received
            .lock()
            .unwrap()
            .iter()
            .map(|(path, body)| (path.clone(), body.len()))
            .collect::<Vec<_>>(),
        node.log_tail()
    );
}
