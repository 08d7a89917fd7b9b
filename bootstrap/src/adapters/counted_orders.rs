//! The order repository, counting for the metrics every order this node moves: paid, cancelled
//! (by its buyer or with its sale), expired, and the items those cancellations and expiries put
//! back on sale. Counted where storage decided the move, so a replayed payment or a lost race
//! counts nothing. The writes get a span each for the trace export; their futures are boxed, as
//! the storage futures are large and the pay path's would otherwise nest deep on the stack.

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    MoveOutcome, OrderRepository, OrderTotals, RecordOutcome, Rejection, StorageError,
    UpdateActivityError,
};
use seckiller_domain::{Activity, ActivityId, CancelReason, Order, OrderId, PurchaseId, UserId};
use seckiller_interfaces::Metrics;

use super::traced::{ok_or_error, traced};

/// `inner`, its order moves counted into `metrics`.
pub struct CountedOrders<R> {
    inner: R,
    metrics: Metrics,
}

impl<R> CountedOrders<R> {
    /// Counts the moves `inner` makes into `metrics`.
    pub fn new(inner: R, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }
}

/// Whether storage made the move, as a span's outcome.
fn moved(result: &Result<MoveOutcome, StorageError>) -> &'static str {
    match result {
        Ok(MoveOutcome::Moved(_)) => "moved",
        Ok(MoveOutcome::Refused(_)) => "refused",
        Ok(MoveOutcome::Missing) => "missing",
        Err(_) => "error",
    }
}

fn items(orders: &[Order]) -> u64 {
    orders.iter().map(|o| u64::from(o.quantity.get())).sum()
}

impl<R: OrderRepository> OrderRepository for CountedOrders<R> {
    async fn record(&self, orders: &[Order]) -> Result<Vec<RecordOutcome>, StorageError> {
        let sale = orders.first().map(|o| o.activity_id);
        traced(
            "orders.record",
            sale,
            self.inner.record(orders),
            ok_or_error,
        )
        .await
    }

    async fn by_purchase(&self, id: PurchaseId) -> Result<Option<Order>, StorageError> {
        self.inner.by_purchase(id).await
    }

    async fn rejection(&self, id: PurchaseId) -> Result<Option<Rejection>, StorageError> {
        self.inner.rejection(id).await
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, StorageError> {
        self.inner.by_id(id).await
    }

    async fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Order>, StorageError> {
        self.inner.for_buyer(buyer, limit, offset).await
    }

    async fn totals(&self, activity: ActivityId) -> Result<OrderTotals, StorageError> {
        self.inner.totals(activity).await
    }

    async fn live_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        self.inner.live_orders(activity).await
    }

    async fn ended_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        self.inner.ended_orders(activity).await
    }

    async fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        let outcome = traced(
            "orders.pay",
            None,
            Box::pin(self.inner.pay(id, payment_ref, now)),
            moved,
        )
        .await?;
        if matches!(outcome, MoveOutcome::Moved(_)) {
            self.metrics.order_paid();
        }
        Ok(outcome)
    }

    async fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        let outcome = traced(
            "orders.cancel",
            None,
            Box::pin(self.inner.cancel(id, reason, now)),
            moved,
        )
        .await?;
        if let MoveOutcome::Moved(order) = &outcome {
            self.metrics
                .orders_cancelled(1, items(std::slice::from_ref(order)));
        }
        Ok(outcome)
    }

    async fn expire_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Order>, StorageError> {
        let expired = traced(
            "orders.expire_due",
            None,
            Box::pin(self.inner.expire_due(now, limit)),
            ok_or_error,
        )
        .await?;
        if !expired.is_empty() {
            self.metrics.orders_expired(expired.len(), items(&expired));
        }
        Ok(expired)
    }

    /// The sale's orders are cancelled with it; their stock goes nowhere, as the sale is off.
    async fn cancel_sale(
        &self,
        activity: &Activity,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, UpdateActivityError> {
        let cancelled = self
            .inner
            .cancel_sale(activity, expected_version, now)
            .await?;
        self.metrics
            .orders_cancelled(usize::try_from(cancelled).unwrap_or(usize::MAX), 0);
        Ok(cancelled)
    }

    async fn unreleased(&self, limit: u32) -> Result<Vec<Order>, StorageError> {
        self.inner.unreleased(limit).await
    }

    async fn mark_released(&self, ids: &[OrderId], now: DateTime<Utc>) -> Result<(), StorageError> {
        self.inner.mark_released(ids, now).await
    }
}
