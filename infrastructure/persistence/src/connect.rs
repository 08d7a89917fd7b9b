//! Opening a pool for the configured URL, tuned per backend.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, DbErr};

use crate::database::Database;
use crate::error::PersistenceError;

/// Bounds how long opening a connection or waiting for a free one may take, so a dead database
/// yields an error (and a 503) within seconds instead of a hung request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Postgres connections per node; N nodes use N times this, well under the server's default 100.
const POSTGRES_POOL_SIZE: u32 = 16;
/// SQLite connections: WAL lets readers run beside the one writer.
const SQLITE_POOL_SIZE: u32 = 8;

/// Opens a connection pool to `url`: `postgres://…` (or `postgresql://…`) in production,
/// `sqlite://path` for the embedded default. A SQLite file is created if missing and runs in WAL
/// mode with foreign keys enforced and a busy timeout; statements are never logged (they would
/// flood the logs on the hot path).
///
/// # Errors
/// [`PersistenceError::UnsupportedUrl`] for another scheme, [`PersistenceError::Connect`] when
/// the database cannot be reached within a few seconds. The URL (which may hold a password) is
/// never part of the error.
pub async fn connect(url: &str) -> Result<Database, PersistenceError> {
    connect_with_deadline(url, CONNECT_TIMEOUT).await
}

/// [`connect`], with `deadline` bounding each new connection and each wait for a pooled one:
/// while the database is down, a call fails after about that long instead of five seconds.
///
/// # Errors
/// As for [`connect`].
pub async fn connect_with_deadline(
    url: &str,
    deadline: Duration,
) -> Result<Database, PersistenceError> {
    let mut options = ConnectOptions::new(url);
    options
        .sqlx_logging(false)
        .connect_timeout(deadline)
        .acquire_timeout(deadline);
    if url.starts_with("sqlite:") {
        options
            .max_connections(SQLITE_POOL_SIZE)
            // One connection stays open so a `sqlite::memory:` database outlives idle periods.
            .min_connections(1)
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL (not NORMAL): in the embedded default a commit is what makes an
                    // accepted purchase durable, so it must survive a power cut too.
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        options.max_connections(POSTGRES_POOL_SIZE);
    } else {
        return Err(PersistenceError::UnsupportedUrl);
    }
    sea_orm::Database::connect(options)
        .await
        .map(Database::new)
        .map_err(|error: DbErr| {
            PersistenceError::Connect(error.to_string().replace(url, "<database url>"))
        })
}
