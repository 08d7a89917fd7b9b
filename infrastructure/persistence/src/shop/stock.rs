//! The guarded moves of a product's regular stock. Every transaction moving several products'
//! stock moves them in product id order, so concurrent checkouts, payments and sweeps take turns
//! on each row instead of deadlocking.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use seckiller_domain::ports::StorageError;
use uuid::Uuid;

use crate::entities::product_stock;
use crate::error::storage;

type Column = product_stock::Column;

/// Moves `quantity` of `product` from `from` to `to`, only if `from` holds that many. False when
/// it did not (or the product has no stock row): nothing moved.
pub(super) async fn shift(
    transaction: &DatabaseTransaction,
    product: Uuid,
    quantity: i64,
    from: Column,
    to: Column,
) -> Result<bool, StorageError> {
    let moved = product_stock::Entity::update_many()
        .col_expr(from, Expr::col(from).sub(quantity))
        .col_expr(to, Expr::col(to).add(quantity))
        .filter(Column::ProductId.eq(product))
        .filter(from.gte(quantity))
        .exec(transaction)
        .await
        .map_err(storage)?;
    Ok(moved.rows_affected == 1)
}

/// Moves held items on to `to` for each (product, quantity), in product id order; the ledger
/// and the orders disagree when one cannot be covered, and the caller must roll back.
///
/// # Errors
/// [`StorageError`] "regular stock out of balance", or when storage fails.
pub(super) async fn release_held(
    transaction: &DatabaseTransaction,
    mut moves: Vec<(Uuid, i64)>,
    to: Column,
) -> Result<(), StorageError> {
    moves.sort_by_key(|(product, _)| *product);
    for (product, quantity) in moves {
        if !shift(transaction, product, quantity, Column::Held, to).await? {
            return Err(StorageError::from(format!(
                "regular stock out of balance: product {product} holds fewer than {quantity} items"
            )));
        }
    }
    Ok(())
}
