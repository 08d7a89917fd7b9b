//! Paying and cancelling one order. Each is one transaction: a conditional update of the order
//! that applies only while it is pending (payment also only strictly before its deadline and
//! while its sale is not cancelled), then, if it applied, the guarded ledger move. Two callers racing for one order (a payment and the
//! sweeper, or two payments) meet at the order's row: the first one's update wins, the second's
//! matches nothing and is refused.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    UpdateMany,
};
use seckiller_domain::ports::{MoveOutcome, StorageError};
use seckiller_domain::{ActivityState, CancelReason, OrderId, OrderStatus};
use uuid::Uuid;

use super::ledger::{Destination, abandon, begin_write, move_held};
use super::rows::to_order;
use crate::entities::{activity, order, stored};
use crate::error::storage;

/// Pays `id` by the charge `payment_ref` if it is pending, `now` is before its deadline and its
/// sale is not cancelled; its items move held → sold.
///
/// The sale's row is read `FOR SHARE` first (SQLite leaves the clause out; its write transaction
/// already excludes every other writer). A sale's cancellation updates that row, so it waits for
/// this payment to commit and then finds the order paid, or this payment waits for the
/// cancellation and then reads the sale cancelled (READ COMMITTED re-reads a locked row's latest
/// version). In that case the order, if still pending, is cancelled with its sale here and now
/// and answered as refused.
pub(super) async fn pay(
    connection: &DatabaseConnection,
    id: OrderId,
    payment_ref: &str,
    now: DateTime<Utc>,
) -> Result<MoveOutcome, StorageError> {
    let transaction = begin_write(connection).await?;
    let called_off = match sale_called_off(&transaction, id).await {
        Ok(Some(called_off)) => called_off,
        Ok(None) => {
            transaction.rollback().await.map_err(storage)?;
            return Ok(MoveOutcome::Missing);
        }
        Err(e) => return Err(abandon(transaction, e).await),
    };
    let now = stored(now);
    if called_off {
        let update = pending(id)
            .col_expr(
                order::Column::Status,
                status(OrderStatus::Cancelled(CancelReason::ByAdmin)),
            )
            .col_expr(order::Column::CancelledAt, Expr::value(now));
        return Ok(
            match apply(transaction, id, update, Destination::Available).await? {
                MoveOutcome::Moved(cancelled) => MoveOutcome::Refused(cancelled),
                outcome => outcome,
            },
        );
    }
    let update = pending(id)
        .col_expr(order::Column::Status, status(OrderStatus::Paid))
        .col_expr(order::Column::PaidAt, Expr::value(now))
        .col_expr(order::Column::PaymentRef, Expr::value(payment_ref))
        .filter(order::Column::PayDeadline.gt(now));
    apply(transaction, id, update, Destination::Sold).await
}

/// Whether the sale of order `id` is cancelled, its row locked `FOR SHARE` until `transaction`
/// ends; `None` when there is no such order.
async fn sale_called_off(
    transaction: &DatabaseTransaction,
    id: OrderId,
) -> Result<Option<bool>, StorageError> {
    let sale: Option<Uuid> = order::Entity::find_by_id(id.as_uuid())
        .select_only()
        .column(order::Column::ActivityId)
        .into_tuple()
        .one(transaction)
        .await
        .map_err(storage)?;
    let Some(sale) = sale else {
        return Ok(None);
    };
    let state: Option<String> = activity::Entity::find_by_id(sale)
        .select_only()
        .column(activity::Column::State)
        .lock_shared()
        .into_tuple()
        .one(transaction)
        .await
        .map_err(storage)?;
    Ok(Some(
        state.as_deref() == Some(ActivityState::Cancelled.as_str()),
    ))
}

/// Cancels `id` for `reason` if it is pending; its items move held → available. An expiry also
/// needs the deadline to have passed, as [`seckiller_domain::Order::expire`] does. Every
/// cancellation then waits in the release outbox (for an admin cancellation only to refund a
/// charge: its sale is off, so nothing goes back to the stock gate).
pub(super) async fn cancel(
    connection: &DatabaseConnection,
    id: OrderId,
    reason: CancelReason,
    now: DateTime<Utc>,
) -> Result<MoveOutcome, StorageError> {
    let now = stored(now);
    let update = pending(id).col_expr(
        order::Column::Status,
        status(OrderStatus::Cancelled(reason)),
    );
    let update = match reason {
        CancelReason::Expired => update
            .col_expr(order::Column::ExpiredAt, Expr::value(now))
            .filter(order::Column::PayDeadline.lte(now)),
        CancelReason::ByBuyer | CancelReason::ByAdmin => {
            update.col_expr(order::Column::CancelledAt, Expr::value(now))
        }
    };
    let transaction = begin_write(connection).await?;
    apply(transaction, id, update, Destination::Available).await
}

/// A stored status name as an update value.
pub(super) fn status(status: OrderStatus) -> SimpleExpr {
    Expr::value(status.as_str())
}

/// `UPDATE orders … WHERE id = <id> AND status = 'pending_payment'`.
fn pending(id: OrderId) -> UpdateMany<order::Entity> {
    order::Entity::update_many()
        .filter(order::Column::Id.eq(id.as_uuid()))
        .filter(order::Column::Status.eq(OrderStatus::PendingPayment.as_str()))
}

/// Runs the conditional `update`; if it moved the order, moves its items held → `to` and commits.
/// Otherwise reports the order as it is (read in the same transaction, which is then rolled
/// back, having written nothing).
async fn apply(
    transaction: DatabaseTransaction,
    id: OrderId,
    update: UpdateMany<order::Entity>,
    to: Destination,
) -> Result<MoveOutcome, StorageError> {
    let moved = update
        .exec_with_returning(&transaction)
        .await
        .map_err(storage)?;
    match moved.into_iter().next() {
        Some(row) => {
            let (activity, quantity) = (row.activity_id, row.quantity);
            let order = to_order(row)?;
            if let Err(e) = move_held(&transaction, activity, quantity, to).await {
                return Err(abandon(transaction, e).await);
            }
            transaction.commit().await.map_err(storage)?;
            Ok(MoveOutcome::Moved(order))
        }
        None => match unmoved(&transaction, id).await {
            Ok(outcome) => {
                // Nothing was written; ending the transaction now frees SQLite's write lock.
                transaction.rollback().await.map_err(storage)?;
                Ok(outcome)
            }
            Err(e) => Err(abandon(transaction, e).await),
        },
    }
}

async fn unmoved(
    transaction: &DatabaseTransaction,
    id: OrderId,
) -> Result<MoveOutcome, StorageError> {
    let row = order::Entity::find_by_id(id.as_uuid())
        .one(transaction)
        .await
        .map_err(storage)?;
    match row {
        Some(row) => Ok(MoveOutcome::Refused(to_order(row)?)),
        None => Ok(MoveOutcome::Missing),
    }
}
