//! One test's share of the servers: a fresh Postgres database, a Redis key prefix and a JetStream
//! stream, all named from one new id, plus the settings every node of the test runs with.
//!
//! Nodes started in the same environment share everything that must survive a crash (database,
//! gate, queue); a node's own listen address is not part of it. The environment removes what it
//! created when dropped, so a panicking test cleans up too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use uuid::Uuid;

/// The administrator every node creates at start.
pub const ADMIN: &str = "admin";
/// Its password.
pub const ADMIN_PASSWORD: &str = "quiet-harbor-lantern-42";
/// The key nodes sign bearer tokens with, so buyers can be given tokens without signing in.
pub const TOKEN_SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-e2e!";

/// Where the servers of an environment are: the Postgres maintenance database (the environment
/// creates its own database next to it), Redis and NATS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrls {
    /// A Postgres URL whose database may be replaced by the environment's own
    /// (`postgres://postgres@127.0.0.1:5432/postgres`).
    pub postgres_admin: String,
    /// The Redis URL.
    pub redis: String,
    /// The NATS URL (JetStream enabled).
    pub nats: String,
}

impl ServerUrls {
    /// The shared servers: `SECKILLER_TEST_POSTGRES_URL`, `SECKILLER_TEST_REDIS_URL` and
    /// `SECKILLER_TEST_NATS_URL`, or the local defaults.
    pub fn from_env() -> Self {
        Self {
            postgres_admin: std::env::var("SECKILLER_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            redis: std::env::var("SECKILLER_TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
            nats: std::env::var("SECKILLER_TEST_NATS_URL")
                .unwrap_or_else(|_| "nats://127.0.0.1:4222".into()),
        }
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{url}/{name}"),
    }
}

/// One statement on the Postgres server's maintenance database.
async fn admin_sql(postgres_admin: &str, sql: &str) -> anyhow::Result<()> {
    let db = Database::connect(postgres_admin)
        .await
        .context("connecting to Postgres (set SECKILLER_TEST_POSTGRES_URL)")?;
    let done = db
        .execute_unprepared(sql)
        .await
        .with_context(|| sql.to_owned());
    db.close().await.ok();
    done.map(|_| ())
}

/// A test's database, key prefix and stream; see the module documentation.
#[derive(Debug)]
pub struct Environment {
    urls: ServerUrls,
    database: String,
    stream: String,
    log: PathBuf,
    removed: bool,
}

impl Environment {
    /// Creates the database on the shared servers ([`ServerUrls::from_env`]); the prefix and
    /// stream come into being when a node first uses them.
    ///
    /// # Errors
    /// When Postgres is unreachable or refuses to create the database.
    pub async fn create() -> anyhow::Result<Self> {
        Self::create_on(ServerUrls::from_env()).await
    }

    /// Creates the database on the servers at `urls` (a test's own servers, say, which it may
    /// then kill); otherwise as [`Environment::create`].
    ///
    /// # Errors
    /// When Postgres is unreachable or refuses to create the database.
    pub async fn create_on(urls: ServerUrls) -> anyhow::Result<Self> {
        let id = Uuid::now_v7().simple().to_string();
        let database = format!("seckiller_e2e_{id}");
        admin_sql(
            &urls.postgres_admin,
            &format!("CREATE DATABASE \"{database}\""),
        )
        .await?;
        Ok(Self {
            urls,
            database,
            stream: format!("E2E{id}"),
            log: std::env::temp_dir().join(format!("seckiller-e2e-{id}.log")),
            removed: false,
        })
    }

    /// The database URL nodes use.
    pub fn database_url(&self) -> String {
        with_database(&self.urls.postgres_admin, &self.database)
    }

    /// Where the nodes of this environment write their output (kept when the test fails).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    fn redis_prefix(&self) -> String {
        format!("{}:", self.stream)
    }

    /// The `SECKILLER_…` variables every node and command of this environment runs with (all
    /// but the listen address). Short intervals let the reconciler and sweeper act within a
    /// test's patience.
    pub fn variables(&self) -> Vec<(String, String)> {
        [
            ("DATABASE_URL", self.database_url()),
            ("DATA_DIR", std::env::temp_dir().display().to_string()),
            ("REDIS_URL", self.urls.redis.clone()),
            ("REDIS_KEY_PREFIX", self.redis_prefix()),
            ("NATS_URL", self.urls.nats.clone()),
            ("NATS_STREAM", self.stream.clone()),
            ("ADMIN_USERNAME", ADMIN.into()),
            ("ADMIN_PASSWORD", ADMIN_PASSWORD.into()),
            ("TOKEN_SECRET", TOKEN_SECRET.into()),
            ("SEED_DEMO", "false".into()),
            ("RECONCILE_GRACE_SECONDS", "2".into()),
            ("RECONCILE_INTERVAL_MILLIS", "300".into()),
            ("SWEEP_INTERVAL_MILLIS", "200".into()),
            (
                "LOG",
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (format!("SECKILLER_{name}"), value))
        .collect()
    }

    /// A command running `binary` with this environment's settings and no other `SECKILLER_…`
    /// variable: a developer's own configuration (a `SECKILLER_CONFIG` file, say) must not leak
    /// into the test's nodes.
    pub fn command(&self, binary: &Path) -> Command {
        let mut command = Command::new(binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SECKILLER_") {
                command.env_remove(name);
            }
        }
        command.envs(self.variables());
        command
    }

    /// A direct connection to the database, for inserting buyers and checking invariants.
    ///
    /// # Errors
    /// When the database is unreachable.
    pub async fn database(&self) -> anyhow::Result<DatabaseConnection> {
        Database::connect(self.database_url())
            .await
            .context("connecting to the test database")
    }

    /// Removes the database, the Redis keys and the JetStream streams. Stop the nodes first.
    pub async fn remove(mut self) {
        self.removed = true;
        remove(
            &self.urls,
            &self.database,
            &self.redis_prefix(),
            &self.stream,
        )
        .await;
        let _ = tokio::fs::remove_file(&self.log).await;
    }
}

/// How long clean-up may wait for one server: a server a test killed has nothing left to clean,
/// and must not hang the clean-up of the others.
const CLEAN_UP: Duration = Duration::from_secs(5);

/// Best effort: a server that is gone has nothing left to clean.
async fn remove(urls: &ServerUrls, database: &str, redis_prefix: &str, stream: &str) {
    let drop_database = format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    let _ = tokio::time::timeout(CLEAN_UP, admin_sql(&urls.postgres_admin, &drop_database)).await;
    let _ = tokio::time::timeout(CLEAN_UP, delete_redis_keys(&urls.redis, redis_prefix)).await;
    let _ = tokio::time::timeout(CLEAN_UP, async {
        if let Ok(client) = async_nats::connect(&urls.nats).await {
            let _ = seckiller_nats::delete_purchase_streams(client, stream).await;
        }
    })
    .await;
}

async fn delete_redis_keys(redis: &str, prefix: &str) {
    use fred::prelude::{Builder, ClientLike, Config, Key, KeysInterface};
    use futures::TryStreamExt;
    let Ok(config) = Config::from_url(redis) else {
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

impl Drop for Environment {
    /// A test that panicked before [`Environment::remove`] still removes its database, keys and
    /// streams (on a thread of its own: the test's runtime may be the one unwinding). Its log is
    /// kept for the post-mortem.
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        let (urls, database, prefix, stream) = (
            self.urls.clone(),
            self.database.clone(),
            self.redis_prefix(),
            self.stream.clone(),
        );
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(remove(&urls, &database, &prefix, &stream));
            }
        })
        .join();
    }
}
