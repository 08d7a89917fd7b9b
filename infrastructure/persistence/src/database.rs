//! The connection pool and what the process does with the database as a whole: apply the
//! schema, answer readiness probes, agree on shared settings.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, Statement, TransactionTrait,
};
use seckiller_migrations::{Migrator, MigratorTrait};

use crate::entities::setting;
use crate::error::PersistenceError;

/// Key of the advisory lock that serialises migrations across nodes on one Postgres; any fixed
/// number works, this one reads "SECKILL".
const MIGRATION_LOCK: i64 = 0x5EC_C111;

/// An open connection pool; cheap to clone, shared by every repository of the process.
#[derive(Debug, Clone)]
pub struct Database(DatabaseConnection);

impl Database {
    pub(crate) fn new(connection: DatabaseConnection) -> Self {
        Self(connection)
    }

    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.0
    }

    /// Brings the schema up to date; already applied migrations are skipped, so every node runs
    /// this on start. Each migration is all-or-nothing. On Postgres the whole run is one
    /// transaction holding an advisory lock, so nodes starting together take turns instead of
    /// failing on each other's half-created tables. (SQLite serves one node; two processes
    /// migrating one fresh file at the same instant are not guarded against.)
    ///
    /// # Errors
    /// [`PersistenceError::Migrate`] when a migration fails; it leaves nothing half-applied.
    pub async fn migrate(&self) -> Result<(), PersistenceError> {
        let failed = |error: DbErr| PersistenceError::Migrate(error.to_string());
        match self.0.get_database_backend() {
            DatabaseBackend::Postgres => {
                let transaction = self.0.begin().await.map_err(failed)?;
                transaction
                    .execute_raw(Statement::from_sql_and_values(
                        DatabaseBackend::Postgres,
                        "SELECT pg_advisory_xact_lock($1)",
                        [MIGRATION_LOCK.into()],
                    ))
                    .await
                    .map_err(failed)?;
                Migrator::up(&transaction, None).await.map_err(failed)?;
                transaction.commit().await.map_err(failed)
            }
            _ => Migrator::up(&self.0, None).await.map_err(failed),
        }
    }

    /// Checks that the database answers, for the readiness probe.
    ///
    /// # Errors
    /// [`PersistenceError::Connect`] when it does not.
    pub async fn ping(&self) -> Result<(), PersistenceError> {
        self.0
            .ping()
            .await
            .map_err(|error| PersistenceError::Connect(error.to_string()))
    }

    /// The stored value of setting `key`, storing `candidate` first if there is none. Every node
    /// offers its own freshly generated candidate; the first one stored wins and all of them
    /// return it, so a cluster agrees on one secret without coordination.
    ///
    /// # Errors
    /// [`PersistenceError::Query`] when storage fails.
    pub async fn ensure_setting(
        &self,
        key: &str,
        candidate: &str,
    ) -> Result<String, PersistenceError> {
        let failed = |error: DbErr| PersistenceError::Query(error.to_string());
        let row = setting::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(candidate.to_owned()),
        };
        setting::Entity::insert(row)
            .on_conflict_do_nothing_on([setting::Column::Key])
            .exec_without_returning(&self.0)
            .await
            .map_err(failed)?;
        setting::Entity::find_by_id(key.to_owned())
            .one(&self.0)
            .await
            .map_err(failed)?
            .map(|stored| stored.value)
            .ok_or_else(|| {
                PersistenceError::Query(format!("setting {key:?} vanished after it was stored"))
            })
    }

    /// Stores `value` under setting `key`, replacing any value it had.
    ///
    /// # Errors
    /// [`PersistenceError::Query`] when storage fails.
    pub async fn put_setting(&self, key: &str, value: &str) -> Result<(), PersistenceError> {
        let row = setting::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(value.to_owned()),
        };
        setting::Entity::insert(row)
            .on_conflict(
                OnConflict::column(setting::Column::Key)
                    .update_column(setting::Column::Value)
                    .to_owned(),
            )
            .exec_without_returning(&self.0)
            .await
            .map(drop)
            .map_err(|error| PersistenceError::Query(error.to_string()))
    }

    /// Every setting whose key starts with `prefix`, as (key, value).
    ///
    /// # Errors
    /// [`PersistenceError::Query`] when storage fails.
    pub async fn settings_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, PersistenceError> {
        let rows = setting::Entity::find()
            .filter(setting::Column::Key.starts_with(prefix))
            .all(&self.0)
            .await
            .map_err(|error| PersistenceError::Query(error.to_string()))?;
        // LIKE treats `_` and `%` as wildcards: keep exact prefixes only.
        Ok(rows
            .into_iter()
            .filter(|row| row.key.starts_with(prefix))
            .map(|row| (row.key, row.value))
            .collect())
    }

    /// Closes every connection of the pool, waiting for them to be returned; for an orderly
    /// shutdown (and so a SQLite file can be removed afterwards).
    ///
    /// # Errors
    /// [`PersistenceError::Connect`] when the driver reports a failure while closing.
    pub async fn close(self) -> Result<(), PersistenceError> {
        self.0
            .close()
            .await
            .map_err(|error| PersistenceError::Connect(error.to_string()))
    }
}
