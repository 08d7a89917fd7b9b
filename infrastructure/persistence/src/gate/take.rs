//! One purchase attempt, in one transaction: lock the activity's stock row, then decide in the
//! contract's order (already held: answered with its quantity, limit, stock) and write the decision before the lock goes.
//!
//! On the common path that is five statements: the lock, the purchase-id lookup, the buyer's
//! held sum, the guarded stock update and the purchase insert. Refusals stop early and write
//! nothing.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use seckiller_domain::ports::{GateDecision, GateError};
use seckiller_domain::{Purchase, Quantity};

use super::begin_write;
use super::rows::{holding_row, stored_count, unavailable};
use crate::entities::{gate_purchase, gate_stock};

/// Decides `purchase` and commits what the decision wrote (nothing for a refusal, which still
/// commits: it releases the row lock at once).
pub(super) async fn take(
    connection: &DatabaseConnection,
    purchase: &Purchase,
    retake: bool,
) -> Result<GateDecision, GateError> {
    // Dropping the transaction on an error rolls back whatever was written.
    let transaction = begin_write(connection).await?;
    let decision = decide(&transaction, purchase, retake).await?;
    transaction.commit().await.map_err(unavailable)?;
    Ok(decision)
}

async fn decide(
    transaction: &DatabaseTransaction,
    purchase: &Purchase,
    retake: bool,
) -> Result<GateDecision, GateError> {
    // The lock comes first, before the purchase-id lookup: two attempts with one id (a retry
    // racing the original) then take turns, and the second finds the first's purchase.
    let Some(stock) = lock_stock(transaction, purchase).await? else {
        return Ok(GateDecision::NotLoaded);
    };
    let recorded = gate_purchase::Entity::find_by_id(purchase.id.as_uuid())
        .one(transaction)
        .await
        .map_err(unavailable)?;
    match &recorded {
        Some(row) if !row.returned => {
            let quantity = u32::try_from(row.quantity)
                .ok()
                .and_then(|q| Quantity::new(q).ok())
                .ok_or_else(|| {
                    GateError::from(format!(
                        "corrupt row in gate_purchases (purchase {}): quantity {}",
                        row.purchase_id, row.quantity
                    ))
                })?;
            return Ok(GateDecision::Held { quantity });
        }
        Some(_) if !retake => return Ok(GateDecision::GivenBack),
        _ => {}
    }

    let quantity = i64::from(purchase.quantity.get());
    let held = held_by_buyer(transaction, purchase).await?;
    if held.saturating_add(quantity) > i64::from(stock.per_user_limit) {
        return Ok(GateDecision::LimitReached);
    }
    // Within the limit, so within the stored integer too.
    let quantity = stored_count("a quantity of", purchase.quantity.get())?;
    let taken = gate_stock::Entity::update_many()
        .col_expr(
            gate_stock::Column::Available,
            Expr::col(gate_stock::Column::Available).sub(quantity),
        )
        .filter(gate_stock::Column::ActivityId.eq(stock.activity_id))
        .filter(gate_stock::Column::Available.gte(quantity))
        .exec(transaction)
        .await
        .map_err(unavailable)?;
    if taken.rows_affected == 0 {
        return Ok(GateDecision::SoldOut);
    }

    match recorded {
        None => {
            gate_purchase::Entity::insert(holding_row(purchase)?)
                .exec_without_returning(transaction)
                .await
                .map_err(unavailable)?;
        }
        // Given back before: tried again, it is decided afresh and recorded as this attempt.
        Some(_) => reactivate(transaction, purchase).await?,
    }
    Ok(GateDecision::Accepted)
}

/// The activity's stock row, locked for the rest of the transaction (`FOR UPDATE` on Postgres;
/// SQLite has no row locks and drops the clause, its `BEGIN IMMEDIATE` already holds the write
/// lock). `None` when the activity is not loaded.
async fn lock_stock(
    transaction: &DatabaseTransaction,
    purchase: &Purchase,
) -> Result<Option<gate_stock::Model>, GateError> {
    gate_stock::Entity::find_by_id(purchase.activity_id.as_uuid())
        .lock_exclusive()
        .one(transaction)
        .await
        .map_err(unavailable)
}

/// Items the buyer's purchases in this activity hold now.
async fn held_by_buyer(
    transaction: &DatabaseTransaction,
    purchase: &Purchase,
) -> Result<i64, GateError> {
    let held = gate_purchase::Entity::find()
        .select_only()
        .expr(Expr::col(gate_purchase::Column::Quantity).sum())
        .filter(gate_purchase::Column::ActivityId.eq(purchase.activity_id.as_uuid()))
        .filter(gate_purchase::Column::BuyerId.eq(purchase.buyer_id.as_uuid()))
        .filter(gate_purchase::Column::Returned.eq(false))
        .into_tuple::<Option<i64>>()
        .one(transaction)
        .await
        .map_err(unavailable)?;
    // No row at all, or SUM over no rows (NULL): the buyer holds nothing.
    Ok(held.flatten().unwrap_or(0))
}

/// Rewrites a given-back purchase's row as this attempt, holding stock again. Guarded on
/// `returned`, so a row that is not given back is never overwritten.
async fn reactivate(
    transaction: &DatabaseTransaction,
    purchase: &Purchase,
) -> Result<(), GateError> {
    let mut row = holding_row(purchase)?;
    row.purchase_id = sea_orm::ActiveValue::NotSet;
    let rewritten = gate_purchase::Entity::update_many()
        .set(row)
        .filter(gate_purchase::Column::PurchaseId.eq(purchase.id.as_uuid()))
        .filter(gate_purchase::Column::Returned.eq(true))
        .exec(transaction)
        .await
        .map_err(unavailable)?;
    if rewritten.rows_affected == 0 {
        // Another attempt under the same id, named with another activity, got there first.
        return Err(GateError::from(format!(
            "purchase {} changed while it was being taken again",
            purchase.id
        )));
    }
    Ok(())
}
