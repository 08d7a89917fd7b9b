//! Recording a batch of orders: one transaction, one order per purchase id, stock moved from
//! available to held under a guard that never lets available go below zero.
//!
//! The common path is a few statements per batch, not per order: ONE multi-row insert that skips
//! every purchase that already has an order (the unique `purchase_id`), was rejected before, or
//! names an activity or buyer that is not stored, and returns the orders it made; then one
//! guarded ledger update per activity. Only the orders it skipped are looked at one by one, to
//! say why. If some activity's ledger cannot cover its whole share of the batch, that attempt is
//! rolled back (a savepoint) and the batch is recorded order by order, so exactly the orders the
//! ledger can cover are made.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sea_orm::sea_query::{
    Expr, ExprTrait, InsertStatement, OnConflict, Query, SelectStatement, UnionType,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    TryInsertResult,
};
use seckiller_domain::Order;
use seckiller_domain::ports::{RecordOutcome, StorageError};
use uuid::Uuid;

use crate::entities::{order, purchase_rejection, stock_ledger, stored, user};
use crate::error::storage;

/// Rows per multi-row insert: below SQLite's limit of 500 terms in one compound SELECT, and far
/// below both databases' limits on bound parameters.
const ROWS_PER_INSERT: usize = 200;

pub(super) async fn record(
    connection: &DatabaseConnection,
    orders: &[Order],
) -> Result<Vec<RecordOutcome>, StorageError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    // Dropping the transaction on an early return rolls the whole batch back.
    let transaction = connection.begin().await.map_err(storage)?;
    lock_ledgers(&transaction, orders).await?;
    let outcomes = match record_batch(&transaction, orders).await? {
        Some(outcomes) => outcomes,
        None => {
            let mut outcomes = Vec::with_capacity(orders.len());
            for order in orders {
                outcomes.push(record_one(&transaction, order).await?);
            }
            outcomes
        }
    };
    transaction.commit().await.map_err(storage)?;
    Ok(outcomes)
}

/// The whole batch in one insert and one ledger update per activity; `None` (with nothing
/// changed) when some ledger cannot cover its share, so the caller goes order by order.
async fn record_batch(
    transaction: &DatabaseTransaction,
    orders: &[Order],
) -> Result<Option<Vec<RecordOutcome>>, StorageError> {
    let savepoint = transaction.begin().await.map_err(storage)?;
    let made = insert_all(&savepoint, orders).await?;
    let mut per_activity: BTreeMap<Uuid, i64> = BTreeMap::new();
    for order in orders.iter().filter(|o| made.contains(&o.id.as_uuid())) {
        *per_activity.entry(order.activity_id.as_uuid()).or_default() +=
            i64::from(order.quantity.get());
    }
    for (activity, quantity) in per_activity {
        if !hold(&savepoint, activity, quantity).await? {
            savepoint.rollback().await.map_err(storage)?;
            return Ok(None);
        }
    }
    savepoint.commit().await.map_err(storage)?;
    let mut outcomes = Vec::with_capacity(orders.len());
    for order in orders {
        outcomes.push(match made.contains(&order.id.as_uuid()) {
            true => RecordOutcome::Created,
            false => not_inserted(transaction, order).await?,
        });
    }
    Ok(Some(outcomes))
}

/// Inserts every order that can be made (see [`insert_unless_settled`]) in one statement and
/// answers the ids of the orders it made.
async fn insert_all(
    transaction: &DatabaseTransaction,
    orders: &[Order],
) -> Result<HashSet<Uuid>, StorageError> {
    let mut made = HashSet::with_capacity(orders.len());
    for chunk in orders.chunks(ROWS_PER_INSERT) {
        let mut rows = chunk.iter().map(insertable);
        let Some(mut select) = rows.next() else {
            continue;
        };
        for row in rows {
            select.union(UnionType::All, row);
        }
        let mut insert = insert_into_orders(select)?;
        insert.returning_col(order::Column::Id);
        for row in transaction.query_all(&insert).await.map_err(storage)? {
            made.insert(row.try_get::<Uuid>("", "id").map_err(storage)?);
        }
    }
    Ok(made)
}

