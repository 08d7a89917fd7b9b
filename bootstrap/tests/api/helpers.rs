//! `spawn_app`: a server on port 0 over a fresh database, an HTTP client, and signed-in helpers.

use std::path::PathBuf;

use reqwest::{Client, Response, StatusCode};
use seckiller::config::Settings;
use seckiller::server::{RunningServer, start};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "quiet-harbor-lantern-42";
/// The signing key test servers use, so tests can mint expired or foreign tokens.
pub const TOKEN_SECRET: &str = "test-secret-test-secret-test-secret!";

/// Which adapters the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wiring {
    /// SQLite, the in-process gate and the database queue: `seckiller` with no configuration.
    Embedded,
    /// Postgres, Redis and NATS JetStream: the production wiring.
    Production,
}

/// Runs each listed test body once per wiring: `both_wirings!(name, …)` expects `async fn
/// name(w: Wiring)` in scope and makes `name::embedded` and `name::postgres` tests.
#[macro_export]
macro_rules! both_wirings {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                super::$name($crate::helpers::Wiring::Embedded).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn production() {
                super::$name($crate::helpers::Wiring::Production).await;
            }
        }
    )+};
}

fn redis_url() -> String {
    std::env::var("SECKILLER_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn nats_url() -> String {
    std::env::var("SECKILLER_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

fn postgres_admin_url() -> String {
    std::env::var("SECKILLER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{url}/{name}"),
    }
}

async fn admin_sql(sql: &str) {
    use sea_orm::{ConnectionTrait, Database};
    let db = Database::connect(postgres_admin_url())
        .await
        .expect("postgres reachable for tests");
    db.execute_unprepared(sql).await.expect(sql);
    db.close().await.ok();
}

/// What the test owns and must clean up.
enum Storage {
    Dir(PathBuf),
    Production { database: String, prefix: String },
}

/// A running app and a client for it.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    server: Option<RunningServer>,
    storage: Storage,
    settings: Settings,
}

/// Starts the app on a free port over a fresh database of the given wiring.
pub async fn spawn_app(wiring: Wiring) -> TestApp {
    spawn_app_with(wiring, |_| {}).await
}

/// As [`spawn_app`], with some settings changed first.
pub async fn spawn_app_with(wiring: Wiring, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let id = Uuid::now_v7().simple().to_string();
    let (database_url, storage) = match wiring {
        Wiring::Embedded => {
            let dir = std::env::temp_dir().join(format!("seckiller-test-{id}"));
            (None, Storage::Dir(dir))
        }
        Wiring::Production => {
            let name = format!("seckiller_test_{id}");
            admin_sql(&format!("CREATE DATABASE \"{name}\"")).await;
            let prefix = format!("T{id}");
            (
                Some(with_database(&postgres_admin_url(), &name)),
                Storage::Production {
                    database: name,
                    prefix,
                },
            )
        }
    };
    let (data_dir, redis_url, nats_url, prefix) = match &storage {
        Storage::Dir(dir) => (dir.clone(), None, None, String::new()),
        Storage::Production { prefix, .. } => (
            std::env::temp_dir(),
            Some(redis_url()),
            Some(nats_url()),
            prefix.clone(),
        ),
    };
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir,
        database_url,
        redis_url,
        redis_key_prefix: format!("{prefix}:"),
        nats_url,
        nats_stream: if prefix.is_empty() {
            "SECKILLER".into()
        } else {
            prefix
        },
        admin_username: ADMIN.into(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        token_secret: Some(TOKEN_SECRET.into()),
        seed_demo: false,
        // Tests change activities and act on the change at once; production nodes cache for 1 s.
        activity_cache_millis: 0,
        // Some eighty apps of this suite run at once on two cores against one Postgres, Redis
        // and NATS: a call may queue for seconds without any outage. The deadlines that turn an
        // outage into fast 503s are tested by the outage scenarios (tests/tests/outages).
        redis_deadline_millis: 10_000,
        nats_deadline_millis: 10_000,
        database_deadline_millis: 10_000,
        log: std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
        ..Settings::default()
    };
    tweak(&mut settings);
    let _ = seckiller::telemetry::init_telemetry(
        &settings.log,
        seckiller::config::LogFormat::Text,
        None,
    );
    let server = start(&settings, true).await.expect("the app starts");
    TestApp {
        base: format!("http://{}", server.addr),
        client: Client::new(),
        server: Some(server),
        storage,
        settings,
    }
}

impl TestApp {
    /// The running node's simulated payment provider.
    pub fn payments(&self) -> &seckiller_memory::SimulatedPaymentProvider {
        &self.server.as_ref().expect("the app runs").payments
    }

    /// Starts a second node over the same database, gate and queue (production wiring), as a
    /// scaled-out deployment would; the caller stops it.
    pub async fn another_node(&self) -> (String, RunningServer) {
        let server = start(&self.settings, false)
            .await
            .expect("the second node starts");
        (format!("http://{}", server.addr), server)
    }

    /// Deletes every gate key of this app in Redis, as a Redis restart without persistence
    /// would.
    pub async fn lose_gate_data(&self) {
        if let Storage::Production { prefix, .. } = &self.storage {
            delete_redis_keys(&format!("{prefix}:")).await;
        }
    }

    /// Where `/metrics` is served when `metrics_listen` was set.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().expect("the app runs").metrics_addr
    }

    /// The settings the app runs with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut req = self.client.patch(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    /// Asks to publish activity `id` with `token`; the answer is the caller's to check.
    pub async fn publish(&self, token: &str, id: impl std::fmt::Display) -> Response {
        self.post(
            &format!("/api/v1/admin/activities/{id}/publication"),
            Some(token),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let resp = self
            .post(
                "/api/v1/sessions",
                None,
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.sign_in(ADMIN, ADMIN_PASSWORD).await
    }

    /// Registers a new buyer with a unique name and returns its token.
    pub async fn buyer_token(&self) -> String {
        let name = format!("b{}", &Uuid::now_v7().simple().to_string()[20..]);
        let resp = self
            .post(
                "/api/v1/users",
                None,
                &json!({"username": name, "password": "maple-otter-canoe-47"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        self.sign_in(&name, "maple-otter-canoe-47").await
    }

    /// Creates a USD product and returns its id.
    pub async fn product(&self, admin: &str) -> String {
        let resp = self
            .post(
                "/api/v1/admin/products",
                Some(admin),
                &json!({"name": "Phone", "description": "A phone", "price": {"amount_minor": 49_900, "currency": "USD"}}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A valid activity body for `product`, starting `start_in` seconds from now, lasting an hour.
    pub fn activity_body(product: &str, start_in: i64) -> Value {
        let start = chrono::Utc::now() + chrono::Duration::seconds(start_in);
        json!({
            "product_id": product,
            "title": "Flash phone",
            "sale_price": {"amount_minor": 9_900, "currency": "USD"},
            "total_stock": 100,
            "per_user_limit": 2,
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339(),
        })
    }

    /// Creates a draft activity and returns its JSON.
    pub async fn draft(&self, admin: &str, start_in: i64) -> Value {
        let product = self.product(admin).await;
        let resp = self
            .post(
                "/api/v1/admin/activities",
                Some(admin),
                &Self::activity_body(&product, start_in),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        resp.json().await.unwrap()
    }

    /// A direct connection to the app's database, for setting up crowds and checking invariants.
    pub async fn database(&self) -> sea_orm::DatabaseConnection {
        let url = match &self.storage {
            Storage::Dir(dir) => format!("sqlite://{}", dir.join("seckiller.db").display()),
            Storage::Production { database, .. } => with_database(&postgres_admin_url(), database),
        };
        sea_orm::Database::connect(url).await.unwrap()
    }

    /// Drops the app's Postgres database under it, to simulate losing the database.
    pub async fn drop_database(&self) {
        if let Storage::Production { database, .. } = &self.storage {
            admin_sql(&format!(
                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
            ))
            .await;
        }
    }

    /// Stops the node and starts it again over the same storage with some settings changed, as
    /// an operator's restart with a new configuration would.
    pub async fn restart_with(&mut self, tweak: impl FnOnce(&mut Settings)) {
        if let Some(server) = self.server.take() {
            server.stop().await.unwrap();
        }
        tweak(&mut self.settings);
        let server = start(&self.settings, true).await.expect("the app restarts");
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }

    /// Stops the server and removes its database.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.unwrap();
        }
        cleanup(&self.storage).await;
    }
}

async fn cleanup(storage: &Storage) {
    match storage {
        Storage::Dir(dir) => {
            let _ = tokio::fs::remove_dir_all(dir).await;
        }
        Storage::Production { database, prefix } => {
            admin_sql(&format!(
                "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
            ))
            .await;
            delete_redis_keys(&format!("{prefix}:")).await;
            if let Ok(client) = async_nats::connect(nats_url()).await {
                let _ = seckiller_nats::delete_purchase_streams(client, prefix).await;
            }
        }
    }
}

impl Drop for TestApp {
    /// A test that panicked before `stop` still removes its database.
    fn drop(&mut self) {
        if self.server.is_none() {
            return;
        }
        let storage = std::mem::replace(&mut self.storage, Storage::Dir(PathBuf::new()));
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(cleanup(&storage));
            }
        })
        .join();
    }
}

/// Asserts a problem+json answer with `status` and `code`, and returns its body.
pub async fn assert_problem(resp: Response, status: StatusCode, code: &str) -> Value {
    let actual = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(actual, status, "status of {body}");
    assert_eq!(
        content_type.as_deref(),
        Some("application/problem+json"),
        "content type"
    );
    assert_eq!(body["code"], code, "code in {body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "detail in {body}"
    );
    body
}

async fn delete_redis_keys(prefix: &str) {
    use fred::prelude::{Builder, ClientLike, Config, Key, KeysInterface};
    use futures::TryStreamExt;
    let Ok(config) = Config::from_url(&redis_url()) else {
        return;
    };
    let Ok(client) = Builder::from_config(config).build() else {
        return;
    };
    if client.init().await.is_err() {
        return;
    }
    let keys: Vec<Key> = client
        .scan_buffered(format!("{prefix}*"), Some(500), None)
        .try_collect()
        .await
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<i64, _> = client.del(keys).await;
    }
    let _ = client.quit().await;
}
