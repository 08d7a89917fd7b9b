//! Moves of many orders at once, and the outbox of stock owed back to the stock gate.
//!
//! The sweeper's claim is `SELECT … FOR UPDATE SKIP LOCKED` on Postgres: sweepers on several
//! nodes each lock a disjoint set of due orders and skip what another is holding, so no order
//! expires twice and none waits for another node. SQLite has no row locks (sea-query leaves the
//! clause out there), and needs none: its transactions begin immediate, so one writer at a time.
//!
//! Ledgers are always updated in activity id order, the order `record` locks them in, so
//! transactions touching several ledgers take turns instead of deadlocking.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, LockBehavior, LockType, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, Order as SortOrder,
    QueryFilter, QueryOrder, QuerySelect, Select,
};
use seckiller_domain::ports::{StorageError, UpdateActivityError};
use seckiller_domain::{Activity, ActivityId, CancelReason, Order, OrderId, OrderStatus};
use uuid::Uuid;

use super::ledger::{Destination, abandon, begin_write, move_held};
use super::moves::status;
use super::rows::to_order;
use crate::activities::write_activity;
use crate::entities::{order, stored};
use crate::error::storage;

/// How many ids go into one `IN (…)` list: far below every backend's bound-parameter limit.
const IDS_PER_STATEMENT: usize = 500;

/// Statuses of orders that wait in the outbox until released: stock owed back to the stock
/// gate (expired, withdrawn) and charges to refund (all three; a payment that lost the race
/// against its sale's cancellation may have charged).
const AWAITING_RELEASE: [OrderStatus; 3] = [
    OrderStatus::Cancelled(CancelReason::Expired),
    OrderStatus::Cancelled(CancelReason::ByBuyer),
    OrderStatus::Cancelled(CancelReason::ByAdmin),
];

fn pending() -> &'static str {
    OrderStatus::PendingPayment.as_str()
}

/// Claims up to `limit` pending orders due at `now`, oldest deadline first, and expires them;
/// their items move held → available. Answers them as they are now, oldest deadline first.
pub(super) async fn expire_due(
    connection: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Order>, StorageError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let now = stored(now);
    let transaction = begin_write(connection).await?;
    let claimed: Vec<Uuid> = claim(now, limit)
        .into_tuple()
        .all(&transaction)
        .await
        .map_err(storage)?;
    if claimed.is_empty() {
        // Ending the transaction now frees SQLite's write lock for the purchase queue.
        transaction.rollback().await.map_err(storage)?;
        return Ok(Vec::new());
    }
    // The claimed rows are locked (or, on SQLite, the whole database is), so the status check
    // cannot fail here; it is kept so the update is correct on its own.
    let rows = order::Entity::update_many()
        .col_expr(
            order::Column::Status,
            status(OrderStatus::Cancelled(CancelReason::Expired)),
        )
        .col_expr(order::Column::ExpiredAt, Expr::value(now))
        .filter(order::Column::Id.is_in(claimed))
        .filter(order::Column::Status.eq(pending()))
        .exec_with_returning(&transaction)
        .await
        .map_err(storage)?;
    let mut expired = rows
        .into_iter()
        .map(to_order)
        .collect::<Result<Vec<_>, _>>()?;
    if let Err(e) = release_held(&transaction, &expired).await {
        return Err(abandon(transaction, e).await);
    }
    transaction.commit().await.map_err(storage)?;
    expired.sort_by_key(|o| (o.pay_deadline, o.id));
    Ok(expired)
}

/// `SELECT id FROM orders WHERE <pending and due> ORDER BY pay_deadline, id LIMIT <limit> FOR
/// UPDATE SKIP LOCKED`, the lock clause left out on SQLite.
fn claim(now: DateTime<Utc>, limit: u32) -> Select<order::Entity> {
    order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .filter(order::Column::Status.eq(pending()))
        .filter(order::Column::PayDeadline.lte(now))
        .order_by_asc(order::Column::PayDeadline)
        .order_by_asc(order::Column::Id)
        .limit(u64::from(limit))
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
}

/// Stores `activity`'s cancellation (if its version is still `expected_version`) and cancels
/// every pending order of it by admin, moving their items held → available, in one transaction.
/// Answers how many orders it cancelled.
///
/// The sale's row is written first: a payment of one of its orders holds that row `FOR SHARE`
/// from before it touches the order until it commits, so this waits for it and then finds the
/// order paid (each statement of a READ COMMITTED transaction sees what committed before it
/// began). The orders are updated before the ledger, in the order every other move takes.
pub(super) async fn cancel_sale(
    connection: &DatabaseConnection,
    activity: &Activity,
    expected_version: i64,
    now: DateTime<Utc>,
) -> Result<u64, UpdateActivityError> {
    let now = stored(now);
    let transaction = begin_write(connection).await?;
    if let Err(e) = write_activity(&transaction, activity, expected_version).await {
        if let Err(rollback) = transaction.rollback().await {
            tracing::warn!(error = %rollback, "rolling back a refused sale cancellation");
        }
        return Err(e);
    }
    match cancel_pending_in(&transaction, activity.id, now).await {
        Ok(cancelled) => {
            transaction.commit().await.map_err(storage)?;
            Ok(cancelled)
        }
        Err(e) => Err(abandon(transaction, e).await.into()),
    }
}