/// Locks the ledger row of every activity in the batch, in id order, before anything else. Two
/// writers whose batches share a purchase share its activity, so they meet at its ledger and the
/// second waits there holding nothing the first needs: overlapping batches serialise instead of
/// deadlocking on each other's uncommitted orders. SQLite needs nothing: its first write takes
/// the one database-wide write lock.
async fn lock_ledgers(
    transaction: &DatabaseTransaction,
    orders: &[Order],
) -> Result<(), StorageError> {
    if transaction.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let activities: BTreeSet<Uuid> = orders.iter().map(|o| o.activity_id.as_uuid()).collect();
    stock_ledger::Entity::find()
        .select_only()
        .column(stock_ledger::Column::ActivityId)
        .filter(stock_ledger::Column::ActivityId.is_in(activities))
        .order_by_asc(stock_ledger::Column::ActivityId)
        .lock_exclusive()
        .into_tuple::<Uuid>()
        .all(transaction)
        .await
        .map_err(storage)?;
    Ok(())
}

async fn record_one(
    transaction: &DatabaseTransaction,
    order: &Order,
) -> Result<RecordOutcome, StorageError> {
    let inserted = transaction
        .execute(&insert_unless_settled(order)?)
        .await
        .map_err(storage)?
        .rows_affected();
    if inserted > 0 {
        let quantity = i64::from(order.quantity.get());
        if hold(transaction, order.activity_id.as_uuid(), quantity).await? {
            return Ok(RecordOutcome::Created);
        }
        // The ledger cannot cover it: take the order back out, inside this transaction.
        order::Entity::delete_by_id(order.id.as_uuid())
            .exec(transaction)
            .await
            .map_err(storage)?;
        let reason = format!(
            "the stock ledger has fewer than {} items available",
            order.quantity.get()
        );
        return reject(transaction, order, reason).await;
    }
    not_inserted(transaction, order).await
}

/// Why an order was not inserted: the purchase has an order already, was rejected before, or
/// names an activity or buyer that is not stored.
async fn not_inserted(
    transaction: &DatabaseTransaction,
    order: &Order,
) -> Result<RecordOutcome, StorageError> {
    let recorded = order::Entity::find()
        .filter(order::Column::PurchaseId.eq(order.purchase_id.as_uuid()))
        .count(transaction)
        .await
        .map_err(storage)?;
    if recorded > 0 {
        return Ok(RecordOutcome::AlreadyRecorded);
    }
    if let Some(reason) = stored_reason(transaction, order).await? {
        return Ok(RecordOutcome::Rejected { reason });
    }
    let ledgers = stock_ledger::Entity::find_by_id(order.activity_id.as_uuid())
        .count(transaction)
        .await
        .map_err(storage)?;
    let reason = if ledgers == 0 {
        format!("activity {} does not exist", order.activity_id)
    } else {
        format!("buyer {} does not exist", order.buyer_id)
    };
    reject(transaction, order, reason).await
}

/// `INSERT INTO orders (…) SELECT … WHERE <activity and buyer exist> AND <purchase not rejected>
/// ON CONFLICT (purchase_id) DO NOTHING`: inserts the order only when it can be made, and never
/// fails on a foreign key.
fn insert_unless_settled(order: &Order) -> Result<InsertStatement, StorageError> {
    insert_into_orders(insertable(order))
}

/// `SELECT <the order's values> WHERE <activity and buyer exist> AND <purchase not rejected>`.
fn insertable(order: &Order) -> SelectStatement {
    Query::select()
        .exprs([
            Expr::val(order.id.as_uuid()),
            Expr::val(order.purchase_id.as_uuid()),
            Expr::val(order.activity_id.as_uuid()),
            Expr::val(order.buyer_id.as_uuid()),
            Expr::val(i64::from(order.quantity.get())),
            Expr::val(order.unit_price.amount_minor()),
            Expr::val(order.unit_price.currency().as_str()),
            Expr::val(order.status.as_str()),
            Expr::val(stored(order.created_at)),
            Expr::val(stored(order.pay_deadline)),
            Expr::val(order.paid_at.map(stored)),
            Expr::val(order.payment_ref.clone()),
            Expr::val(order.cancelled_at.map(stored)),
            Expr::val(order.expired_at.map(stored)),
        ])
        .and_where(Expr::exists(exists_where(
            stock_ledger::Entity,
            stock_ledger::Column::ActivityId,
            order.activity_id.as_uuid(),
        )))
        .and_where(Expr::exists(exists_where(
            user::Entity,
            user::Column::Id,
            order.buyer_id.as_uuid(),
        )))
        .and_where(Expr::not_exists(exists_where(
            purchase_rejection::Entity,
            purchase_rejection::Column::PurchaseId,
            order.purchase_id.as_uuid(),
        )))
        .to_owned()
}

