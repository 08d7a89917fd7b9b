//! How storage failures are reported: [`PersistenceError`] for connecting and administering the
//! database, the domain's `StorageError` for everything a repository does. Both carry text for
//! logs only; no sea-orm type leaves the crate.

use std::fmt::Display;

use sea_orm::DbErr;
use seckiller_domain::ports::{Cause, StorageError};
use uuid::Uuid;

/// Why the database could not be opened, migrated or queried outside a repository.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersistenceError {
    /// The URL names no backend this crate speaks (`postgres://`, `postgresql://`, `sqlite:`).
    #[error("unsupported database url: expected postgres://, postgresql:// or sqlite:")]
    UnsupportedUrl,
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// Applying the schema failed.
    #[error("database migration failed: {0}")]
    Migrate(String),
    /// A statement failed.
    #[error("database query failed: {0}")]
    Query(String),
}

impl From<PersistenceError> for StorageError {
    fn from(error: PersistenceError) -> Self {
        StorageError(Cause::new(error))
    }
}

/// Any sea-orm failure inside a repository: storage is unavailable or misbehaving.
pub(crate) fn storage(error: DbErr) -> StorageError {
    StorageError(Cause::new(error))
}

/// A stored row that no longer satisfies the domain's rules: reported, never panicked on.
pub(crate) fn corrupt(table: &str, id: Uuid, problem: impl Display) -> StorageError {
    StorageError::from(format!("corrupt row in {table} (id {id}): {problem}"))
}
