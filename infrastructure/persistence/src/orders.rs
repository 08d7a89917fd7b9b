//! Orders in `orders` and rejected purchases in `purchase_rejections`: what the order writer makes
//! of each accepted purchase, exactly once per purchase id.

mod record;
mod rows;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use seckiller_domain::ports::{OrderRepository, RecordOutcome, Rejection, StorageError};
use seckiller_domain::{ActivityId, Order, OrderId, OrderStatus, PurchaseId, UserId};

use crate::database::Database;
use crate::entities::{order, purchase_rejection};
use crate::error::storage;
use rows::{to_order, to_rejection};

/// [`OrderRepository`] over sea-orm, for Postgres and SQLite alike.
///
/// A batch is recorded in one transaction that first locks the ledgers of its activities (on
/// Postgres, `FOR UPDATE` in activity id order; SQLite has one writer at a time anyway), so
/// order writers on several nodes recording overlapping batches take turns per activity instead
/// of deadlocking, and each sees the other's orders and rejections once it goes on. A purchase
/// that was rejected once stays rejected when it is delivered again, and one naming an activity
/// or buyer that is not stored is rejected rather than failing its whole batch.
#[derive(Debug, Clone)]
pub struct SeaOrderRepository {
    db: Database,
}

impl SeaOrderRepository {
    /// Orders stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

impl OrderRepository for SeaOrderRepository {
    async fn record(&self, orders: &[Order]) -> Result<Vec<RecordOutcome>, StorageError> {
        record::record(self.db.connection(), orders).await
    }

    async fn by_purchase(&self, id: PurchaseId) -> Result<Option<Order>, StorageError> {
        let row = order::Entity::find()
            .filter(order::Column::PurchaseId.eq(id.as_uuid()))
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        row.map(to_order).transpose()
    }

    async fn rejection(&self, id: PurchaseId) -> Result<Option<Rejection>, StorageError> {
        let row = purchase_rejection::Entity::find_by_id(id.as_uuid())
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(row.map(to_rejection))
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, StorageError> {
        let row = order::Entity::find_by_id(id.as_uuid())
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        row.map(to_order).transpose()
    }

    async fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Order>, StorageError> {
        let rows = order::Entity::find()
            .filter(order::Column::BuyerId.eq(buyer.as_uuid()))
            .order_by_desc(order::Column::CreatedAt)
            .order_by_desc(order::Column::Id)
            .limit(u64::from(limit))
            .offset(u64::from(offset))
            .all(self.db.connection())
            .await
            .map_err(storage)?;
        rows.into_iter().map(to_order).collect()
    }

    async fn live_totals(&self, activity: ActivityId) -> Result<(u64, u64), StorageError> {
        let live = [OrderStatus::PendingPayment, OrderStatus::Paid].map(|s| s.as_str());
        // SUM of a bigint is numeric on Postgres; the cast brings both backends to one type.
        let totals: Option<(i64, i64)> = order::Entity::find()
            .select_only()
            .expr_as(Expr::cust("COUNT(*)"), "orders")
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(quantity), 0) AS BIGINT)"),
                "items",
            )
            .filter(order::Column::ActivityId.eq(activity.as_uuid()))
            .filter(order::Column::Status.is_in(live))
            .into_tuple()
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        let (orders, items) = totals.unwrap_or_default();
        let count = |value: i64| {
            u64::try_from(value).map_err(|_| {
                StorageError(format!(
                    "order totals of activity {activity} are negative: {value}"
                ))
            })
        };
        Ok((count(orders)?, count(items)?))
    }
}
