//! The purchase path end to end over HTTP, on both wirings.

mod idempotency;

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::crowd::{Buyer, buyers, orders_of, orders_per_buyer, rush};
use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app};

/// Creates and publishes a sale starting `start_in` seconds from now; returns its id.
async fn sale(app: &TestApp, admin: &str, stock: u32, limit: u32, start_in: i64) -> String {
    published_sale(app, admin, stock, limit, start_in, None).await
}

/// Creates and publishes a sale starting `start_in` seconds from now, with the given payment
/// window (the default when `None`); returns its id.
pub(crate) async fn published_sale(
    app: &TestApp,
    admin: &str,
    stock: u32,
    limit: u32,
    start_in: i64,
    pay_within: Option<u32>,
) -> String {
    let product = app.product(admin).await;
    let mut body = TestApp::activity_body(&product, start_in);
    body["total_stock"] = json!(stock);
    body["per_user_limit"] = json!(limit);
    if let Some(seconds) = pay_within {
        body["payment_window_seconds"] = json!(seconds);
    }
    let resp = app
        .post("/api/v1/admin/activities", Some(admin), &body)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = app.publish(admin, &id).await;
    assert_eq!(published.status(), StatusCode::OK);
    id
}

pub(crate) async fn stats(app: &TestApp, admin: &str, activity: &str) -> Value {
    app.get(
        &format!("/api/v1/admin/activities/{activity}/stats"),
        Some(admin),
    )
    .await
    .json()
    .await
    .unwrap()
}

