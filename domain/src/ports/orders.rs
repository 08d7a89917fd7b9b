//! Orders storage. The order writer records batches of orders born from accepted purchases; the
//! purchase id is unique across orders, so redelivered purchases never make a second order.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{StorageError, UpdateActivityError};
use crate::activity::Activity;
use crate::ids::{ActivityId, OrderId, PurchaseId, UserId};
use crate::order::{CancelReason, Order};

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

/// What a conditional move of one order did. Storage decides: the move applies only to a
/// pending order (and for payment, strictly before its deadline), so a payment and the sweeper
/// racing for one order never both win.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveOutcome {
    /// The move applied; the order as it is now. Its stock moved with it in the same
    /// transaction.
    Moved(Order),
    /// The order was no longer movable (paid, cancelled, or past its deadline); the order as it
    /// is, unchanged.
    Refused(Order),
    /// No such order.
    Missing,
}

/// Orders and items of one activity, by where the orders are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderTotals {
    /// Items of pending orders: the ledger's held count must equal this.
    pub pending_items: u64,
    /// Items of paid orders: the ledger's sold count must equal this.
    pub paid_items: u64,
    /// Items of cancelled and expired orders.
    pub cancelled_items: u64,
    /// Orders not cancelled (pending or paid).
    pub live_orders: u64,
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

    /// An activity's orders and items by status, for the ledger check and stats.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn totals(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<OrderTotals, StorageError>> + Send;

    /// Every pending and paid order of an activity: the purchases that hold its stock, from
    /// which a stock gate that lost its data is rebuilt.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn live_orders(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<Vec<Order>, StorageError>> + Send;

    /// Every cancelled and expired order of an activity: purchases whose stock went back (or
    /// goes back through the release outbox), which a rebuilt stock gate must still know as
    /// given back.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn ended_orders(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<Vec<Order>, StorageError>> + Send;

    /// Pays a pending order strictly before its deadline (`pay_deadline > now`), in one
    /// conditional update, moving its items held → sold in the same transaction.
    ///
    /// The payment and its sale's cancellation ([`OrderRepository::cancel_sale`]) are one
    /// decision: the payment reads the sale's state under a lock the cancellation's write of the
    /// sale waits for (and waits for it in turn), so whichever commits second sees the first.
    /// An order of a cancelled sale is never paid: it is refused, and if still pending it is
    /// cancelled with its sale (reason: by admin) in the same transaction, and answered as
    /// [`MoveOutcome::Refused`] in that state.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing changed.
    fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<MoveOutcome, StorageError>> + Send;

    /// Cancels a pending order for `reason`, moving its items held → available in the same
    /// transaction. The order then awaits its release (see [`OrderRepository::unreleased`]):
    /// its stock back to the stock gate (not for an admin cancellation: the sale is off) and
    /// any charge refunded.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing changed.
    fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<MoveOutcome, StorageError>> + Send;

    /// Claims up to `limit` pending orders whose deadline is at or before `now` and expires them,
    /// moving their items held → available, in one transaction. Orders another node is claiming
    /// at the same moment are skipped, so no order expires twice. Answers the expired orders.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing changed.
    fn expire_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Order>, StorageError>> + Send;

    /// Stores a sale's cancellation and cancels every one of its pending orders (reason: by
    /// admin, items held → available) in ONE transaction; answers how many orders it cancelled.
    /// `activity` is the sale as cancelled (state cancelled); it is written as
    /// [`ActivityRepository::update`](super::ActivityRepository::update) writes it, only while the
    /// stored version is still `expected_version`.
    ///
    /// Once this commits no order of the sale can be paid (see [`OrderRepository::pay`]); an
    /// order paid before it stays paid and is not among those it cancelled. The cancelled orders
    /// wait in the outbox ([`OrderRepository::unreleased`]) so any charge a losing payment took
    /// is refunded; their stock does not go back to the gate.
    ///
    /// # Errors
    /// [`UpdateActivityError::Conflict`] when the stored version moved on or the sale is gone;
    /// or a storage failure. Nothing is written then.
    fn cancel_sale(
        &self,
        activity: &Activity,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, UpdateActivityError>> + Send;

    /// Up to `limit` cancelled or expired orders not yet released (stock back in the stock gate
    /// where it is owed there, any charge refunded), oldest first: an outbox, so a node dying
    /// between the database move and the gate or refund call loses nothing.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn unreleased(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Order>, StorageError>> + Send;

    /// Records that these orders are released (stock back in the gate, charges refunded).
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn mark_released(
        &self,
        ids: &[OrderId],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;
}
