//! Orders in `orders` and rejected purchases in `purchase_rejections`: what the order writer makes
//! of each accepted purchase, exactly once per purchase id, and where each order goes from there
//! (paid, cancelled, expired, its stock released back to the gate).

mod expiry;
mod ledger;
mod moves;
mod record;
mod rows;
mod totals;

pub(crate) use ledger::begin_write;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use seckiller_domain::ports::{
    MoveOutcome, OrderRepository, OrderTotals, RecordOutcome, Rejection, StorageError,
    UpdateActivityError,
};
use seckiller_domain::{Activity, ActivityId, CancelReason, Order, OrderId, PurchaseId, UserId};

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
///
/// Every later move (payment, cancellation, expiry) is one transaction too: a conditional update
/// of the order that applies only while it is pending, then the guarded ledger move. A payment
/// and its sale's cancellation meet at the sale's row (see the `moves` and `expiry` modules). Payments,
/// cancellations and sweepers on several nodes may race for the same orders; each order moves
/// once, and the ledger moves with it.
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

    async fn totals(&self, activity: ActivityId) -> Result<OrderTotals, StorageError> {
        totals::totals(self.db.connection(), activity).await
    }

    async fn live_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        totals::orders_by_liveness(self.db.connection(), activity, true).await
    }

    async fn ended_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        totals::orders_by_liveness(self.db.connection(), activity, false).await
    }

    async fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        moves::pay(self.db.connection(), id, payment_ref, now).await
    }

    async fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        moves::cancel(self.db.connection(), id, reason, now).await
    }

    async fn expire_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Order>, StorageError> {
        expiry::expire_due(self.db.connection(), now, limit).await
    }

    async fn cancel_sale(
        &self,
        activity: &Activity,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, UpdateActivityError> {
        expiry::cancel_sale(self.db.connection(), activity, expected_version, now).await
    }

    async fn unreleased(&self, limit: u32) -> Result<Vec<Order>, StorageError> {
        expiry::unreleased(self.db.connection(), limit).await
    }

    async fn mark_released(&self, ids: &[OrderId], now: DateTime<Utc>) -> Result<(), StorageError> {
        expiry::mark_released(self.db.connection(), ids, now).await
    }
}
