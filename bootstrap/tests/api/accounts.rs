use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::helpers::{ADMIN, TOKEN_SECRET, Wiring, assert_problem, spawn_app};

/// A token as the service signs them, with `secret` named as its key.
fn mint(sub: &str, role: &str, exp: i64, secret: &str) -> String {
    let claims = json!({"sub": sub, "role": role, "sid": uuid::Uuid::now_v7(), "exp": exp});
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    let header = jsonwebtoken::Header {
        kid: Some(seckiller_auth::key_id(secret.as_bytes())),
        ..jsonwebtoken::Header::default()
    };
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

async fn a_buyer_registers_signs_in_and_sees_itself(w: Wiring) {
    let app = spawn_app(w).await;
    let resp = app
        .post(
            "/api/v1/users",
            None,
            &json!({"username": "Alice", "password": "password1"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let user: Value = resp.json().await.unwrap();
    assert_eq!(user["username"], "alice");
    assert_eq!(user["role"], "buyer");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());

    let token = app.sign_in("alice", "password1").await;
    let me: Value = app
        .get("/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user["id"]);
    app.stop().await;
}

async fn a_duplicate_username_is_refused_whatever_its_case(w: Wiring) {
    let app = spawn_app(w).await;
    let body = json!({"username": "bob", "password": "password1"});
    assert_eq!(
        app.post("/api/v1/users", None, &body).await.status(),
        StatusCode::CREATED
    );
    let again = json!({"username": "BOB", "password": "password2"});
    assert_problem(
        app.post("/api/v1/users", None, &again).await,
        StatusCode::CONFLICT,
        "username_taken",
    )
    .await;
    // The first account still signs in with its own password.
    app.sign_in("bob", "password1").await;
    let taken_admin = json!({"username": ADMIN, "password": "password2"});
    assert_problem(
        app.post("/api/v1/users", None, &taken_admin).await,
        StatusCode::CONFLICT,
        "username_taken",
    )
    .await;
    app.stop().await;
}

async fn wrong_credentials_get_401(w: Wiring) {
    let app = spawn_app(w).await;
    let wrong = json!({"username": ADMIN, "password": "not-the-password"});
    assert_problem(
        app.post("/api/v1/sessions", None, &wrong).await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    )
    .await;
    let unknown = json!({"username": "nobody", "password": "whatever1"});
    assert_problem(
        app.post("/api/v1/sessions", None, &unknown).await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    )
    .await;
    app.stop().await;
}

async fn missing_forged_and_foreign_tokens_are_refused(w: Wiring) {
    let app = spawn_app(w).await;
    assert_problem(
        app.get("/api/v1/me", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/me", Some("garbage")).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    let admin = app.admin_token().await;
    let me: Value = app
        .get("/api/v1/me", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let id = me["id"].as_str().unwrap();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).timestamp();
    // A well-formed admin token signed with another key.
    let forged = mint(id, "admin", tomorrow, "someone-elses-secret-someone-elses");
    assert_problem(
        app.get("/api/v1/me", Some(&forged)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    // A genuine token whose time is up.
    let expired = mint(
        id,
        "admin",
        chrono::Utc::now().timestamp() - 1,
        TOKEN_SECRET,
    );
    assert_problem(
        app.get("/api/v1/me", Some(&expired)).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
    let body = json!({"name": "X", "price": {"amount_minor": 1, "currency": "USD"}});
    let resp = app
        .post("/api/v1/admin/products", Some(&expired), &body)
        .await;
    assert_problem(resp, StatusCode::UNAUTHORIZED, "token_expired").await;
    // The same claims, freshly signed, work: the refusals above were about the signature and time.
    let fresh = mint(id, "admin", tomorrow, TOKEN_SECRET);
    assert_eq!(
        app.get("/api/v1/me", Some(&fresh)).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

both_wirings!(
    a_buyer_registers_signs_in_and_sees_itself,
    a_duplicate_username_is_refused_whatever_its_case,
    wrong_credentials_get_401,
    missing_forged_and_foreign_tokens_are_refused,
);

async fn an_admin_creates_buyers_in_bulk_for_load_tests(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let resp = app
        .post("/api/v1/admin/buyers", Some(&admin), &json!({"count": 5}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    let buyers = body["buyers"].as_array().unwrap();
    assert_eq!(buyers.len(), 5);
    for b in buyers {
        let me: Value = app
            .get("/api/v1/me", b["token"].as_str())
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["id"], b["id"]);
        assert_eq!(me["role"], "buyer");
    }
    let buyer = buyers[0]["token"].as_str().unwrap();
    assert_problem(
        app.post("/api/v1/admin/buyers", Some(buyer), &json!({"count": 1}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    for count in [0, 1001] {
        let resp = app
            .post(
                "/api/v1/admin/buyers",
                Some(&admin),
                &json!({"count": count}),
            )
            .await;
        assert_problem(resp, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }
    app.stop().await;
}

both_wirings!(an_admin_creates_buyers_in_bulk_for_load_tests);
