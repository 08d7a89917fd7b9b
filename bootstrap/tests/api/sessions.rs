//! Sessions: short access tokens, rotating refresh tokens with reuse detection, sign-out, and
//! the signing key and database files kept private.

use std::os::unix::fs::MetadataExt;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::helpers::{ADMIN, ADMIN_PASSWORD, Wiring, assert_problem, spawn_app, spawn_app_with};

async fn sign_in_body(app: &crate::helpers::TestApp) -> Value {
    let resp = app
        .post(
            "/api/v1/sessions",
            None,
            &json!({"username": ADMIN, "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn refresh(app: &crate::helpers::TestApp, token: &Value) -> reqwest::Response {
    app.post(
        "/api/v1/sessions/refresh",
        None,
        &json!({"refresh_token": token}),
    )
    .await
}

fn instant(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn sign_in_gives_a_short_access_token_and_a_refresh_token(w: Wiring) {
    let app = spawn_app(w).await;
    let session = sign_in_body(&app).await;
    let now = chrono::Utc::now();
    let access_left = instant(&session["expires_at"]) - now;
    assert!(
        access_left <= chrono::Duration::minutes(15),
        "{access_left}"
    );
    assert!(access_left > chrono::Duration::minutes(14), "{access_left}");
    let refresh_left = instant(&session["refresh_expires_at"]) - now;
    assert!(refresh_left > chrono::Duration::days(29), "{refresh_left}");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["refresh_token"].as_str().unwrap().len(), 64);
    assert!(session["session_id"].as_str().is_some());
    app.stop().await;
}

async fn a_refresh_rotates_and_a_replayed_refresh_token_revokes_the_session(w: Wiring) {
    let app = spawn_app(w).await;
    let first = sign_in_body(&app).await;
    let resp = refresh(&app, &first["refresh_token"]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: Value = resp.json().await.unwrap();
    assert_eq!(second["session_id"], first["session_id"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        app.get("/api/v1/me", second["token"].as_str())
            .await
            .status(),
        StatusCode::OK
    );
    // The first token again: someone holds a copy. Refused, and the whole session with it.
    assert_problem(
        refresh(&app, &first["refresh_token"]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        refresh(&app, &second["refresh_token"]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    assert_problem(
        refresh(&app, &json!("not-a-refresh-token")).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    app.stop().await;
}

async fn signing_out_ends_the_session_for_refresh(w: Wiring) {
    let app = spawn_app(w).await;
    let session = sign_in_body(&app).await;
    let other = sign_in_body(&app).await;
    let token = session["token"].as_str();
    for _ in 0..2 {
        let resp = app
            .post("/api/v1/sessions/current/revocation", token, &json!({}))
            .await;
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    assert_problem(
        refresh(&app, &session["refresh_token"]).await,
        StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
    )
    .await;
    // Another session of the same account lives on.
    assert_eq!(
        refresh(&app, &other["refresh_token"]).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.post("/api/v1/sessions/current/revocation", None, &json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.stop().await;
}

both_wirings!(
    sign_in_gives_a_short_access_token_and_a_refresh_token,
    a_refresh_rotates_and_a_replayed_refresh_token_revokes_the_session,
    signing_out_ends_the_session_for_refresh,
);

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .mode()
        & 0o777
}

/// `seckiller` with no configuration: the key is generated into the data directory, and the
/// directory, the key and the database files are private to the service's user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_default_keeps_its_key_and_database_private() {
    let app = spawn_app_with(Wiring::Embedded, |s| s.token_secret = None).await;
    // Sign in and write, so the WAL and shared-memory files exist.
    let admin = app.admin_token().await;
    app.product(&admin).await;
    let dir = app.settings().data_dir.clone();
    assert_eq!(mode(&dir), 0o700);
    for file in [
        "token.key",
        "seckiller.db",
        "seckiller.db-wal",
        "seckiller.db-shm",
    ] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    // The key is nowhere in the database.
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.database().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT key FROM settings",
        ))
        .await
        .unwrap();
    let keys: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(!keys.iter().any(|k| k.contains("token")), "{keys:?}");
    let key = std::fs::read_to_string(dir.join("token.key")).unwrap();
    let dump = std::fs::read(dir.join("seckiller.db")).unwrap();
    assert!(
        !dump
            .windows(key.trim().len())
            .any(|w| w == key.trim().as_bytes()),
        "the key's text is in the database file"
    );
    app.stop().await;
}

/// On a shared database there is no safe key to generate: the node refuses to start and says
/// what to set.
#[tokio::test]
async fn a_node_on_postgres_without_a_signing_key_refuses_to_start() {
    let settings = seckiller::config::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
        token_secret: None,
        ..seckiller::config::Settings::default()
    };
    let error = seckiller::server::start(&settings, false)
        .await
        .err()
        .expect("no node without a key")
        .to_string();
    assert!(error.contains("SECKILLER_TOKEN_SECRET"), "{error}");
    assert!(error.contains("SECKILLER_TOKEN_KEY_FILE"), "{error}");
}
