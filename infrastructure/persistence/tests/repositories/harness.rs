//! Scratch databases for tests: created fresh, migrated, and dropped when the [`Store`] goes out
//! of scope, including while a failed test unwinds.

use std::path::PathBuf;

use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbErr, Statement};
use seckiller_contract::{
    FeedStore, IdempotencyStores, OrderRepositories, Repositories, SessionRepositories,
};
use seckiller_persistence::{
    Database, QueueSettings, SeaActivityRepository, SeaIdempotencyStore, SeaOrderRepository,
    SeaProductRepository, SeaSessionStore, SeaUserRepository, SqlitePurchaseQueue, connect,
};
use uuid::Uuid;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// One scratch database with the adapters under test and a raw connection for SQL no adapter
/// would ever write. Fields drop in order, so the database itself goes last.
pub struct Store {
    pub users: SeaUserRepository,
    pub products: SeaProductRepository,
    pub activities: SeaActivityRepository,
    pub orders: SeaOrderRepository,
    pub sessions: SeaSessionStore,
    pub keys: SeaIdempotencyStore,
    pub db: Database,
    /// Where the database is, for tests that open more connections to it (more nodes).
    pub url: String,
    raw: DatabaseConnection,
    _scratch: Scratch,
}

impl Store {
    /// Runs one SQL statement directly, bypassing the adapters.
    pub async fn sql(&self, statement: &str) -> Result<u64, DbErr> {
        self.raw
            .execute_unprepared(statement)
            .await
            .map(|done| done.rows_affected())
    }

    /// The first column of every row `query` returns, as text.
    pub async fn texts(&self, query: &str) -> Vec<String> {
        let backend = self.raw.get_database_backend();
        self.raw
            .query_all_raw(Statement::from_string(backend, query))
            .await
            .expect("query")
            .iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
            .collect()
    }

    /// The single number `query` returns.
    pub async fn number(&self, query: &str) -> i64 {
        let backend = self.raw.get_database_backend();
        self.raw
            .query_one_raw(Statement::from_string(backend, query))
            .await
            .expect("query")
            .expect("a row")
            .try_get_by_index::<i64>(0)
            .expect("a number")
    }

    async fn open(url: String, scratch: Scratch) -> Self {
        let db = connect(&url)
            .await
            .expect("connect to the scratch database");
        db.migrate().await.expect("migrate the scratch database");
        Self {
            users: SeaUserRepository::new(&db),
            products: SeaProductRepository::new(&db),
            activities: SeaActivityRepository::new(&db),
            orders: SeaOrderRepository::new(&db),
            sessions: SeaSessionStore::new(&db),
            keys: SeaIdempotencyStore::new(&db),
            raw: raw_connection(&url).await.expect("open a raw connection"),
            db,
            url,
            _scratch: scratch,
        }
    }
}

impl Repositories for Store {
    type Users = SeaUserRepository;
    type Products = SeaProductRepository;
    type Activities = SeaActivityRepository;

    fn users(&self) -> &Self::Users {
        &self.users
    }
    fn products(&self) -> &Self::Products {
        &self.products
    }
    fn activities(&self) -> &Self::Activities {
        &self.activities
    }
}

impl SessionRepositories for Store {
    type Sessions = SeaSessionStore;

    fn sessions(&self) -> &Self::Sessions {
        &self.sessions
    }
}

impl IdempotencyStores for Store {
    type Keys = SeaIdempotencyStore;

    fn keys(&self) -> &Self::Keys {
        &self.keys
    }
}

impl OrderRepositories for Store {
    type Orders = SeaOrderRepository;

    fn orders(&self) -> &Self::Orders {
        &self.orders
    }

    /// Another node: its own connection pool to the same database, dropped with the repository.
    async fn another_node(&self) -> Self::Orders {
        let node = connect(&self.url).await.expect("another node connects");
        SeaOrderRepository::new(&node)
    }
}

/// A store with the embedded purchase queue started on it. The queue goes first when dropped,
/// which stops its writer.
pub struct QueueStore {
    pub queue: SqlitePurchaseQueue,
    pub store: Store,
}

impl FeedStore for QueueStore {
    type Queue = SqlitePurchaseQueue;

    fn queue(&self) -> &Self::Queue {
        &self.queue
    }
}

impl QueueStore {
    fn start(store: Store, settings: QueueSettings) -> Self {
        Self {
            queue: SqlitePurchaseQueue::start(&store.db, settings),
            store,
        }
    }
}

/// The embedded queue, default settings, on a new SQLite file.
pub async fn sqlite_queue() -> QueueStore {
    QueueStore::start(sqlite().await, QueueSettings::default())
}

/// The embedded queue, default settings, on a new Postgres database.
pub async fn postgres_queue() -> QueueStore {
    QueueStore::start(postgres().await, QueueSettings::default())
}

/// The embedded queue with `settings` on `store`.
pub fn queue_on(store: Store, settings: QueueSettings) -> QueueStore {
    QueueStore::start(store, settings)
}

/// A migrated store in a new SQLite file under the temp directory.
pub async fn sqlite() -> Store {
    let (url, scratch) = sqlite_scratch();
    Store::open(url, scratch).await
}

/// A migrated store in a new Postgres database.
pub async fn postgres() -> Store {
    let (url, scratch) = postgres_scratch().await;
    Store::open(url, scratch).await
}

/// The URL of a new, empty SQLite file (created on first connect) and its remover.
pub fn sqlite_scratch() -> (String, Scratch) {
    let path = std::env::temp_dir().join(format!("seckiller_test_{}.db", Uuid::now_v7().simple()));
    (
        format!("sqlite://{}?mode=rwc", path.display()),
        Scratch::SqliteFile(path),
    )
}

/// The URL of a new, empty Postgres database and its remover.
pub async fn postgres_scratch() -> (String, Scratch) {
    let admin_url = std::env::var("SECKILLER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let name = format!("seckiller_test_{}", Uuid::now_v7().simple());
    let admin = raw_connection(&admin_url).await.unwrap_or_else(|e| {
        panic!("Postgres must be running for these tests (SECKILLER_TEST_POSTGRES_URL): {e}")
    });
    admin
        .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
        .await
        .expect("create the test database");
    admin.close().await.expect("close the admin connection");
    (
        with_database(&admin_url, &name),
        Scratch::PostgresDatabase { admin_url, name },
    )
}

/// `url` pointing at database `name` instead (keeps user, host and query).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/').expect("a database url has a path");
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A plain sea-orm connection, for SQL the adapters would never write.
pub async fn raw_connection(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false).max_connections(1);
    sea_orm::Database::connect(options).await
}

/// Removes a scratch database when dropped.
pub enum Scratch {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match self {
            Scratch::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Scratch::PostgresDatabase { admin_url, name } => {
                // Drop may run inside the test's runtime (or while a panic unwinds), where
                // blocking on async work is not allowed: a thread with its own runtime does it.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let dropped =
                    std::thread::spawn(move || drop_postgres_database(&admin_url, &name)).join();
                match dropped {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => eprintln!("could not drop a test database: {error}"),
                    Err(_) => eprintln!("dropping a test database panicked"),
                }
            }
        }
    }
}

fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let admin = raw_connection(admin_url).await.map_err(|e| e.to_string())?;
        admin
            .execute_unprepared(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        admin.close().await.map_err(|e| e.to_string())
    })
}
