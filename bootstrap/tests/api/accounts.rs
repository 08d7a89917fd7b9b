use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::helpers::{
    ADMIN, ADMIN_PASSWORD, TOKEN_SECRET, Wiring, assert_problem, spawn_app, spawn_app_with,
};

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
            &json!({"username": "Alice", "password": "maple-otter-47"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let user: Value = resp.json().await.unwrap();
    assert_eq!(user["username"], "alice");
    assert_eq!(user["role"], "buyer");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());

    let token = app.sign_in("alice", "maple-otter-47").await;
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
    let body = json!({"username": "bob", "password": "maple-otter-47"});
    assert_eq!(
        app.post("/api/v1/users", None, &body).await.status(),
        StatusCode::CREATED
    );
    let again = json!({"username": "BOB", "password": "birch-heron-58"});
    assert_problem(
        app.post("/api/v1/users", None, &again).await,
        StatusCode::CONFLICT,
        "username_taken",
    )
    .await;
    // The first account still signs in with its own password.
    app.sign_in("bob", "maple-otter-47").await;
    let taken_admin = json!({"username": ADMIN, "password": "birch-heron-58"});
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

async fn weak_passwords_are_refused_saying_why(w: Wiring) {
    let app = spawn_app(w).await;
    for weak in ["12345678", "password", "        ", "\0\0\0\0\0\0\0\0"] {
        let body = json!({"username": "ivy", "password": weak});
        let problem = assert_problem(
            app.post("/api/v1/users", None, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        )
        .await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.starts_with("password: "), "{weak:?}: {detail}");
    }
    let problem = assert_problem(
        app.post(
            "/api/v1/users",
            None,
            &json!({"username": "ivy", "password": "password"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("common password"),
        "{problem}"
    );
    // Nothing was created: the name is still free.
    let strong = json!({"username": "ivy", "password": "maple-otter-47"});
    assert_eq!(
        app.post("/api/v1/users", None, &strong).await.status(),
        StatusCode::CREATED
    );
    app.stop().await;
}

async fn a_signed_in_account_changes_its_password_with_the_current_one(w: Wiring) {
    let app = spawn_app(w).await;
    let body = json!({"username": "jack", "password": "maple-otter-47"});
    assert_eq!(
        app.post("/api/v1/users", None, &body).await.status(),
        StatusCode::CREATED
    );
    let token = app.sign_in("jack", "maple-otter-47").await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    assert_problem(
        app.post(
            "/api/v1/me/password",
            Some(&token),
            &change("birch-heron-58", "copper-kettle-19"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "wrong_password",
    )
    .await;
    let weak = assert_problem(
        app.post(
            "/api/v1/me/password",
            Some(&token),
            &change("maple-otter-47", "12345678"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    )
    .await;
    assert!(
        weak["detail"]
            .as_str()
            .unwrap()
            .starts_with("new_password: ")
    );
    assert_problem(
        app.post(
            "/api/v1/me/password",
            None,
            &change("maple-otter-47", "copper-kettle-19"),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let resp = app
        .post(
            "/api/v1/me/password",
            Some(&token),
            &change("maple-otter-47", "copper-kettle-19"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.post(
            "/api/v1/sessions",
            None,
            &json!({"username": "jack", "password": "maple-otter-47"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    )
    .await;
    app.sign_in("jack", "copper-kettle-19").await;
    // An admin's new password must reach the admin's floor: fine for a buyer is not enough.
    let admin = app.admin_token().await;
    assert_problem(
        app.post(
            "/api/v1/me/password",
            Some(&admin),
            &change(ADMIN_PASSWORD, "admin-password"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    )
    .await;
    app.stop().await;
}

async fn a_changed_configured_admin_password_is_applied_at_the_next_start(w: Wiring) {
    let mut app = spawn_app(w).await;
    app.admin_token().await;
    let rotated = "copper kettle meadow 19";
    app.restart_with(|s| s.admin_password = Some(rotated.into()))
        .await;
    assert_problem(
        app.post(
            "/api/v1/sessions",
            None,
            &json!({"username": ADMIN, "password": ADMIN_PASSWORD}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
    )
    .await;
    app.sign_in(ADMIN, rotated).await;
    app.stop().await;
}

async fn an_operator_sets_a_password_from_the_command_line_library(w: Wiring) {
    let app = spawn_app(w).await;
    let body = json!({"username": "kate", "password": "maple-otter-47"});
    assert_eq!(
        app.post("/api/v1/users", None, &body).await.status(),
        StatusCode::CREATED
    );
    let weak = seckiller::operator::set_password(app.settings(), "kate", "password").await;
    assert!(weak.is_err(), "{weak:?}");
    let said = seckiller::operator::set_password(app.settings(), "KATE", "copper-kettle-19")
        .await
        .unwrap();
    assert!(said.contains("kate (buyer)"), "{said}");
    app.sign_in("kate", "copper-kettle-19").await;
    let unknown =
        seckiller::operator::set_password(app.settings(), "nobody", "copper-kettle-19").await;
    assert!(unknown.is_err(), "{unknown:?}");
    app.stop().await;
}

async fn registrations_from_one_address_are_rate_limited(w: Wiring) {
    let app = spawn_app_with(w, |s| {
        s.rate_limit_sign_in_per_minute = 0;
        s.rate_limit_sign_in_ip_per_minute = 2;
    })
    .await;
    for name in ["leo", "mia"] {
        let body = json!({"username": name, "password": "maple-otter-47"});
        assert_eq!(
            app.post("/api/v1/users", None, &body).await.status(),
            StatusCode::CREATED
        );
    }
    let farmed = json!({"username": "ned", "password": "maple-otter-47"});
    let resp = app.post("/api/v1/users", None, &farmed).await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_problem(resp, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    app.stop().await;
}

async fn refreshes_from_one_address_are_rate_limited(w: Wiring) {
    let app = spawn_app_with(w, |s| {
        s.rate_limit_sign_in_per_minute = 0;
        s.rate_limit_sign_in_ip_per_minute = 2;
    })
    .await;
    for _ in 0..2 {
        let guess = json!({"refresh_token": "a-guessed-refresh-token"});
        assert_problem(
            app.post("/api/v1/sessions/refresh", None, &guess).await,
            StatusCode::UNAUTHORIZED,
            "invalid_refresh_token",
        )
        .await;
    }
    let guess = json!({"refresh_token": "another-guess"});
    let resp = app.post("/api/v1/sessions/refresh", None, &guess).await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_problem(resp, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    app.stop().await;
}

both_wirings!(
    weak_passwords_are_refused_saying_why,
    refreshes_from_one_address_are_rate_limited,
    a_signed_in_account_changes_its_password_with_the_current_one,
    a_changed_configured_admin_password_is_applied_at_the_next_start,
    an_operator_sets_a_password_from_the_command_line_library,
    registrations_from_one_address_are_rate_limited,
);
