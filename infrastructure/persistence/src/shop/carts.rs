//! [`CartRepository`] over sea-orm: one row per (buyer, product) in `cart_lines`.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use seckiller_domain::ports::{CartRepository, StorageError};
use seckiller_domain::{CartLine, ProductId, Quantity, UserId};

use crate::database::Database;
use crate::entities::{cart_line, stored};
use crate::error::{corrupt, storage};

/// [`CartRepository`] over sea-orm, for Postgres and SQLite alike.
#[derive(Debug, Clone)]
pub struct SeaCartRepository {
    db: Database,
}

impl SeaCartRepository {
    /// Carts stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

impl CartRepository for SeaCartRepository {
    async fn lines(&self, buyer: UserId) -> Result<Vec<CartLine>, StorageError> {
        let rows = cart_line::Entity::find()
            .filter(cart_line::Column::BuyerId.eq(buyer.as_uuid()))
            .order_by_asc(cart_line::Column::UpdatedAt)
            .order_by_asc(cart_line::Column::ProductId)
            .all(self.db.connection())
            .await
            .map_err(storage)?;
        rows.into_iter()
            .map(|row| {
                let quantity = u32::try_from(row.quantity)
                    .ok()
                    .and_then(|n| Quantity::new(n).ok())
                    .ok_or_else(|| corrupt("cart_lines", row.product_id, "quantity"))?;
                Ok(CartLine {
                    product_id: ProductId::from_uuid(row.product_id),
                    quantity,
                    updated_at: row.updated_at,
                })
            })
            .collect()
    }

    async fn set_line(&self, buyer: UserId, line: &CartLine) -> Result<(), StorageError> {
        let quantity = i32::try_from(line.quantity.get())
            .map_err(|_| StorageError::from("cart quantity out of range".to_owned()))?;
        cart_line::Entity::insert(cart_line::ActiveModel {
            buyer_id: Set(buyer.as_uuid()),
            product_id: Set(line.product_id.as_uuid()),
            quantity: Set(quantity),
            updated_at: Set(stored(line.updated_at)),
        })
        .on_conflict(
            OnConflict::columns([cart_line::Column::BuyerId, cart_line::Column::ProductId])
                .update_columns([cart_line::Column::Quantity, cart_line::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(self.db.connection())
        .await
        .map(drop)
        .map_err(storage)
    }

    async fn remove_line(&self, buyer: UserId, product: ProductId) -> Result<bool, StorageError> {
        let removed = cart_line::Entity::delete_many()
            .filter(cart_line::Column::BuyerId.eq(buyer.as_uuid()))
            .filter(cart_line::Column::ProductId.eq(product.as_uuid()))
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(removed.rows_affected > 0)
    }

    async fn clear(&self, buyer: UserId) -> Result<(), StorageError> {
        cart_line::Entity::delete_many()
            .filter(cart_line::Column::BuyerId.eq(buyer.as_uuid()))
            .exec(self.db.connection())
            .await
            .map(drop)
            .map_err(storage)
    }
}
