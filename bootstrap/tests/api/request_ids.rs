//! Request ids: each answer names its request in `X-Request-Id`, and each problem body carries
//! the same id as `request_id`, the answers given from memory in front of routing included.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, spawn_app};
use crate::purchases::{published_sale, purchase_token};

/// The answer's id header and its body's `request_id`.
async fn ids(resp: reqwest::Response) -> (StatusCode, String, Value) {
    let status = resp.status();
    let header = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = resp.json().await.unwrap_or_default();
    (status, header, body)
}

async fn buy(app: &TestApp, buyer: &str, activity: &str, token: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/activities/{activity}/purchases"),
        Some(buyer),
        &json!({"purchase_token": token, "quantity": 1}),
    )
    .await
}

async fn every_problem_names_its_request(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = published_sale(&app, &admin, 1, 1, -1, None).await;
    let (first, second) = (app.buyer_token().await, app.buyer_token().await);
    let first_token = purchase_token(&app, &first, &activity).await;
    let second_token = purchase_token(&app, &second, &activity).await;

    let (status, accepted_id, _) = ids(buy(&app, &first, &activity, &first_token).await).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // Sold out by the gate, then from the node's memory: the same answer, each with its own id.
    let mut seen = vec![accepted_id];
    for _ in 0..2 {
        let (status, header, body) = ids(buy(&app, &second, &activity, &second_token).await).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "sold_out");
        assert_eq!(body["request_id"], header.as_str());
        assert!(!seen.contains(&header), "{header} twice");
        seen.push(header);
    }

    // A client's own id is kept; one that is not sane is replaced.
    let resp = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .header("x-request-id", "trace-7f3a:retry.2")
        .send()
        .await
        .unwrap();
    let (status, header, body) = ids(resp).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header, "trace-7f3a:retry.2");
    assert_eq!(body["request_id"], "trace-7f3a:retry.2");
    let resp = app
        .client
        .get(app.url("/api/v1/me"))
        .header("x-request-id", "x".repeat(200))
        .send()
        .await
        .unwrap();
    let (status, header, body) = ids(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_ne!(header, "x".repeat(200));
    assert_eq!(body["request_id"], header.as_str());
    assert_eq!(body["code"], "unauthorized");

    // Answers that are no problem carry the header only.
    let resp = app.get("/healthz", None).await;
    assert!(resp.headers().contains_key("x-request-id"));
    app.stop().await;
}

both_wirings!(every_problem_names_its_request);
