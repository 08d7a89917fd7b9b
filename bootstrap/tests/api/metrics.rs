//! `GET /metrics`: a small sale moves the counters by exactly its answers, including the ones
//! given in front of routing, and no label carries an id.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, spawn_app, spawn_app_with};
use crate::purchases::{published_sale, purchase_token};

const PURCHASES: &str = "/api/v1/activities/{id}/purchases";

/// One scrape: each series (name and labels, as written) with its value.
struct Scrape {
    text: String,
    series: HashMap<String, f64>,
}

impl Scrape {
    fn parse(text: String) -> Self {
        let series = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| {
                let (name, value) = line.rsplit_once(' ').expect("a series and its value");
                (name.to_owned(), value.parse().expect("a number"))
            })
            .collect();
        Self { text, series }
    }

    /// The value of `series`, 0 when it is not there yet.
    fn value(&self, series: &str) -> f64 {
        self.series.get(series).copied().unwrap_or(0.0)
    }
}

async fn scrape(base: &str) -> Scrape {
    let resp = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Scrape::parse(resp.text().await.unwrap())
}

fn requests(route: &str, method: &str, status: u16) -> String {
    format!(
        "seckiller_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"
    )
}

fn purchases(outcome: &str) -> String {
    format!("seckiller_purchases_total{{outcome=\"{outcome}\"}}")
}

async fn buy(app: &TestApp, buyer: &str, activity: &str, token: &str) -> StatusCode {
    app.post(
        &format!("/api/v1/activities/{activity}/purchases"),
        Some(buyer),
        &json!({"purchase_token": token, "quantity": 1}),
    )
    .await
    .status()
}

async fn a_small_sale_moves_the_counters_by_exactly_its_answers(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = published_sale(&app, &admin, 2, 1, -1, None).await;
    let mut buyers = Vec::new();
    for _ in 0..3 {
        let buyer = app.buyer_token().await;
        let token = purchase_token(&app, &buyer, &activity).await;
        buyers.push((buyer, token));
    }
    let wrong_method = app.post("/metrics", None, &json!({})).await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.headers()["allow"], "GET, HEAD");

    let before = scrape(&app.url("")).await;
    let mut answers = Vec::new();
    for (buyer, token) in &buyers {
        answers.push(buy(&app, buyer, &activity, token).await);
    }
    // Once sold out, the node answers from memory, in front of routing: counted all the same.
    let (late, late_token) = &buyers[2];
    answers.push(buy(&app, late, &activity, late_token).await);
    assert_eq!(
        answers,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::CONFLICT,
            StatusCode::CONFLICT
        ]
    );
    let unknown = app
        .get(&format!("/api/v1/nothing/{}", Uuid::now_v7()), None)
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let after = scrape(&app.url("")).await;

    let moved = |series: &str| after.value(series) - before.value(series);
    assert_eq!(moved(&purchases("accepted")), 2.0);
    assert_eq!(moved(&purchases("sold_out")), 2.0);
    assert_eq!(moved(&purchases("limit_reached")), 0.0);
    assert_eq!(moved(&requests(PURCHASES, "POST", 202)), 2.0);
    assert_eq!(moved(&requests(PURCHASES, "POST", 409)), 2.0);
    assert_eq!(moved(&requests("other", "GET", 404)), 1.0);
    // The first scrape is counted once it is answered.
    assert_eq!(moved(&requests("/metrics", "GET", 200)), 1.0);
    assert_eq!(before.value(&requests("/metrics", "POST", 405)), 1.0);
    assert_eq!(
        moved(&format!(
            "seckiller_http_request_duration_seconds_count{{route=\"{PURCHASES}\"}}"
        )),
        4.0
    );
    // The scrape itself is the one request in flight.
    assert_eq!(after.value("seckiller_http_in_flight_requests"), 1.0);
    let breakers: Vec<(&String, &f64)> = after
        .series
        .iter()
        .filter(|(name, _)| name.starts_with("seckiller_breaker_state{"))
        .collect();
    assert!(
        breakers.iter().all(|(_, state)| **state == 0.0),
        "{breakers:?}"
    );
    if w == Wiring::Production {
        assert_eq!(
            after.value("seckiller_breaker_state{dependency=\"redis\"}"),
            0.0
        );
        assert!(
            after
                .series
                .contains_key("seckiller_breaker_state{dependency=\"redis\"}")
        );
    }
    assert!(after.series.contains_key("seckiller_queue_lag"));
    assert!(after.value("seckiller_process_resident_memory_bytes") > 0.0);
    assert!(after.value("seckiller_process_open_fds") > 0.0);
    assert!(after.value("seckiller_process_cpu_seconds_total") > 0.0);
    // The order writer turns the two accepted purchases into two orders, in one or two batches.
    let orders = "seckiller_order_writer_orders_total";
    let mut written = after;
    for _ in 0..100 {
        if written.value(orders) - before.value(orders) >= 2.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        written = scrape(&app.url("")).await;
    }
    assert_eq!(written.value(orders) - before.value(orders), 2.0);
    let batches = written.value("seckiller_order_writer_batches_total")
        - before.value("seckiller_order_writer_batches_total");
    assert!((1.0..=2.0).contains(&batches), "{batches} batches");
    let after = written;
    assert!(!after.text.contains(&activity), "a sale id in a label");
    assert!(!after.text.contains("nothing"), "a raw path in a label");
    app.stop().await;
}

async fn a_metrics_listener_of_its_own_takes_metrics_off_the_api_address(w: Wiring) {
    let app = spawn_app_with(w, |s| {
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap())
    })
    .await;
    let own = format!("http://{}", app.metrics_addr().expect("a metrics address"));
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let scrape = scrape(&own).await;
    assert_eq!(scrape.value(&requests("/healthz", "GET", 200)), 1.0);
    assert_eq!(scrape.value(&requests("other", "GET", 404)), 1.0);
    let api_only = reqwest::get(format!("{own}/healthz")).await.unwrap();
    assert_eq!(api_only.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

both_wirings!(
    a_small_sale_moves_the_counters_by_exactly_its_answers,
    a_metrics_listener_of_its_own_takes_metrics_off_the_api_address,
);
