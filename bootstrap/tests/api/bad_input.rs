//! Bad input of every kind gets a 4xx problem+json answer and changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app};

async fn admin_activity_count(app: &TestApp, admin: &str) -> usize {
    app.get("/api/v1/admin/activities?limit=100", Some(admin))
        .await
        .json::<Vec<Value>>()
        .await
        .unwrap()
        .len()
}

async fn malformed_or_wrongly_typed_json_is_a_bad_request(w: Wiring) {
    let app = spawn_app(w).await;
    let raw = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/users"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_problem(
        raw("{not json").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        raw(r#"{"username": {"first": "eve"}, "password": "password1"}"#)
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        raw(r#"{"username": "eve"}"#).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        raw("[]").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    let unknown = json!({"username": "eve", "password": "password1", "role": "admin"});
    assert_problem(
        app.post("/api/v1/users", None, &unknown).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    // None of these created an account.
    let sign_in = json!({"username": "eve", "password": "password1"});
    assert_problem(
        app.post("/api/v1/sessions", None, &sign_in).await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    )
    .await;
    app.stop().await;
}

async fn bad_account_fields_are_unprocessable(w: Wiring) {
    let app = spawn_app(w).await;
    for body in [
        json!({"username": "", "password": "password1"}),
        json!({"username": "x".repeat(33), "password": "password1"}),
        json!({"username": "has space", "password": "password1"}),
        json!({"username": "frank", "password": "short"}),
        json!({"username": "frank", "password": "p".repeat(129)}),
    ] {
        let resp = app.post("/api/v1/users", None, &body).await;
        assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    app.stop().await;
}

async fn bad_product_fields_are_refused_and_nothing_changes(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let bad = [
        (
            json!({"name": "", "price": {"amount_minor": 1, "currency": "USD"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "n".repeat(121), "price": {"amount_minor": 1, "currency": "USD"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": -1, "currency": "USD"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": 1_000_000_000_001_i64, "currency": "USD"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": 1, "currency": "usd"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": 1, "currency": "USD"}, "image_url": "javascript:alert(1)"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": 1e30, "currency": "USD"}}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": "1", "currency": "USD"}}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, status) in bad {
        let resp = app
            .post("/api/v1/admin/products", Some(&admin), &body)
            .await;
        assert_eq!(resp.status(), status, "{body}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }
    let id = app.product(&admin).await;
    let resp = app
        .patch(
            &format!("/api/v1/admin/products/{id}"),
            Some(&admin),
            &json!({"name": "  "}),
        )
        .await;
    assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let product: Value = app
        .get(&format!("/api/v1/products/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(product["name"], "Phone");
    app.stop().await;
}

async fn bad_activity_fields_are_refused_and_nothing_is_created(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let product = app.product(&admin).await;
    let valid = TestApp::activity_body(&product, 60);
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let past_start = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let past_end = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let cases = [
        (with("total_stock", json!(0)), "validation_failed"),
        (with("total_stock", json!(-5)), "validation_failed"),
        (with("total_stock", json!(10_000_001)), "validation_failed"),
        (with("per_user_limit", json!(0)), "validation_failed"),
        (with("per_user_limit", json!(-1)), "validation_failed"),
        (with("title", json!("")), "validation_failed"),
        (
            with("ends_at", valid["starts_at"].clone()),
            "validation_failed",
        ),
        (
            with(
                "sale_price",
                json!({"amount_minor": 100, "currency": "EUR"}),
            ),
            "validation_failed",
        ),
        (
            with(
                "sale_price",
                json!({"amount_minor": 9_000_000_000_000_000_i64, "currency": "USD"}),
            ),
            "validation_failed",
        ),
        (
            with("payment_window_seconds", json!(0)),
            "validation_failed",
        ),
        (
            with("product_id", json!(uuid::Uuid::now_v7().to_string())),
            "validation_failed",
        ),
        (
            with("starts_at", json!(past_start))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("ends_at".into(), json!(past_end));
                    Value::Object(o)
                })
                .unwrap(),
            "validation_failed",
        ),
    ];
    for (body, code) in cases {
        let resp = app
            .post("/api/v1/admin/activities", Some(&admin), &body)
            .await;
        assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    for body in [
        with("starts_at", json!("yesterday")),
        with("product_id", json!("not-a-uuid")),
        with("extra", json!(1)),
    ] {
        let resp = app
            .post("/api/v1/admin/activities", Some(&admin), &body)
            .await;
        assert_problem(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    assert_eq!(admin_activity_count(&app, &admin).await, 0);
    app.stop().await;
}

async fn unknown_ids_are_not_found(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let id = uuid::Uuid::now_v7();
    assert_problem(
        app.get(&format!("/api/v1/products/{id}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/activities/{id}"), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let publish = app
        .post(
            &format!("/api/v1/admin/activities/{id}/publication"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_problem(publish, StatusCode::NOT_FOUND, "not_found").await;
    let patch = app
        .patch(
            &format!("/api/v1/admin/products/{id}"),
            Some(&admin),
            &json!({"name": "X"}),
        )
        .await;
    assert_problem(patch, StatusCode::NOT_FOUND, "not_found").await;
    // A malformed id is a bad request, not a crash.
    assert_problem(
        app.get("/api/v1/activities/12345", None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/activities?limit=0", None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/activities?phase=soon", None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    app.stop().await;
}

async fn huge_bodies_are_refused_with_413(w: Wiring) {
    let app = spawn_app(w).await;
    let huge = json!({"username": "x".repeat(200_000), "password": "password1"});
    assert_problem(
        app.post("/api/v1/users", None, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    app.stop().await;
}

both_wirings!(
    malformed_or_wrongly_typed_json_is_a_bad_request,
    bad_account_fields_are_unprocessable,
    bad_product_fields_are_refused_and_nothing_changes,
    bad_activity_fields_are_refused_and_nothing_is_created,
    unknown_ids_are_not_found,
    huge_bodies_are_refused_with_413,
);
