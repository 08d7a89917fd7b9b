//! Connection hygiene seen from a raw socket: the connection cap closes the connection past it
//! at once, a head that never completes is cut off, a body that trickles in gets 408.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, spawn_app_with};

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection (or 10 s pass: a hang).
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0_u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server never closed the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

async fn a_connection_past_the_cap_is_closed_at_once(w: Wiring) {
    let app = spawn_app_with(w, |s| s.max_connections = 2).await;
    let held = [connect(&app).await, connect(&app).await];
    let mut third = connect(&app).await;
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    assert_eq!(
        read_to_close(&mut third).await,
        "",
        "no answer past the cap"
    );
    drop(held);
    // Places free up as the held connections close; a new one is served.
    let mut served = false;
    for _ in 0..50 {
        let mut next = connect(&app).await;
        next.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .ok();
        if read_to_close(&mut next).await.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "a connection is served once the cap has room");
    app.stop().await;
}

async fn an_unfinished_head_is_cut_off_and_a_trickling_body_gets_408(w: Wiring) {
    let app = spawn_app_with(w, |s| {
        s.header_read_timeout_millis = 300;
        s.body_read_timeout_millis = 300;
    })
    .await;
    let mut slow_head = connect(&app).await;
    slow_head
        .write_all(b"GET /healthz HTTP/1.1\r\nHo")
        .await
        .unwrap();
    assert_eq!(
        read_to_close(&mut slow_head).await,
        "",
        "closed without an answer"
    );

    let mut slow_body = connect(&app).await;
    slow_body
        .write_all(
            b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 60\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();
    let answer = read_to_close(&mut slow_body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    app.stop().await;
}

both_wirings!(
    a_connection_past_the_cap_is_closed_at_once,
    an_unfinished_head_is_cut_off_and_a_trickling_body_gets_408,
);