/// `INSERT INTO orders (…) <rows> ON CONFLICT (purchase_id) DO NOTHING`.
fn insert_into_orders(rows: SelectStatement) -> Result<InsertStatement, StorageError> {
    let mut insert = Query::insert();
    insert
        .into_table(order::Entity)
        .columns([
            order::Column::Id,
            order::Column::PurchaseId,
            order::Column::ActivityId,
            order::Column::BuyerId,
            order::Column::Quantity,
            order::Column::UnitPriceMinor,
            order::Column::Currency,
            order::Column::Status,
            order::Column::CreatedAt,
            order::Column::PayDeadline,
            order::Column::PaidAt,
            order::Column::PaymentRef,
            order::Column::CancelledAt,
            order::Column::ExpiredAt,
        ])
        .select_from(rows)
        .map_err(|e| StorageError::from(format!("building the order insert: {e}")))?
        .on_conflict(
            OnConflict::column(order::Column::PurchaseId)
                .do_nothing()
                .to_owned(),
        );
    Ok(insert)
}

/// `SELECT 1 FROM <table> WHERE <key> = <id>`, for EXISTS.
fn exists_where<E: EntityTrait, C: ColumnTrait>(table: E, key: C, id: Uuid) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(table)
        .and_where(key.eq(id))
        .to_owned()
}

/// Moves `quantity` of the activity from available to held if that much is available.
async fn hold(
    transaction: &DatabaseTransaction,
    activity: Uuid,
    quantity: i64,
) -> Result<bool, StorageError> {
    let moved = stock_ledger::Entity::update_many()
        .col_expr(
            stock_ledger::Column::Available,
            Expr::col(stock_ledger::Column::Available).sub(quantity),
        )
        .col_expr(
            stock_ledger::Column::Held,
            Expr::col(stock_ledger::Column::Held).add(quantity),
        )
        .filter(stock_ledger::Column::ActivityId.eq(activity))
        .filter(stock_ledger::Column::Available.gte(quantity))
        .exec(transaction)
        .await
        .map_err(storage)?;
    Ok(moved.rows_affected > 0)
}

/// Records the purchase as rejected (once: a rejection already stored keeps its reason) and
/// reports the stored reason. The rejection is dated with the order's own creation time: the
/// order writer's clock, not this adapter's.
async fn reject(
    transaction: &DatabaseTransaction,
    order: &Order,
    reason: String,
) -> Result<RecordOutcome, StorageError> {
    let row = purchase_rejection::ActiveModel {
        purchase_id: Set(order.purchase_id.as_uuid()),
        activity_id: Set(order.activity_id.as_uuid()),
        buyer_id: Set(order.buyer_id.as_uuid()),
        reason: Set(reason.clone()),
        rejected_at: Set(stored(order.created_at)),
    };
    let inserted = purchase_rejection::Entity::insert(row)
        .on_conflict_do_nothing_on([purchase_rejection::Column::PurchaseId])
        .exec_without_returning(transaction)
        .await
        .map_err(storage)?;
    let reason = match inserted {
        TryInsertResult::Inserted(rows) if rows > 0 => reason,
        _ => stored_reason(transaction, order).await?.unwrap_or(reason),
    };
    Ok(RecordOutcome::Rejected { reason })
}

async fn stored_reason(
    transaction: &DatabaseTransaction,
    order: &Order,
) -> Result<Option<String>, StorageError> {
    purchase_rejection::Entity::find_by_id(order.purchase_id.as_uuid())
        .select_only()
        .column(purchase_rejection::Column::Reason)
        .into_tuple::<String>()
        .one(transaction)
        .await
        .map_err(storage)
}
