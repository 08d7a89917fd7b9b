//! Orders storage. The order writer records batches of orders born from accepted purchases; the
//! purchase id is unique across orders, so redelivered purchases never make a second order.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::StorageError;
use crate::ids::{ActivityId, OrderId, PurchaseId, UserId};
use crate::order::Order;

/// What recording one order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// The order is new; its stock moved from available to held.
    Created,
    /// An order for this purchase id already existed; nothing changed.
    AlreadyRecorded,
    /// The database's ledger had too little stock available (the gate and the database
    /// disagree), or the purchase names an activity or buyer that is not stored; no order was
    /// made and the purchase is recorded as rejected. A rejected purchase stays rejected when
    /// delivered again.
    Rejected {
        /// Why, for the buyer and the operator.
        reason: String,
    },
}

/// A purchase that could not become an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The purchase.
    pub purchase_id: PurchaseId,
    /// Its sale.
    pub activity_id: ActivityId,
    /// Its buyer.
    pub buyer_id: UserId,
    /// Why it was rejected.
    pub reason: String,
    /// When (the instant the order would have been created).
    pub rejected_at: DateTime<Utc>,
}

/// Orders and purchase rejections.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait OrderRepository: Send + Sync + 'static {
    /// Records a batch of new pending orders in one transaction: per order, at most one order
    /// per purchase id, and for each new one the activity's ledger moves `quantity` from
    /// available to held, guarded so available never goes below zero. Outcomes are in input
    /// order.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing of the batch was recorded.
    fn record(
        &self,
        orders: &[Order],
    ) -> impl Future<Output = Result<Vec<RecordOutcome>, StorageError>> + Send;

    /// The order born from this purchase.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn by_purchase(
        &self,
        id: PurchaseId,
    ) -> impl Future<Output = Result<Option<Order>, StorageError>> + Send;

    /// The rejection of this purchase, if it was rejected.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn rejection(
        &self,
        id: PurchaseId,
    ) -> impl Future<Output = Result<Option<Rejection>, StorageError>> + Send;

    /// The order with this id.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn by_id(
        &self,
        id: OrderId,
    ) -> impl Future<Output = Result<Option<Order>, StorageError>> + Send;

    /// A buyer's orders, newest first.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> impl Future<Output = Result<Vec<Order>, StorageError>> + Send;

    /// Every order of an activity that is not cancelled, for invariant checks and stats:
    /// `(orders, items)` counted over pending and paid orders.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn live_totals(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<(u64, u64), StorageError>> + Send;
}
