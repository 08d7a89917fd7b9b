use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app};

/// A published sale opening in an hour; returns its id.
async fn upcoming_sale(app: &TestApp, admin: &str) -> String {
    let id = app.draft(admin, 3600).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = app.publish(admin, &id).await;
    assert_eq!(published.status(), StatusCode::OK);
    id
}

async fn an_admin_plans_and_publishes_a_sale_that_buyers_then_see(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let draft = app.draft(&admin, 3600).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(draft["phase"], "draft");
    assert_eq!(draft["remaining_stock"], 100);

    // Drafts are invisible to buyers.
    let buyer = app.buyer_token().await;
    assert_problem(
        app.get(&format!("/api/v1/activities/{id}"), Some(&buyer))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let listed: Vec<Value> = app
        .get("/api/v1/activities", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.is_empty());

    let resp = app.publish(&admin, &id).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let seen: Value = app
        .get(&format!("/api/v1/activities/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["phase"], "upcoming");
    assert_eq!(
        seen["sale_price"],
        json!({"amount_minor": 9_900, "currency": "USD"})
    );
    assert!(seen["server_time"].is_string());
    let upcoming: Vec<Value> = app
        .get("/api/v1/activities?phase=upcoming", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(upcoming.len(), 1);
    let open: Vec<Value> = app
        .get("/api/v1/activities?phase=open", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(open.is_empty());

    let again = app.publish(&admin, &id).await;
    assert_problem(again, StatusCode::CONFLICT, "already_published").await;
    app.stop().await;
}

async fn a_sale_that_has_started_cannot_be_edited(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let draft = app.draft(&admin, -5).await;
    let id = draft["id"].as_str().unwrap();
    app.publish(&admin, &id).await;
    let seen: Value = app
        .get(&format!("/api/v1/activities/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["phase"], "open");

    let resp = app
        .patch(
            &format!("/api/v1/admin/activities/{id}"),
            Some(&admin),
            &json!({"total_stock": 500}),
        )
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "already_started").await;
    let seen: Value = app
        .get(&format!("/api/v1/activities/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["total_stock"], 100);
    app.stop().await;
}

async fn an_upcoming_sale_can_be_edited_and_cancelled(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let id = upcoming_sale(&app, &admin).await;
    let patch = json!({"total_stock": 5, "title": "Smaller sale", "payment_window_seconds": 60});
    let resp = app
        .patch(
            &format!("/api/v1/admin/activities/{id}"),
            Some(&admin),
            &patch,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let edited: Value = resp.json().await.unwrap();
    assert_eq!(
        (
            edited["total_stock"].clone(),
            edited["remaining_stock"].clone()
        ),
        (json!(5), json!(5))
    );
    assert_eq!(edited["payment_window_seconds"], 60);

    let resp = app
        .post(
            &format!("/api/v1/admin/activities/{id}/cancellation"),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(resp.json::<Value>().await.unwrap()["phase"], "cancelled");
    let seen: Value = app
        .get(&format!("/api/v1/activities/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["phase"], "cancelled");
    let resp = app
        .patch(
            &format!("/api/v1/admin/activities/{id}"),
            Some(&admin),
            &json!({"title": "Back"}),
        )
        .await;
    assert_problem(resp, StatusCode::CONFLICT, "activity_cancelled").await;
    app.stop().await;
}

async fn activity_admin_paths_need_the_admin_role(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let product = app.product(&admin).await;
    let buyer = app.buyer_token().await;
    let body = TestApp::activity_body(&product, 60);
    assert_problem(
        app.post("/api/v1/admin/activities", None, &body).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.post("/api/v1/admin/activities", Some(&buyer), &body)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let id = app.draft(&admin, 60).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let publish = app.publish(&buyer, &id).await;
    assert_problem(publish, StatusCode::FORBIDDEN, "forbidden").await;
    assert_problem(
        app.get("/api/v1/admin/activities", Some(&buyer)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let all: Vec<Value> = app
        .get("/api/v1/admin/activities", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["phase"], "draft");
    app.stop().await;
}

/// The detail every waiting buyer re-reads is served from a body rendered once per change of the
/// sale: it must still say what the listing says, carry the time of each read, and follow edits.
async fn the_activity_detail_is_current_at_every_read(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let id = upcoming_sale(&app, &admin).await;
    let detail = || async {
        let resp = app.get(&format!("/api/v1/activities/{id}"), None).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        resp.json::<Value>().await.unwrap()
    };
    let without_time = |mut v: Value| {
        let time = v["server_time"].take();
        let time = chrono::DateTime::parse_from_rfc3339(time.as_str().unwrap()).unwrap();
        (v, time)
    };
    let (first, first_time) = without_time(detail().await);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (second, second_time) = without_time(detail().await);
    assert_eq!(second, first);
    assert!(second_time > first_time, "{first_time} then {second_time}");
    let listed: Vec<Value> = app
        .get("/api/v1/activities", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(without_time(listed[0].clone()).0, first);

    let resp = app
        .patch(
            &format!("/api/v1/admin/activities/{id}"),
            Some(&admin),
            &json!({"title": "Renamed sale", "total_stock": 7}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (edited, _) = without_time(detail().await);
    assert_eq!(
        (
            edited["title"].clone(),
            edited["remaining_stock"].clone(),
            edited["version"].clone()
        ),
        (
            json!("Renamed sale"),
            json!(7),
            json!(first["version"].as_i64().unwrap() + 1)
        )
    );
    assert_problem(
        app.get(
            &format!("/api/v1/activities/{}", uuid::Uuid::now_v7()),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    app.stop().await;
}

both_wirings!(
    an_admin_plans_and_publishes_a_sale_that_buyers_then_see,
    a_sale_that_has_started_cannot_be_edited,
    an_upcoming_sale_can_be_edited_and_cancelled,
    activity_admin_paths_need_the_admin_role,
    the_activity_detail_is_current_at_every_read,
);
