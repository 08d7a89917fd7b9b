//! What every order move shares: a write transaction that waits its turn on SQLite, and the
//! guarded update that moves an order's held items on in its activity's ledger.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use seckiller_domain::ports::StorageError;
use uuid::Uuid;

use crate::entities::stock_ledger;
use crate::error::storage;

/// Where held items go when their order moves on.
#[derive(Debug, Clone, Copy)]
pub(super) enum Destination {
    /// Back to sale: the order was cancelled or expired.
    Available,
    /// Paid for.
    Sold,
}

impl Destination {
    fn column(self) -> stock_ledger::Column {
        match self {
            Destination::Available => stock_ledger::Column::Available,
            Destination::Sold => stock_ledger::Column::Sold,
        }
    }
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken (waiting out the busy timeout) before anything is read, so a transaction that reads and
/// then writes never finds its snapshot stale at the first write, which SQLite answers with
/// "database is locked" at once, without waiting. Postgres ignores the mode.
pub(crate) async fn begin_write(
    connection: &DatabaseConnection,
) -> Result<DatabaseTransaction, StorageError> {
    connection
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
        .map_err(storage)
}

/// Moves `quantity` held items of `activity` to `to`, guarded so held never goes below zero.
/// Orders and ledger move in one transaction, so a ledger that cannot cover the move means the
/// two disagree: the caller's transaction must be rolled back (dropping it does), not committed.
///
/// # Errors
/// [`StorageError`] "ledger out of balance" when fewer than `quantity` items are held (or the
/// ledger is missing), or when storage fails.
pub(super) async fn move_held(
    transaction: &DatabaseTransaction,
    activity: Uuid,
    quantity: i64,
    to: Destination,
) -> Result<(), StorageError> {
    let moved = stock_ledger::Entity::update_many()
        .col_expr(
            stock_ledger::Column::Held,
            Expr::col(stock_ledger::Column::Held).sub(quantity),
        )
        .col_expr(to.column(), Expr::col(to.column()).add(quantity))
        .filter(stock_ledger::Column::ActivityId.eq(activity))
        .filter(stock_ledger::Column::Held.gte(quantity))
        .exec(transaction)
        .await
        .map_err(storage)?;
    if moved.rows_affected == 0 {
        return Err(StorageError::from(format!(
            "ledger out of balance: activity {activity} holds fewer than {quantity} items"
        )));
    }
    Ok(())
}

/// Rolls `transaction` back now and hands `error` on. Dropping a transaction also rolls it back,
/// but only once its connection is next used: until then its row locks (or SQLite's write lock)
/// linger, and a sweeper claiming with `SKIP LOCKED` would pass the order by.
pub(super) async fn abandon(transaction: DatabaseTransaction, error: StorageError) -> StorageError {
    if let Err(e) = transaction.rollback().await {
        tracing::warn!(error = %e, "rolling back an abandoned order move");
    }
    error
}
