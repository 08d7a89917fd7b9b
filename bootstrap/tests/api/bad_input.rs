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
            json!({"name": "X", "price": {"amount_minor": 1, "currency": "XXX"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": 1, "currency": "ABC"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"name": "X", "price": {"amount_minor": 1, "currency": "XAU"}}),
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
        // Free, at the product's full price (49 900), above it.
        (
            with("sale_price", json!({"amount_minor": 0, "currency": "USD"})),
            "validation_failed",
        ),
        (
            with(
                "sale_price",
                json!({"amount_minor": 49_900, "currency": "USD"}),
            ),
            "validation_failed",
        ),
        (
            with(
                "sale_price",
                json!({"amount_minor": 50_000, "currency": "USD"}),
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
    let publish = app.publish(&admin, &id).await;
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

// What Schemathesis found (scripts/schemathesis.sh): each test below pins one finding. They speak
// HTTP only, so the embedded wiring is enough.

async fn openapi(app: &TestApp) -> Value {
    app.get("/openapi.json", None).await.json().await.unwrap()
}

/// The component schema named by a `$ref`.
fn component<'a>(doc: &'a Value, reference: &Value) -> &'a Value {
    let name = reference
        .as_str()
        .unwrap()
        .trim_start_matches("#/components/schemas/");
    &doc["components"]["schemas"][name]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsupported_method_is_answered_with_the_methods_the_resource_allows() {
    let app = spawn_app(Wiring::Embedded).await;
    let admin = app.admin_token().await;
    let id = uuid::Uuid::now_v7();
    for (method, path, allow) in [
        (reqwest::Method::TRACE, "/api/v1/users".to_owned(), "POST"),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/admin/activities/{id}"),
            "GET, HEAD, PATCH",
        ),
        (
            reqwest::Method::PUT,
            format!("/api/v1/orders/{id}/payment"),
            "POST",
        ),
        (reqwest::Method::POST, "/healthz".to_owned(), "GET, HEAD"),
        (
            reqwest::Method::DELETE,
            "/openapi.json".to_owned(),
            "GET, HEAD",
        ),
    ] {
        let resp = app
            .client
            .request(method.clone(), app.url(&path))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.headers().get("allow").map(|v| v.to_str().unwrap()),
            Some(allow),
            "{method} {path}"
        );
        assert_problem(resp, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_or_a_boolean_is_not_text() {
    let app = spawn_app(Wiring::Embedded).await;
    let admin = app.admin_token().await;
    for body in [
        json!({"username": "numeric", "password": 123_456_789}),
        json!({"username": 1_234_567, "password": "password1"}),
        json!({"username": "boolean", "password": true}),
    ] {
        let resp = app.post("/api/v1/users", None, &body).await;
        assert_problem(resp, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let sign_in = json!({"username": "numeric", "password": "123456789"});
    assert_problem(
        app.post("/api/v1/sessions", None, &sign_in).await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    )
    .await;
    let product = json!({"name": 42, "price": {"amount_minor": 1, "currency": "USD"}});
    assert_problem(
        app.post("/api/v1/admin/products", Some(&admin), &product)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_limit_counts_the_text_as_sent_as_the_document_does() {
    let app = spawn_app(Wiring::Embedded).await;
    let admin = app.admin_token().await;
    // 119 characters once trimmed, 121 as sent: over the documented maxLength of 120.
    let padded = format!(" {} ", "n".repeat(119));
    let body = json!({"name": padded, "price": {"amount_minor": 1, "currency": "USD"}});
    let problem = assert_problem(
        app.post("/api/v1/admin/products", Some(&admin), &body)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().starts_with("name:"));
    let doc = openapi(&app).await;
    assert_eq!(
        doc["components"]["schemas"]["ProductRequest"]["properties"]["name"]["maxLength"],
        120
    );
    // Trimmed padding within the limit is still fine.
    let body = json!({"name": "\u{3000} Phone\t", "price": {"amount_minor": 1, "currency": "USD"}});
    let resp = app
        .post("/api/v1/admin/products", Some(&admin), &body)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Value>().await.unwrap()["name"], "Phone");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_documented_as_closed_and_unknown_nested_fields_are_refused() {
    let app = spawn_app(Wiring::Embedded).await;
    let admin = app.admin_token().await;
    let doc = openapi(&app).await;
    let mut closed = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            for media in content.values() {
                let schema = component(&doc, &media["schema"]["$ref"]);
                assert_eq!(schema["additionalProperties"], false, "{schema}");
                closed += 1;
            }
        }
    }
    assert!(closed >= 8, "{closed} request bodies");
    assert_eq!(
        doc["components"]["schemas"]["Money"]["additionalProperties"],
        false
    );
    let body = json!({"name": "X", "price": {"amount_minor": 1, "currency": "USD", "cents": 1}});
    assert_problem(
        app.post("/api/v1/admin/products", Some(&admin), &body)
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    // The docs page shows the same document.
    let page = app.get("/docs/", None).await.text().await.unwrap();
    assert!(page.contains("\"additionalProperties\": false"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_fields_are_documented_as_nullable_since_null_means_absent() {
    let app = spawn_app(Wiring::Embedded).await;
    let admin = app.admin_token().await;
    let doc = openapi(&app).await;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let required: Vec<&Value> = schema["required"]
            .as_array()
            .map(|r| r.iter().collect())
            .unwrap_or_default();
        for (property, spec) in schema["properties"].as_object().into_iter().flatten() {
            let nullable = spec["nullable"] == true;
            let optional = !required.contains(&&Value::from(property.as_str()));
            assert_eq!(nullable, optional, "{name}.{property}");
        }
    }
    // A request may send null for an optional field, and an answer carries null for one unset.
    let body = json!({"name": "X", "description": null, "image_url": null, "price": {"amount_minor": 1, "currency": "USD"}});
    let resp = app
        .post("/api/v1/admin/products", Some(&admin), &body)
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let product: Value = resp.json().await.unwrap();
    assert!(product["image_url"].is_null());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_states_the_rules_of_each_field() {
    let app = spawn_app(Wiring::Embedded).await;
    let doc = openapi(&app).await;
    let schemas = &doc["components"]["schemas"];
    let field = |schema: &str, property: &str| schemas[schema]["properties"][property].clone();
    let currencies = field("Money", "currency")["pattern"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(currencies.starts_with("^(AED|") && currencies.ends_with("|ZWG)$"));
    assert!(currencies.contains("|USD|") && !currencies.contains("XXX"));
    assert!(field("BulkBuyersRequest", "count")["minimum"] == 1.0);
    assert!(field("BulkBuyersRequest", "count")["maximum"] == 1000.0);
    assert_eq!(field("Money", "amount_minor")["minimum"], 0.0);
    assert_eq!(field("Money", "amount_minor")["maximum"], 1e12);
    assert_eq!(
        field("RegisterRequest", "username")["pattern"],
        "^[A-Za-z0-9_.-]{3,32}$"
    );
    assert_eq!(field("RegisterRequest", "password")["minLength"], 8);
    assert_eq!(field("RegisterRequest", "password")["maxLength"], 128);
    for schema in ["ActivityRequest", "ActivityPatch"] {
        assert_eq!(field(schema, "total_stock")["minimum"], 1.0);
        assert_eq!(field(schema, "total_stock")["maximum"], 1e7);
        assert_eq!(field(schema, "per_user_limit")["maximum"], 1000.0);
        assert_eq!(field(schema, "payment_window_seconds")["maximum"], 86_400.0);
        assert!(field(schema, "title")["pattern"].is_string());
    }
    assert_eq!(field("PurchaseRequestDto", "quantity")["minimum"], 1.0);
    assert_eq!(field("PurchaseRequestDto", "quantity")["maximum"], 1000.0);
    // Paging and waiting cannot go below zero.
    let params = |path: &str| doc["paths"][path]["get"]["parameters"].clone();
    for (path, name) in [
        ("/api/v1/activities", "offset"),
        ("/api/v1/admin/activities", "offset"),
        ("/api/v1/orders", "offset"),
        ("/api/v1/purchases/{id}", "wait"),
    ] {
        let param = params(path)
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap();
        assert_eq!(param["schema"]["minimum"], 0.0, "{path} {name}");
    }
    // What the rules refuse is refused with 422, naming the field, as before.
    let admin = app.admin_token().await;
    let product = app.product(&admin).await;
    let mut body = TestApp::activity_body(&product, 60);
    body["per_user_limit"] = json!(1001);
    let problem = assert_problem(
        app.post("/api/v1/admin/activities", Some(&admin), &body)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("per_user_limit:")
    );
    assert_problem(
        app.get("/api/v1/activities?offset=-1", None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    app.stop().await;
}