pub(crate) async fn purchase_token(app: &TestApp, buyer: &str, activity: &str) -> String {
    let resp = app
        .post(
            &format!("/api/v1/activities/{activity}/purchase-tokens"),
            Some(buyer),
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_buyer_buys_and_the_order_follows(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 5, 2, -1).await;
    let buyer = app.buyer_token().await;
    let token = purchase_token(&app, &buyer, &activity).await;
    let body = json!({"purchase_token": token, "quantity": 1});
    let resp = app
        .post(
            &format!("/api/v1/activities/{activity}/purchases"),
            Some(&buyer),
            &body,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let accepted: Value = resp.json().await.unwrap();
    assert_eq!(accepted["status"], "pending");
    let status_url = format!("{}?wait=10", accepted["status_url"].as_str().unwrap());
    let answer: Value = app
        .get(&status_url, Some(&buyer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "ordered", "{answer}");
    let order_id = answer["order_id"].as_str().unwrap();

    let order: Value = app
        .get(&format!("/api/v1/orders/{order_id}"), Some(&buyer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["total_minor"], 9_900);
    let mine: Vec<Value> = app
        .get("/api/v1/orders", Some(&buyer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    let other = app.buyer_token().await;
    assert_problem(
        app.get(&format!("/api/v1/orders/{order_id}"), Some(&other))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let purchase = accepted["purchase_id"].as_str().unwrap();
    assert_problem(
        app.get(&format!("/api/v1/purchases/{purchase}"), Some(&other))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let s = stats(&app, &admin, &activity).await;
    assert_eq!(
        (
            s["available"].clone(),
            s["held"].clone(),
            s["gate_available"].clone()
        ),
        (json!(4), json!(1), json!(4))
    );
    assert_eq!(s["queue_lag"], 0);
    // The answering node's breakers: one per dependency outside the process, all closed.
    let breakers: Vec<(String, String)> = s["breakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["dependency"].as_str().unwrap().to_owned(),
                b["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = match w {
        Wiring::Production => ["database", "redis", "nats"]
            .iter()
            .map(|d| ((*d).to_owned(), "closed".to_owned()))
            .collect(),
        Wiring::Embedded => Vec::new(),
    };
    assert_eq!(breakers, expected);
    app.stop().await;
}

/// 3,000 buyers, 100 items, limit `limit`, each asking for `quantity`: exactly the stock is sold,
/// nobody passes the limit, every 202 became one order, and every other answer is sold out.
async fn crowd(w: Wiring, limit: u32, quantity: u32) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 100, limit, -1).await;
    let crowd = buyers(&app, 3000).await;
    let attempts = rush(&app, &activity, &crowd, quantity).await;

    let accepted: Vec<(Buyer, String)> = attempts
        .iter()
        .filter(|a| a.status == StatusCode::ACCEPTED)
        .map(|a| {
            let buyer = crowd.iter().find(|b| b.id == a.buyer).unwrap().clone();
            (buyer, a.body["purchase_id"].as_str().unwrap().to_owned())
        })
        .collect();
    let others: Vec<_> = attempts
        .iter()
        .filter(|a| a.status != StatusCode::ACCEPTED)
        .collect();
    assert_eq!(accepted.len() as u32, 100 / quantity, "accepted purchases");
    for refused in &others {
        assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
        assert_eq!(refused.body["code"], "sold_out", "{:?}", refused.body);
    }

    let orders = orders_of(&app, &accepted).await;
    let distinct: HashSet<&String> = orders.values().collect();
    assert_eq!(
        distinct.len(),
        accepted.len(),
        "one order per accepted purchase"
    );
    let per_buyer = orders_per_buyer(&app, &activity).await;
    assert_eq!(
        per_buyer.values().map(|(n, _)| n).sum::<i64>(),
        accepted.len() as i64
    );
    assert_eq!(
        per_buyer.values().map(|(_, items)| items).sum::<i64>(),
        100,
        "exactly the stock is sold"
    );
    assert!(
        per_buyer
            .values()
            .all(|(n, items)| *n == 1 && *items <= i64::from(limit)),
        "nobody passes the limit"
    );

    let s = stats(&app, &admin, &activity).await;
    assert_eq!(
        (
            s["available"].clone(),
            s["held"].clone(),
            s["gate_available"].clone()
        ),
        (json!(0), json!(100), json!(0))
    );
    assert_eq!(
        (s["live_orders"].clone(), s["live_items"].clone()),
        (json!(accepted.len()), json!(100))
    );
    app.stop().await;
}

async fn a_crowd_of_3000_buys_exactly_100_with_limit_1(w: Wiring) {
    crowd(w, 1, 1).await;
}

async fn a_crowd_of_3000_buying_2_each_buys_exactly_100_with_limit_2(w: Wiring) {
    crowd(w, 2, 2).await;
}

async fn one_buyer_firing_50_requests_at_once_gets_at_most_the_limit(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 100, 2, -1).await;
    let buyer = buyers(&app, 1).await.remove(0);
    let same_buyer: Vec<Buyer> = std::iter::repeat_n(buyer.clone(), 50).collect();
    let attempts = rush(&app, &activity, &same_buyer, 1).await;
    let accepted = attempts
        .iter()
        .filter(|a| a.status == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 2);
    assert!(
        attempts
            .iter()
            .filter(|a| a.status != StatusCode::ACCEPTED)
            .all(|a| a.status == StatusCode::CONFLICT && a.body["code"] == "limit_reached"),
        "every other answer is limit_reached"
    );
    let s = stats(&app, &admin, &activity).await;
    assert_eq!(s["gate_available"], 98);
    app.stop().await;
}

async fn refused_purchases_say_why_and_take_nothing(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let buyer = app.buyer_token().await;
    let other = app.buyer_token().await;
    let buy = |activity: String, token: String, quantity: i64| {
        let body = json!({"purchase_token": token, "quantity": quantity});
        let app = &app;
        let buyer = buyer.clone();
        async move {
            app.post(
                &format!("/api/v1/activities/{activity}/purchases"),
                Some(&buyer),
                &body,
            )
            .await
        }
    };

    // Not started: no token is issued, and a purchase is refused before the token is even read.
    let upcoming = sale(&app, &admin, 10, 1, 3600).await;
    let resp = app
        .post(
            &format!("/api/v1/activities/{upcoming}/purchase-tokens"),
            Some(&buyer),
            &json!({}),
        )
        .await;
    assert_problem(resp, StatusCode::from_u16(425).unwrap(), "not_started").await;
    assert_problem(
        buy(upcoming.clone(), "x".into(), 1).await,
        StatusCode::from_u16(425).unwrap(),
        "not_started",
    )
    .await;

    // Open: bad tokens, another buyer's token, and a zero quantity.
    let open = sale(&app, &admin, 10, 1, -1).await;
    let theirs = purchase_token(&app, &other, &open).await;
    assert_problem(
        buy(open.clone(), "forged".into(), 1).await,
        StatusCode::FORBIDDEN,
        "bad_token",
    )
    .await;
    assert_problem(
        buy(open.clone(), theirs, 1).await,
        StatusCode::FORBIDDEN,
        "bad_token",
    )
    .await;
    let mine = purchase_token(&app, &buyer, &open).await;
    assert_problem(
        buy(open.clone(), mine.clone(), 0).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        buy(open.clone(), mine.clone(), 2).await,
        StatusCode::CONFLICT,
        "limit_reached",
    )
    .await;
    let no_token = app
        .post(
            &format!("/api/v1/activities/{open}/purchases"),
            Some(&buyer),
            &json!({"quantity": 1}),
        )
        .await;
    assert_problem(no_token, StatusCode::BAD_REQUEST, "bad_request").await;
    // A token for one sale does not buy in another.
    let other_sale = sale(&app, &admin, 10, 1, -1).await;
    assert_problem(
        buy(other_sale.clone(), mine.clone(), 1).await,
        StatusCode::FORBIDDEN,
        "bad_token",
    )
    .await;
    let s = stats(&app, &admin, &open).await;
    assert_eq!(s["available"], 10);
    // The gate holds the sale's stock once preheated (or nothing yet): never less.
    assert!(
        s["gate_available"] == 10 || s["gate_available"].is_null(),
        "{s}"
    );

    // Cancelled: refused with 410, stock untouched.
    app.post(
        &format!("/api/v1/admin/activities/{open}/cancellation"),
        Some(&admin),
        &json!({}),
    )
    .await;
    assert_problem(
        buy(open.clone(), mine, 1).await,
        StatusCode::GONE,
        "activity_cancelled",
    )
    .await;
    let s = stats(&app, &admin, &open).await;
    assert!(
        s["gate_available"] == 10 || s["gate_available"].is_null(),
        "{s}"
    );
    // Unknown sale.
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_problem(
        buy(unknown, "x".into(), 1).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

async fn a_retried_request_with_the_same_idempotency_key_buys_once(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 10, 3, -1).await;
    let buyer = app.buyer_token().await;
    let mut ids = HashSet::new();
    for _ in 0..3 {
        let token = purchase_token(&app, &buyer, &activity).await;
        let resp = app
            .client
            .post(app.url(&format!("/api/v1/activities/{activity}/purchases")))
            .bearer_auth(&buyer)
            .header("Idempotency-Key", "checkout-42")
            .json(&json!({"purchase_token": token}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        ids.insert(
            resp.json::<Value>().await.unwrap()["purchase_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(ids.len(), 1, "the same purchase every time");
    let id = ids.into_iter().next().unwrap();
    let answer: Value = app
        .get(&format!("/api/v1/purchases/{id}?wait=10"), Some(&buyer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "ordered");
    let s = stats(&app, &admin, &activity).await;
    assert_eq!(
        (s["gate_available"].clone(), s["held"].clone()),
        (json!(9), json!(1))
    );
    app.stop().await;
}

/// Once the node knows a sale is sold out, buyers get the very answer the gate gave, served from
/// memory in front of routing: same status, content type and body, for purchases and purchase
/// tokens alike; the body is not even parsed. A request without a bearer token still gets 401.
async fn a_sold_out_sale_answers_from_memory_what_the_gate_answered(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 1, 1, -1).await;
    let path = format!("/api/v1/activities/{activity}/purchases");
    let winner = app.buyer_token().await;
    let token = purchase_token(&app, &winner, &activity).await;
    let won = app
        .post(&path, Some(&winner), &json!({ "purchase_token": token }))
        .await;
    assert_eq!(won.status(), StatusCode::ACCEPTED);

    let late = app.buyer_token().await;
    let token = purchase_token(&app, &late, &activity).await;
    // The same answer, but for the id of the request it answers.
    let answer = |resp: reqwest::Response| async move {
        let content_type = resp.headers()[reqwest::header::CONTENT_TYPE].clone();
        let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
        let status = resp.status();
        let body = String::from_utf8(resp.bytes().await.unwrap().to_vec()).unwrap();
        let own = format!(",\"request_id\":\"{id}\"");
        assert!(body.contains(&own), "{body}");
        (status, content_type, body.replacen(&own, "", 1))
    };
    let body = json!({ "purchase_token": token });
    let from_gate = answer(app.post(&path, Some(&late), &body).await).await;
    assert_eq!(from_gate.0, StatusCode::CONFLICT);
    let from_memory = answer(app.post(&path, Some(&late), &body).await).await;
    assert_eq!(from_memory, from_gate);
    let problem: Value = serde_json::from_str(&from_memory.2).unwrap();
    assert_eq!(problem["code"], "sold_out");

    let unparsed = answer(app.post(&path, Some(&late), &json!("not an object")).await).await;
    assert_eq!(unparsed, from_gate);
    let tokens = format!("/api/v1/activities/{activity}/purchase-tokens");
    let token_refused = answer(app.post(&tokens, Some(&late), &json!({})).await).await;
    assert_eq!(token_refused, from_gate, "a token for a sold-out sale");
    assert_problem(
        app.post(&path, None, &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.stop().await;
}

/// Sales published a second before they open are in the gate for their first buyers: bought
/// all at once at the opening, none answers 503, and each sells exactly its stock.
async fn sales_published_a_second_before_opening_sell_at_once_without_503(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let mut sales = Vec::new();
    for _ in 0..3 {
        sales.push(sale(&app, &admin, 5, 1, 1).await);
    }
    let crowd = buyers(&app, 12).await;
    for id in &sales {
        // Polls the public detail until the opening second has passed.
        loop {
            let detail: Value = app
                .get(&format!("/api/v1/activities/{id}"), None)
                .await
                .json()
                .await
                .unwrap();
            if detail["phase"] == "open" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    let rushes = futures::future::join_all(sales.iter().map(|id| rush(&app, id, &crowd, 1))).await;
    for attempts in rushes {
        for attempt in &attempts {
            assert_ne!(
                attempt.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{:?}",
                attempt.body
            );
        }
        let accepted = attempts
            .iter()
            .filter(|a| a.status == StatusCode::ACCEPTED)
            .count();
        assert_eq!(accepted, 5);
    }
    app.stop().await;
}

both_wirings!(
    sales_published_a_second_before_opening_sell_at_once_without_503,
    a_buyer_buys_and_the_order_follows,
    a_crowd_of_3000_buys_exactly_100_with_limit_1,
    a_crowd_of_3000_buying_2_each_buys_exactly_100_with_limit_2,
    one_buyer_firing_50_requests_at_once_gets_at_most_the_limit,
    refused_purchases_say_why_and_take_nothing,
    a_retried_request_with_the_same_idempotency_key_buys_once,
    a_sold_out_sale_answers_from_memory_what_the_gate_answered,
);
