use reqwest::StatusCode;
use serde_json::Value;

use crate::both_wirings;
use crate::helpers::{Wiring, assert_problem, spawn_app};

async fn health_readiness_docs_and_page_are_served(w: Wiring) {
    let app = spawn_app(w).await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
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