/// Cancels the pending orders of `activity` by admin in `transaction` and moves their items
/// held → available.
async fn cancel_pending_in(
    transaction: &DatabaseTransaction,
    activity: ActivityId,
    now: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let rows = order::Entity::update_many()
        .col_expr(
            order::Column::Status,
            status(OrderStatus::Cancelled(CancelReason::ByAdmin)),
        )
        .col_expr(order::Column::CancelledAt, Expr::value(now))
        .filter(order::Column::ActivityId.eq(activity.as_uuid()))
        .filter(order::Column::Status.eq(pending()))
        .exec_with_returning(transaction)
        .await
        .map_err(storage)?;
    let cancelled = rows
        .into_iter()
        .map(to_order)
        .collect::<Result<Vec<_>, _>>()?;
    release_held(transaction, &cancelled).await?;
    Ok(cancelled.len() as u64)
}

/// Moves the items of `orders` held → available: one guarded update per activity, in activity
/// id order.
async fn release_held(
    transaction: &DatabaseTransaction,
    orders: &[Order],
) -> Result<(), StorageError> {
    let mut per_activity: BTreeMap<Uuid, i64> = BTreeMap::new();
    for order in orders {
        *per_activity.entry(order.activity_id.as_uuid()).or_default() +=
            i64::from(order.quantity.get());
    }
    for (activity, quantity) in per_activity {
        move_held(transaction, activity, quantity, Destination::Available).await?;
    }
    Ok(())
}

/// When an order was cancelled or expired, whichever it was.
fn ended_at() -> SimpleExpr {
    Func::coalesce([
        Expr::col(order::Column::CancelledAt),
        Expr::col(order::Column::ExpiredAt),
    ])
    .into()
}

/// Up to `limit` cancelled or expired orders not yet released, the longest ended first.
pub(super) async fn unreleased(
    connection: &DatabaseConnection,
    limit: u32,
) -> Result<Vec<Order>, StorageError> {
    let rows = order::Entity::find()
        .filter(order::Column::Status.is_in(AWAITING_RELEASE.map(|s| s.as_str())))
        .filter(order::Column::ReleasedAt.is_null())
        .order_by(ended_at(), SortOrder::Asc)
        .order_by_asc(order::Column::Id)
        .limit(u64::from(limit))
        .all(connection)
        .await
        .map_err(storage)?;
    rows.into_iter().map(to_order).collect()
}

/// Marks `ids` released at `now`. Only cancelled and expired orders are marked, each once: an order
/// released before keeps its first time, and an id of a pending or paid order (a caller's
/// mistake) marks nothing, so it still shows up once it is cancelled.
pub(super) async fn mark_released(
    connection: &DatabaseConnection,
    ids: &[OrderId],
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    if ids.is_empty() {
        return Ok(());
    }
    let now = stored(now);
    let transaction = begin_write(connection).await?;
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        order::Entity::update_many()
            .col_expr(order::Column::ReleasedAt, Expr::value(now))
            .filter(order::Column::Id.is_in(chunk.iter().map(|id| id.as_uuid())))
            .filter(order::Column::Status.is_in(AWAITING_RELEASE.map(|s| s.as_str())))
            .filter(order::Column::ReleasedAt.is_null())
            .exec(&transaction)
            .await
            .map_err(storage)?;
    }
    transaction.commit().await.map_err(storage)
}

#[cfg(test)]
mod tests {
    use sea_orm::{DatabaseBackend, QueryTrait};

    use super::*;

    #[test]
    fn sweepers_on_postgres_skip_the_orders_another_is_claiming() {
        let sql = claim(Utc::now(), 10)
            .build(DatabaseBackend::Postgres)
            .to_string();
        assert!(sql.ends_with("FOR UPDATE SKIP LOCKED"), "{sql}");
        assert!(
            sql.contains(r#"ORDER BY "orders"."pay_deadline" ASC"#),
            "{sql}"
        );
    }

    #[test]
    fn a_sqlite_claim_has_no_lock_clause() {
        let sql = claim(Utc::now(), 10)
            .build(DatabaseBackend::Sqlite)
            .to_string();
        assert!(!sql.contains("FOR UPDATE"), "{sql}");
        assert!(sql.contains("LIMIT 10"), "{sql}");
    }
}
