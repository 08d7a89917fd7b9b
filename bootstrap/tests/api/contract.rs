//! What the framework and the edge answer before a handler's own errors (unreadable requests,
//! missing tokens, wrong roles, media types, sizes) is in the answering operation's document:
//! the statuses derived from the use cases' errors cannot cover these, so each is tried here.

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app};

/// The answers the document lists for `operation_id`.
fn documented(doc: &Value, operation_id: &str) -> Value {
    doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .find(|op| op["operationId"] == operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id}"))["responses"]
        .clone()
}

async fn answers_as_documented(
    doc: &Value,
    operation_id: &str,
    request: RequestBuilder,
    status: StatusCode,
    code: &str,
) {
    let resp = request.send().await.unwrap();
    assert_problem(resp, status, code).await;
    let answer = &documented(doc, operation_id)[status.as_str()];
    let description = answer["description"]
        .as_str()
        .unwrap_or_else(|| panic!("{operation_id} does not document {status}"));
    assert!(
        description.contains(&format!("`{code}`")),
        "{operation_id} {status}: {description}"
    );
}

fn request(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
    let builder = app.client.request(method, app.url(path));
    match token {
        Some(token) => builder.bearer_auth(token),
        None => builder,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_edge_answers_before_a_handler_is_in_the_operations_document() {
    let app = spawn_app(Wiring::Embedded).await;
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let admin = app.admin_token().await;
    let buyer = app.buyer_token().await;
    let admin = Some(admin.as_str());
    let id = uuid::Uuid::now_v7();
    let product = json!({"name": "Phone", "price": {"amount_minor": 100, "currency": "USD"}});

    let post = |path: &str, token| request(&app, Method::POST, path, token);
    let cases = [
        (
            "createProduct",
            post("/api/v1/admin/products", admin)
                .header("content-type", "text/plain")
                .body("name=Phone"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "createProduct",
            post("/api/v1/admin/products", Some(&buyer)).json(&product),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "createActivity",
            post("/api/v1/admin/activities", admin)
                .header("content-type", "application/json")
                .body(format!("{{\"title\": \"{}\"}}", "x".repeat(70_000))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "signIn",
            post("/api/v1/sessions", None)
                .header("content-type", "application/json")
                .body("{not json"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "register",
            post("/api/v1/users", None).json(&json!({"username": "a b", "password": "x"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "me",
            request(&app, Method::GET, "/api/v1/me", None),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "me",
            request(&app, Method::GET, "/api/v1/me", Some("forged")),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "getProduct",
            request(&app, Method::GET, "/api/v1/products/not-an-id", None),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "listActivities",
            request(&app, Method::GET, "/api/v1/activities?limit=0", None),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "purchase",
            post(&format!("/api/v1/activities/{id}/purchases"), Some(&buyer))
                .header("Idempotency-Key", "k".repeat(256))
                .json(&json!({"purchase_token": "t"})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "payOrder",
            post(&format!("/api/v1/orders/{id}/payment"), Some(&buyer)),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (operation_id, request, status, code) in cases {
        answers_as_documented(&doc, operation_id, request, status, code).await;
    }
    app.stop().await;
}
