//! `GET /metrics`: a small sale moves the counters by exactly its answers, including the ones
//! given in front of routing; a published sale is a label, no other id is.

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

fn purchases(sale: &str, outcome: &str) -> String {
    format!("seckiller_purchases_total{{sale=\"{sale}\",outcome=\"{outcome}\"}}")
}

fn stock(sale: &str, place: &str) -> String {
    format!("seckiller_sale_stock_items{{sale=\"{sale}\",place=\"{place}\"}}")
}

/// Scrapes until `done` holds for a scrape (the workers record every second or two).
async fn scrape_until(base: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let mut last = scrape(base).await;
    for _ in 0..100 {
        if done(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        last = scrape(base).await;
    }
    panic!("the metrics never got there:\n{}", last.text);
}

/// The order a purchase became, once written.
async fn order_of(app: &TestApp, buyer: &str, purchase: &str) -> String {
    let status = app
        .get(
            &format!("/api/v1/purchases/{purchase}?wait=10"),
            Some(buyer),
        )
        .await;
    let body: serde_json::Value = status.json().await.unwrap();
    body["order_id"].as_str().expect("an order").to_owned()
}

/// The answer's status, and the purchase id when accepted.
async fn buy(app: &TestApp, buyer: &str, activity: &str, token: &str) -> (StatusCode, String) {
    let resp = app
        .post(
            &format!("/api/v1/activities/{activity}/purchases"),
            Some(buyer),
            &json!({"purchase_token": token, "quantity": 1}),
        )
        .await;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let id = body["purchase_id"].as_str().unwrap_or_default().to_owned();
    (status, id)
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

    // The sale is tracked (and so a label) once the sale figures have been read.
    let tracked = format!("seckiller_sale_preheated{{sale=\"{activity}\"}}");
    let before = scrape_until(&app.url(""), |s| s.value(&tracked) == 1.0).await;
    assert_eq!(before.value(&stock(&activity, "total")), 2.0);
    assert_eq!(before.value(&stock(&activity, "gate")), 2.0);
    assert_eq!(
        before.value(&format!("seckiller_sale_open{{sale=\"{activity}\"}}")),
        1.0
    );
    let mut answers = Vec::new();
    let mut accepted = Vec::new();
    for (buyer, token) in &buyers {
        let (status, id) = buy(&app, buyer, &activity, token).await;
        answers.push(status);
        if status == StatusCode::ACCEPTED {
            accepted.push((buyer.clone(), id));
        }
    }
    // Once sold out, the node answers from memory, in front of routing: counted all the same.
    let (late, late_token) = &buyers[2];
    answers.push(buy(&app, late, &activity, late_token).await.0);
    // A sale nobody published is no label: it counts under `other`.
    let stranger = Uuid::now_v7().to_string();
    let (unknown_sale, _) = buy(&app, late, &stranger, late_token).await;
    assert_eq!(unknown_sale, StatusCode::NOT_FOUND);
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
    assert_eq!(moved(&purchases(&activity, "accepted")), 2.0);
    assert_eq!(moved(&purchases(&activity, "sold_out")), 2.0);
    assert_eq!(moved(&purchases(&activity, "limit_reached")), 0.0);
    assert_eq!(moved(&purchases("other", "not_found")), 1.0);
    assert_eq!(moved(&requests(PURCHASES, "POST", 202)), 2.0);
    assert_eq!(moved(&requests(PURCHASES, "POST", 409)), 2.0);
    assert_eq!(moved(&requests(PURCHASES, "POST", 404)), 1.0);
    assert_eq!(moved(&requests("other", "GET", 404)), 1.0);
    // The first scrape is counted once it is answered.
    assert_eq!(moved(&requests("/metrics", "GET", 200)), 1.0);
    assert_eq!(before.value(&requests("/metrics", "POST", 405)), 1.0);
    assert_eq!(
        moved(&format!(
            "seckiller_http_request_duration_seconds_count{{route=\"{PURCHASES}\"}}"
        )),
        5.0
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
    assert!(after.series.contains_key("seckiller_queue_lag_purchases"));
    assert!(after.value("seckiller_connections_open") >= 1.0);
    assert!(after.value("seckiller_connections_max") >= after.value("seckiller_connections_open"));
    assert!(
        after
            .series
            .contains_key("seckiller_http_max_in_flight_requests")
    );
    assert!(after.value("seckiller_process_max_fds") > 0.0);
    assert_eq!(
        after.value(&format!(
            "seckiller_build_info{{version=\"{}\"}}",
            env!("CARGO_PKG_VERSION")
        )),
        1.0
    );
    // Every call to a dependency outside the process is timed and counted; the embedded node
    // has none.
    let redis_calls = "seckiller_dependency_calls_total{dependency=\"redis\",outcome=\"ok\"}";
    let database_calls = "seckiller_dependency_calls_total{dependency=\"database\",outcome=\"ok\"}";
    if w == Wiring::Production {
        assert!(moved(redis_calls) >= 2.0, "the gate took twice");
        assert!(moved(database_calls) >= 1.0);
        assert_eq!(
            moved("seckiller_dependency_calls_total{dependency=\"redis\",outcome=\"error\"}"),
            0.0
        );
    } else {
        assert!(!after.text.contains("seckiller_dependency_calls_total{"));
    }
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
    let batch_sizes = written.value("seckiller_order_writer_batch_size_sum")
        - before.value("seckiller_order_writer_batch_size_sum");
    assert_eq!(batch_sizes, 2.0);
    assert_eq!(
        written.value("seckiller_order_writer_commit_duration_seconds_count")
            - before.value("seckiller_order_writer_commit_duration_seconds_count"),
        batches
    );

    // One buyer pays, the other withdraws: one order paid, one cancelled, one item back.
    let (payer, paid) = &accepted[0];
    let (quitter, quit) = &accepted[1];
    let paid = order_of(&app, payer, paid).await;
    let quit = order_of(&app, quitter, quit).await;
    let pay = app
        .post(
            &format!("/api/v1/orders/{paid}/payment"),
            Some(payer),
            &json!({}),
        )
        .await;
    assert_eq!(pay.status(), StatusCode::OK);
    let again = app
        .post(
            &format!("/api/v1/orders/{paid}/payment"),
            Some(payer),
            &json!({}),
        )
        .await;
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "a replayed payment counts nothing"
    );
    let cancel = app
        .post(
            &format!("/api/v1/orders/{quit}/cancellation"),
            Some(quitter),
            &json!({}),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);
    // The figures follow the database: 1 sold, 1 back on sale in the gate and the ledger.
    let after = scrape_until(&app.url(""), |s| {
        s.value(&stock(&activity, "sold")) == 1.0 && s.value(&stock(&activity, "gate")) == 1.0
    })
    .await;
    let moved = |series: &str| after.value(series) - before.value(series);
    assert_eq!(moved("seckiller_orders_paid_total"), 1.0);
    assert_eq!(moved("seckiller_orders_cancelled_total"), 1.0);
    assert_eq!(moved("seckiller_orders_expired_total"), 0.0);
    assert_eq!(moved("seckiller_stock_returned_items_total"), 1.0);
    assert_eq!(after.value(&stock(&activity, "available")), 1.0);
    assert_eq!(after.value(&stock(&activity, "held")), 0.0);
    assert_eq!(
        after.value(&format!(
            "seckiller_sale_ledger_balanced{{sale=\"{activity}\"}}"
        )),
        1.0
    );
    assert_eq!(
        after.value(&format!(
            "seckiller_sale_queue_lag_purchases{{sale=\"{activity}\"}}"
        )),
        0.0
    );
    assert!(
        !after.text.contains(&stranger),
        "an unpublished sale in a label"
    );
    assert!(!after.text.contains("nothing"), "a raw path in a label");
    for line in after.text.lines().filter(|l| l.contains(&activity)) {
        assert!(line.contains(&format!("sale=\"{activity}\"")), "{line}");
    }
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

/// `seckiller status` reads a live node: its sale with the stock the sale has, the breakers of
/// the wiring, and the accepted purchase.
async fn the_status_view_shows_a_running_sale(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = published_sale(&app, &admin, 5, 1, -1, None).await;
    let buyer = app.buyer_token().await;
    let token = purchase_token(&app, &buyer, &activity).await;
    assert_eq!(
        buy(&app, &buyer, &activity, &token).await.0,
        StatusCode::ACCEPTED
    );
    let url = app.url("/metrics");
    let tracked = format!("seckiller_sale_stock_items{{sale=\"{activity}\",place=\"gate\"}}");
    scrape_until(&app.url(""), |s| s.value(&tracked) == 4.0).await;
    let client = reqwest::Client::new();
    let view = seckiller::status::render(
        &url,
        &seckiller::status::read(&client, &url).await.unwrap(),
        None,
    );
    let row = view
        .lines()
        .find(|l| l.starts_with(&activity))
        .unwrap_or_else(|| panic!("no row for the sale in\n{view}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..5], ["open", "yes", "5", "4"], "{row}");
    assert!(cells.contains(&"ok"), "{row}");
    if w == Wiring::Production {
        assert!(view.contains("redis closed"), "{view}");
    } else {
        assert!(view.contains("breakers: none"), "{view}");
    }
    let gone = seckiller::status::read(&client, &app.url("/nothing")).await;
    assert!(gone.is_err());
    app.stop().await;
}

both_wirings!(
    the_status_view_shows_a_running_sale,
    a_small_sale_moves_the_counters_by_exactly_its_answers,
    a_metrics_listener_of_its_own_takes_metrics_off_the_api_address,
);
