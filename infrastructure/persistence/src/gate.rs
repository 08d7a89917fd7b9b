//! The stock gate kept in the database: stock taken by a guarded conditional update of the
//! activity's row, as the classic seckill systems do it. It serves small sales that run without
//! Redis (on Postgres it is shared by every node) and is the baseline the benchmarks compare the
//! Redis gate against. Its tables (`gate_stock`, `gate_purchases`) are its own: `stock_ledgers`
//! is the database's ledger, reconciled against the gate like any other gate, never shared with it.

mod load;
mod rows;
mod take;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use seckiller_domain::ports::{GateDecision, GateError, StockGate};
use seckiller_domain::{ActivityId, Purchase, PurchaseId, Quantity};

use crate::database::Database;
use crate::entities::{gate_purchase, gate_stock};
use rows::{to_purchase, unavailable};

/// [`StockGate`] in the database, through sea-orm: one code path for Postgres and SQLite.
///
/// Every decision is one transaction. An attempt first locks its activity's `gate_stock` row
/// (Postgres: `SELECT … FOR UPDATE`; SQLite: the transaction begins `IMMEDIATE`, taking the one
/// database-wide write lock), so attempts on one activity take turns: the buyer's held quantity
/// read after the lock cannot change before the decision is written, which makes the per-buyer
/// limit as atomic as the stock. The stock itself is taken by `UPDATE … SET available =
/// available - q WHERE available >= q`, and a CHECK keeps it from ever going below zero.
///
/// Giving back is one transaction too: the purchase row is marked returned only while it holds
/// stock, so of racing callers exactly one returns it. Clones share the pool.
#[derive(Debug, Clone)]
pub struct DatabaseStockGate {
    db: Database,
}

impl DatabaseStockGate {
    /// The gate whose tables live in `db` (created by the migrations).
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    fn connection(&self) -> &DatabaseConnection {
        self.db.connection()
    }
}

impl StockGate for DatabaseStockGate {
    async fn preheat(
        &self,
        activity: ActivityId,
        available: u32,
        per_user_limit: Quantity,
        holdings: &[Purchase],
    ) -> Result<(), GateError> {
        load::preheat(
            self.connection(),
            activity,
            available,
            per_user_limit,
            holdings,
        )
        .await
    }

    async fn remember_given_back(
        &self,
        activity: ActivityId,
        given_back: &[Purchase],
    ) -> Result<(), GateError> {
        load::remember_given_back(self.connection(), activity, given_back).await
    }

    async fn take(&self, purchase: &Purchase, retake: bool) -> Result<GateDecision, GateError> {
        take::take(self.connection(), purchase, retake).await
    }

    async fn give_back(&self, purchase: &Purchase) -> Result<bool, GateError> {
        let transaction = begin_write(self.connection()).await?;
        // The recorded purchase, not the caller's copy, says what to return.
        let returned = gate_purchase::Entity::update_many()
            .col_expr(gate_purchase::Column::Returned, Expr::value(true))
            .filter(gate_purchase::Column::PurchaseId.eq(purchase.id.as_uuid()))
            .filter(gate_purchase::Column::Returned.eq(false))
            .exec_with_returning(&transaction)
            .await
            .map_err(unavailable)?;
        let Some(row) = returned.into_iter().next() else {
            transaction.commit().await.map_err(unavailable)?;
            return Ok(false);
        };
        let restocked = gate_stock::Entity::update_many()
            .col_expr(
                gate_stock::Column::Available,
                Expr::col(gate_stock::Column::Available).add(row.quantity),
            )
            .filter(gate_stock::Column::ActivityId.eq(row.activity_id))
            .exec(&transaction)
            .await
            .map_err(unavailable)?;
        if restocked.rows_affected == 0 {
            // Cannot happen while the foreign key holds; dropping the transaction undoes the mark.
            return Err(GateError::from(format!(
                "purchase {} names activity {}, which the gate has no stock row for",
                purchase.id, row.activity_id
            )));
        }
        transaction.commit().await.map_err(unavailable)?;
        Ok(true)
    }

    async fn available(&self, activity: ActivityId) -> Result<Option<u32>, GateError> {
        let row = gate_stock::Entity::find_by_id(activity.as_uuid())
            .one(self.connection())
            .await
            .map_err(unavailable)?;
        row.map(|stock| {
            u32::try_from(stock.available).map_err(|_| {
                GateError::from(format!(
                    "corrupt row in gate_stock (activity {activity}): available is {}",
                    stock.available
                ))
            })
        })
        .transpose()
    }

    async fn find_purchase(&self, id: PurchaseId) -> Result<Option<Purchase>, GateError> {
        let row = gate_purchase::Entity::find_by_id(id.as_uuid())
            .filter(gate_purchase::Column::Returned.eq(false))
            .one(self.connection())
            .await
            .map_err(unavailable)?;
        row.map(to_purchase).transpose()
    }

    async fn accepted_ids(&self, activity: ActivityId) -> Result<Vec<PurchaseId>, GateError> {
        let ids = gate_purchase::Entity::find()
            .select_only()
            .column(gate_purchase::Column::PurchaseId)
            .filter(gate_purchase::Column::ActivityId.eq(activity.as_uuid()))
            .into_tuple::<uuid::Uuid>()
            .all(self.connection())
            .await
            .map_err(unavailable)?;
        Ok(ids.into_iter().map(PurchaseId::from_uuid).collect())
    }

    async fn holdings(&self, activity: ActivityId) -> Result<Vec<Purchase>, GateError> {
        let rows = gate_purchase::Entity::find()
            .filter(gate_purchase::Column::ActivityId.eq(activity.as_uuid()))
            .filter(gate_purchase::Column::Returned.eq(false))
            // Oldest first, as the other gates answer (the stored time text sorts as time does).
            .order_by_asc(gate_purchase::Column::AcceptedAt)
            .order_by_asc(gate_purchase::Column::PurchaseId)
            .all(self.connection())
            .await
            .map_err(unavailable)?;
        rows.into_iter().map(to_purchase).collect()
    }
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken (waiting out the busy timeout) before anything is read, so what a decision reads cannot
/// change before it writes, and a read-then-write transaction never meets SQLite's immediate
/// "database is locked" on a stale snapshot. Postgres ignores the mode; there the row locks of
/// each operation do the same job.
async fn begin_write(connection: &DatabaseConnection) -> Result<DatabaseTransaction, GateError> {
    connection
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
        .map_err(unavailable)
}
