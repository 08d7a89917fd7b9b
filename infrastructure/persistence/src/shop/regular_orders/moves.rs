//! Paying, cancelling and expiring regular orders. Each is one transaction: the conditional
//! update of the order (only while pending; payment only strictly before the deadline, expiry
//! only at or after it), then its lines' stock moved held → sold or held → available in product
//! id order. Two callers racing for one order meet at its row: the first update wins, the
//! second matches nothing and is refused.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, UpdateMany,
};
use seckiller_domain::ports::{MoveOutcome, StorageError};
use seckiller_domain::{CancelReason, OrderId, OrderStatus, RegularOrder};
use uuid::Uuid;

use super::super::stock::release_held;
use super::{lines_of, load};
use crate::entities::{product_stock, regular_order, stored};
use crate::error::storage;
use crate::orders::begin_write;

type Stock = product_stock::Column;

fn pending(id: OrderId) -> UpdateMany<regular_order::Entity> {
    regular_order::Entity::update_many()
        .filter(regular_order::Column::Id.eq(id.as_uuid()))
        .filter(regular_order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
}

fn status(status: OrderStatus) -> SimpleExpr {
    Expr::value(status.as_str())
}

/// Pays `id` by `payment_ref` if pending and `now` is before its deadline; held → sold.
pub(super) async fn pay(
    connection: &DatabaseConnection,
    id: OrderId,
    payment_ref: &str,
    now: DateTime<Utc>,
) -> Result<MoveOutcome<RegularOrder>, StorageError> {
    let now = stored(now);
    let update = pending(id)
        .col_expr(regular_order::Column::Status, status(OrderStatus::Paid))
        .col_expr(regular_order::Column::PaidAt, Expr::value(now))
        .col_expr(regular_order::Column::PaymentRef, Expr::value(payment_ref))
        .filter(regular_order::Column::PayDeadline.gt(now));
    apply(connection, id, update, Stock::Sold).await
}

/// Cancels `id` for `reason` if pending (an expiry only once due); held → available.
pub(super) async fn cancel(
    connection: &DatabaseConnection,
    id: OrderId,
    reason: CancelReason,
    now: DateTime<Utc>,
) -> Result<MoveOutcome<RegularOrder>, StorageError> {
    let now = stored(now);
    let update = pending(id).col_expr(
        regular_order::Column::Status,
        status(OrderStatus::Cancelled(reason)),
    );
    let update = match reason {
        CancelReason::Expired => update
            .col_expr(regular_order::Column::ExpiredAt, Expr::value(now))
            .filter(regular_order::Column::PayDeadline.lte(now)),
        CancelReason::ByBuyer | CancelReason::ByAdmin => {
            update.col_expr(regular_order::Column::CancelledAt, Expr::value(now))
        }
    };
    apply(connection, id, update, Stock::Available).await
}

async fn apply(
    connection: &DatabaseConnection,
    id: OrderId,
    update: UpdateMany<regular_order::Entity>,
    to: Stock,
) -> Result<MoveOutcome<RegularOrder>, StorageError> {
    let transaction = begin_write(connection).await?;
    let outcome = match move_one(&transaction, id, update, to).await {
        Ok(outcome) => outcome,
        Err(e) => return Err(abandon(transaction, e).await),
    };
    match outcome {
        MoveOutcome::Moved(_) => transaction.commit().await.map_err(storage)?,
        // Nothing was written; ending the transaction now frees SQLite's write lock.
        _ => transaction.rollback().await.map_err(storage)?,
    }
    Ok(outcome)
}

async fn move_one(
    transaction: &DatabaseTransaction,
    id: OrderId,
    update: UpdateMany<regular_order::Entity>,
    to: Stock,
) -> Result<MoveOutcome<RegularOrder>, StorageError> {
    let moved = update
        .exec_with_returning(transaction)
        .await
        .map_err(storage)?;
    let Some(row) = moved.into_iter().next() else {
        return Ok(match load(transaction, &[id.as_uuid()]).await?.pop() {
            Some(order) => MoveOutcome::Refused(order),
            None => MoveOutcome::Missing,
        });
    };
    let lines = lines_of(transaction, &[row.id]).await?;
    let moves = lines
        .iter()
        .map(|l| (l.product_id, i64::from(l.quantity)))
        .collect();
    release_held(transaction, moves, to).await?;
    Ok(MoveOutcome::Moved(super::rows::to_regular_order(
        row, lines,
    )?))
}

/// Claims up to `limit` due pending orders (`FOR UPDATE SKIP LOCKED` on Postgres, so sweepers
/// on several nodes claim disjoint sets) and expires them; their items go back to available.
pub(super) async fn expire_due(
    connection: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<RegularOrder>, StorageError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let now = stored(now);
    let transaction = begin_write(connection).await?;
    match expire_claimed(&transaction, now, limit).await {
        Ok(expired) if expired.is_empty() => {
            transaction.rollback().await.map_err(storage)?;
            Ok(expired)
        }
        Ok(expired) => {
            transaction.commit().await.map_err(storage)?;
            Ok(expired)
        }
        Err(e) => Err(abandon(transaction, e).await),
    }
}

async fn expire_claimed(
    transaction: &DatabaseTransaction,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<RegularOrder>, StorageError> {
    let pending = OrderStatus::PendingPayment.as_str();
    let claimed: Vec<Uuid> = regular_order::Entity::find()
        .select_only()
        .column(regular_order::Column::Id)
        .filter(regular_order::Column::Status.eq(pending))
        .filter(regular_order::Column::PayDeadline.lte(now))
        .order_by_asc(regular_order::Column::PayDeadline)
        .order_by_asc(regular_order::Column::Id)
        .limit(u64::from(limit))
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(transaction)
        .await
        .map_err(storage)?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    regular_order::Entity::update_many()
        .col_expr(
            regular_order::Column::Status,
            status(OrderStatus::Cancelled(CancelReason::Expired)),
        )
        .col_expr(regular_order::Column::ExpiredAt, Expr::value(now))
        .filter(regular_order::Column::Id.is_in(claimed.iter().copied()))
        .filter(regular_order::Column::Status.eq(pending))
        .exec(transaction)
        .await
        .map_err(storage)?;
    let expired = load(transaction, &claimed).await?;
    let mut per_product: BTreeMap<Uuid, i64> = BTreeMap::new();
    for order in &expired {
        for line in &order.lines {
            *per_product.entry(line.product_id.as_uuid()).or_default() +=
                i64::from(line.quantity.get());
        }
    }
    release_held(
        transaction,
        per_product.into_iter().collect(),
        Stock::Available,
    )
    .await?;
    let mut expired = expired;
    expired.sort_by_key(|o| (o.pay_deadline, o.id));
    Ok(expired)
}

/// Rolls `transaction` back now (freeing its locks at once) and hands `error` on.
pub(super) async fn abandon(transaction: DatabaseTransaction, error: StorageError) -> StorageError {
    if let Err(e) = transaction.rollback().await {
        tracing::warn!(error = %e, "rolling back an abandoned regular order move");
    }
    error
}
