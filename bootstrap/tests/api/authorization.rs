//! Who may call is settled before the request is read: on every protected operation of the
//! document, a missing or forged token is 401 and a buyer on an admin route is 403, whatever the
//! body, its content type or its size. The operations are read from the served document, so a
//! new protected route is covered without touching this file.

use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app};

/// A token of the right shape signed with another key.
const FORGED: &str =
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJl";

/// Every (method, path with ids filled in) of the document that names a security requirement.
async fn protected_operations(app: &TestApp) -> Vec<(Method, String)> {
    let document: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let mut operations = Vec::new();
    for (template, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if secured {
                let path = template
                    .split('/')
                    .map(|s| match s.starts_with('{') {
                        true => "0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21",
                        false => s,
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                operations.push((method, path));
            }
        }
    }
    operations
}

/// A request no handler would accept: an incomplete body in a content type nobody reads.
async fn unreadable(
    app: &TestApp,
    method: &Method,
    path: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method.clone(), app.url(path))
        .header(CONTENT_TYPE, "text/plain")
        .body("{\"name\":");
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_protected_operation_refuses_a_missing_or_forged_token_before_reading_the_body() {
    let app = spawn_app(Wiring::Embedded).await;
    let operations = protected_operations(&app).await;
    assert!(operations.len() >= 15, "{operations:?}");
    for (method, path) in &operations {
        let resp = unreadable(&app, method, path, None).await;
        assert_eq!(
            resp.headers()[WWW_AUTHENTICATE],
            "Bearer",
            "{method} {path}"
        );
        let problem = assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert_eq!(problem["status"], 401, "{method} {path}");
        let resp = unreadable(&app, method, path, Some(FORGED)).await;
        assert_problem(resp, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_on_any_admin_route_is_forbidden_before_its_body_is_read() {
    let app = spawn_app(Wiring::Embedded).await;
    let buyer = app.buyer_token().await;
    let admin_operations: Vec<_> = protected_operations(&app)
        .await
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/v1/admin/"))
        .collect();
    let posts = admin_operations
        .iter()
        .filter(|(m, _)| m == Method::POST)
        .count();
    assert!(posts >= 5, "{admin_operations:?}");
    for (method, path) in &admin_operations {
        // An incomplete JSON body, as the schema would complain about.
        let resp = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&buyer)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
        let resp = unreadable(&app, method, path, Some(&buyer)).await;
        assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
    }
    // The whole admin area, routes that do not exist included.
    let resp = unreadable(
        &app,
        &Method::POST,
        "/api/v1/admin/no-such-thing",
        Some(&buyer),
    )
    .await;
    assert_problem(resp, StatusCode::FORBIDDEN, "forbidden").await;
    let resp = unreadable(&app, &Method::GET, "/api/v1/admin/no-such-thing", None).await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // An admin gets past the edge: the same unknown route is then simply not there.
    let admin = app.admin_token().await;
    let resp = unreadable(
        &app,
        &Method::GET,
        "/api/v1/admin/no-such-thing",
        Some(&admin),
    )
    .await;
    assert_problem(resp, StatusCode::NOT_FOUND, "not_found").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused_for_its_missing_token_first() {
    let app = spawn_app(Wiring::Embedded).await;
    let huge = "x".repeat(200_000);
    let resp = app
        .client
        .post(app.url("/api/v1/admin/products"))
        .header(CONTENT_TYPE, "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Signed in, the size is what is wrong.
    let admin = app.admin_token().await;
    let resp = app
        .client
        .post(app.url("/api/v1/admin/products"))
        .bearer_auth(&admin)
        .header(CONTENT_TYPE, "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(resp, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_route_checks_the_token_first_then_the_content_type() {
    let app = spawn_app(Wiring::Embedded).await;
    let path = "/api/v1/activities/0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21/purchases";
    let resp = unreadable(&app, &Method::POST, path, None).await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let resp = unreadable(&app, &Method::POST, path, Some(FORGED)).await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "invalid_token").await;
    // With a good token the request is read, and its content type is what is wrong.
    let buyer = app.buyer_token().await;
    let resp = unreadable(&app, &Method::POST, path, Some(&buyer)).await;
    assert_problem(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    app.stop().await;
}
