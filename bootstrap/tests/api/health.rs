use reqwest::StatusCode;
use serde_json::Value;

use crate::both_wirings;
use crate::helpers::{Wiring, assert_problem, spawn_app};

async fn health_readiness_docs_and_page_are_served(w: Wiring) {
    let app = spawn_app(w).await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    // Every dependency of the wiring is named, with its breaker where it has one.
    assert_eq!(ready["dependencies"]["database"]["status"], "up");
    if w == Wiring::Production {
        for server in ["redis", "nats"] {
            assert_eq!(ready["dependencies"][server]["status"], "up", "{ready}");
            assert_eq!(
                ready["dependencies"][server]["breaker"], "closed",
                "{ready}"
            );
        }
    } else {
        assert!(ready["dependencies"].get("redis").is_none(), "{ready}");
    }
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(
        spec["paths"]["/api/v1/activities/{id}"]["get"].is_object(),
        "spec lists the activity path"
    );
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("swagger")
    );
    let page = app.get("/", None).await.text().await.unwrap();
    assert!(page.contains("SecKiller"));
    app.stop().await;
}

async fn unknown_routes_and_methods_answer_with_problems(w: Wiring) {
    let app = spawn_app(w).await;
    assert_problem(
        app.get("/api/v1/nothing-here", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let resp = app
        .client
        .delete(app.url("/api/v1/activities"))
        .send()
        .await
        .unwrap();
    assert_problem(resp, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    app.stop().await;
}

both_wirings!(
    health_readiness_docs_and_page_are_served,
    unknown_routes_and_methods_answer_with_problems
);

/// The database disappears under a running node: readiness and every call that needs storage
/// answer 503 problem+json, and nothing panics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_gives_503_problems_not_crashes() {
    let app = spawn_app(Wiring::Production).await;
    let admin = app.admin_token().await;
    app.drop_database().await;

    let probe = app.get("/readyz", None).await;
    assert_eq!(
        probe.headers()["retry-after"],
        "1",
        "every 503 says when to come back"
    );
    let probe: Value = probe.json().await.unwrap();
    assert_eq!(probe["status"], 503);
    assert_eq!(probe["code"], "unavailable");
    assert_eq!(
        probe["dependencies"]["database"]["status"], "down",
        "{probe}"
    );
    assert!(
        probe["detail"].as_str().unwrap().contains("database"),
        "names what is down: {probe}"
    );
    let list = app.get("/api/v1/activities", None).await;
    assert_problem(list, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let body = serde_json::json!({"name": "X", "price": {"amount_minor": 1, "currency": "USD"}});
    let resp = app
        .post("/api/v1/admin/products", Some(&admin), &body)
        .await;
    assert_problem(resp, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    // Liveness is about the process, which is fine.
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    app.stop().await;
}
