//! [`ShopCatalog`] over sea-orm: searching active products, reading products with their regular
//! stock, an admin's stock changes, and the live sales a listing names.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use seckiller_domain::ports::{
    ChangeStockError, ProductSearch, ShopCatalog, StockChange, StockedProduct, StorageError,
};
use seckiller_domain::{Activity, ActivityState, ProductId, StockLedger};
use uuid::Uuid;

use super::search::{in_order, matching_ids};
use crate::activities::to_record;
use crate::database::Database;
use crate::entities::{activity, product, product_stock, stock_ledger, stored};
use crate::error::{corrupt, storage};
use crate::orders::begin_write;
use crate::products::to_product;

/// [`ShopCatalog`] over sea-orm, for Postgres and SQLite alike.
#[derive(Debug, Clone)]
pub struct SeaShopCatalog {
    db: Database,
}

impl SeaShopCatalog {
    /// The catalogue stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    async fn load(&self, ids: &[Uuid]) -> Result<Vec<StockedProduct>, StorageError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let connection = self.db.connection();
        let products = product::Entity::find()
            .filter(product::Column::Id.is_in(ids.iter().copied()))
            .all(connection)
            .await
            .map_err(storage)?;
        let stock = product_stock::Entity::find()
            .filter(product_stock::Column::ProductId.is_in(ids.iter().copied()))
            .all(connection)
            .await
            .map_err(storage)?;
        let mut found = Vec::with_capacity(products.len());
        for row in products {
            let id = row.id;
            let ledger = stock
                .iter()
                .find(|s| s.product_id == id)
                .map(ledger)
                .transpose()?
                .unwrap_or_else(|| StockLedger::new(0));
            found.push((
                id,
                StockedProduct {
                    product: to_product(row)?,
                    stock: ledger,
                },
            ));
        }
        Ok(in_order(ids, found))
    }
}

/// A stored regular stock row as a ledger; counts that do not add up are corrupt.
pub(super) fn ledger(row: &product_stock::Model) -> Result<StockLedger, StorageError> {
    let count = |n: i64| u32::try_from(n).ok();
    count(row.total)
        .zip(count(row.available))
        .zip(count(row.held).zip(count(row.sold)))
        .and_then(|((total, available), (held, sold))| {
            StockLedger::from_counts(total, available, held, sold)
        })
        .ok_or_else(|| {
            corrupt(
                "product_stock",
                row.product_id,
                "counts out of range or out of balance",
            )
        })
}

impl ShopCatalog for SeaShopCatalog {
    async fn search(&self, search: &ProductSearch) -> Result<Vec<StockedProduct>, StorageError> {
        let ids = matching_ids(self.db.connection(), search).await?;
        self.load(&ids).await
    }

    async fn stocked(&self, ids: &[ProductId]) -> Result<Vec<StockedProduct>, StorageError> {
        let ids: Vec<Uuid> = ids.iter().map(|id| id.as_uuid()).collect();
        self.load(&ids).await
    }

    async fn change_stock(
        &self,
        id: ProductId,
        change: StockChange,
    ) -> Result<StockLedger, ChangeStockError> {
        let transaction = begin_write(self.db.connection()).await?;
        let row = product_stock::Entity::find_by_id(id.as_uuid())
            .lock_exclusive()
            .one(&transaction)
            .await
            .map_err(storage)?;
        let Some(row) = row else {
            transaction.rollback().await.map_err(storage)?;
            return Err(ChangeStockError::NotFound);
        };
        let mut stock = ledger(&row)?;
        let changed = match change {
            StockChange::SetTotal(total) => stock.set_total(total),
            StockChange::Restock(n) => stock.restock(n),
        };
        if let Err(refused) = changed {
            transaction.rollback().await.map_err(storage)?;
            return Err(ChangeStockError::Refused(refused));
        }
        product_stock::Entity::update(product_stock::ActiveModel {
            product_id: Set(row.product_id),
            total: Set(i64::from(stock.total())),
            available: Set(i64::from(stock.available())),
            held: Set(i64::from(stock.held())),
            sold: Set(i64::from(stock.sold())),
        })
        .exec(&transaction)
        .await
        .map_err(storage)?;
        transaction.commit().await.map_err(storage)?;
        Ok(stock)
    }

    async fn live_sales(
        &self,
        products: &[ProductId],
        now: DateTime<Utc>,
    ) -> Result<Vec<Activity>, StorageError> {
        if products.is_empty() {
            return Ok(Vec::new());
        }
        let rows = activity::Entity::find()
            .filter(activity::Column::ProductId.is_in(products.iter().map(|p| p.as_uuid())))
            .filter(activity::Column::State.eq(ActivityState::Published.as_str()))
            .filter(activity::Column::EndsAt.gt(stored(now)))
            .find_also_related(stock_ledger::Entity)
            .all(self.db.connection())
            .await
            .map_err(storage)?;
        rows.into_iter()
            .map(|(activity, ledger)| to_record(activity, ledger).map(|r| r.activity))
            .collect()
    }
}
