//! The order: what a purchase becomes once durably recorded. PendingPayment → Paid, or →
//! Cancelled (expired, by the buyer, by an admin). Every move is a method that refuses the
//! illegal ones, so storage only ever sees legal transitions.

use chrono::{DateTime, Utc};

use crate::ids::{ActivityId, OrderId, PurchaseId, UserId};
use crate::money::Money;
use crate::purchase::Purchase;
use crate::quantity::Quantity;

/// Why an order move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// Already paid: nothing more to pay, and it can no longer be cancelled.
    #[error("the order is already paid")]
    AlreadyPaid,
    /// Already cancelled, for the given reason.
    #[error("the order is cancelled ({0:?})")]
    Cancelled(CancelReason),
    /// The payment deadline has passed.
    #[error("the payment window has closed")]
    PaymentWindowClosed,
    /// Expiry asked before the deadline.
    #[error("the order is not due to expire yet")]
    NotDue,
}

/// Why an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Not paid in time.
    Expired,
    /// The buyer withdrew.
    ByBuyer,
    /// The sale was called off.
    ByAdmin,
}

/// Where an order is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Waiting for the buyer to pay before the deadline; its stock is held.
    PendingPayment,
    /// Paid; its stock is sold.
    Paid,
    /// Will never be paid; its stock went back to sale (or nowhere, if the sale was cancelled).
    Cancelled(CancelReason),
}

impl OrderStatus {
    /// The stable name used in storage and the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled(CancelReason::Expired) => "expired",
            OrderStatus::Cancelled(CancelReason::ByBuyer) => "cancelled_by_buyer",
            OrderStatus::Cancelled(CancelReason::ByAdmin) => "cancelled_by_admin",
        }
    }

    /// Reads a stored status name back.
    pub fn parse(value: &str) -> Option<Self> {
        [
            OrderStatus::PendingPayment,
            OrderStatus::Paid,
            OrderStatus::Cancelled(CancelReason::Expired),
            OrderStatus::Cancelled(CancelReason::ByBuyer),
            OrderStatus::Cancelled(CancelReason::ByAdmin),
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// The purchase it was born from; unique across all orders.
    pub purchase_id: PurchaseId,
    /// The sale.
    pub activity_id: ActivityId,
    /// Who bought.
    pub buyer_id: UserId,
    /// How many items.
    pub quantity: Quantity,
    /// The sale price of one item.
    pub unit_price: Money,
    /// Where it is.
    pub status: OrderStatus,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Pay before this instant or lose the stock.
    pub pay_deadline: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// The payment provider's reference for the charge that paid it.
    pub payment_ref: Option<String>,
    /// When it was cancelled by its buyer or with its sale (never set by expiry).
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When it expired unpaid (the sweeper's claim, at or after its deadline).
    pub expired_at: Option<DateTime<Utc>>,
}

impl Order {
    /// The order for an accepted purchase, payable until `pay_deadline`.
    pub fn from_purchase(
        id: OrderId,
        purchase: &Purchase,
        pay_deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            purchase_id: purchase.id,
            activity_id: purchase.activity_id,
            buyer_id: purchase.buyer_id,
            quantity: purchase.quantity,
            unit_price: purchase.unit_price,
            status: OrderStatus::PendingPayment,
            created_at: now,
            pay_deadline,
            paid_at: None,
            payment_ref: None,
            cancelled_at: None,
            expired_at: None,
        }
    }

    /// What the buyer owes, in minor units.
    pub fn total_minor(&self) -> i128 {
        self.unit_price.times(self.quantity)
    }

    /// Records payment by the charge `payment_ref`, strictly before the deadline.
    ///
    /// # Errors
    /// [`OrderError::AlreadyPaid`], [`OrderError::Cancelled`], or
    /// [`OrderError::PaymentWindowClosed`] at or after the deadline.
    pub fn pay(&mut self, now: DateTime<Utc>, payment_ref: &str) -> Result<(), OrderError> {
        self.require_pending()?;
        if now >= self.pay_deadline {
            return Err(OrderError::PaymentWindowClosed);
        }
        self.status = OrderStatus::Paid;
        self.paid_at = Some(now);
        self.payment_ref = Some(payment_ref.to_owned());
        Ok(())
    }

    /// Whether the order is unpaid and can no longer be paid: the sweeper's claim.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status == OrderStatus::PendingPayment && now >= self.pay_deadline
    }

    /// Whether this order's stock goes back to the stock gate on release: an expired or
    /// buyer-cancelled order. An order cancelled with its sale does not (the sale is off), though
    /// it is still released, so that any charge it took is refunded.
    pub fn returns_stock_to_gate(&self) -> bool {
        matches!(
            self.status,
            OrderStatus::Cancelled(CancelReason::Expired | CancelReason::ByBuyer)
        )
    }

    /// The accepted purchase this order was born from, as the stock gate holds it.
    pub fn purchase(&self) -> Purchase {
        Purchase {
            id: self.purchase_id,
            activity_id: self.activity_id,
            buyer_id: self.buyer_id,
            quantity: self.quantity,
            unit_price: self.unit_price,
            accepted_at: self.created_at,
        }
    }

    /// The buyer withdraws before paying.
    ///
    /// # Errors
    /// [`OrderError::AlreadyPaid`] or [`OrderError::Cancelled`].
    pub fn cancel_by_buyer(&mut self, now: DateTime<Utc>) -> Result<(), OrderError> {
        self.cancel(CancelReason::ByBuyer, now)
    }

    /// The sale was called off while this order was unpaid.
    ///
    /// # Errors
    /// [`OrderError::AlreadyPaid`] or [`OrderError::Cancelled`].
    pub fn cancel_by_admin(&mut self, now: DateTime<Utc>) -> Result<(), OrderError> {
        self.cancel(CancelReason::ByAdmin, now)
    }

    /// Cancels an unpaid order whose deadline has passed.
    ///
    /// # Errors
    /// [`OrderError::NotDue`] before the deadline, [`OrderError::AlreadyPaid`] or
    /// [`OrderError::Cancelled`].
    pub fn expire(&mut self, now: DateTime<Utc>) -> Result<(), OrderError> {
        self.require_pending()?;
        if now < self.pay_deadline {
            return Err(OrderError::NotDue);
        }
        self.status = OrderStatus::Cancelled(CancelReason::Expired);
        self.expired_at = Some(now);
        Ok(())
    }

    fn cancel(&mut self, reason: CancelReason, now: DateTime<Utc>) -> Result<(), OrderError> {
        self.require_pending()?;
        self.status = OrderStatus::Cancelled(reason);
        self.cancelled_at = Some(now);
        Ok(())
    }

    fn require_pending(&self) -> Result<(), OrderError> {
        match self.status {
            OrderStatus::PendingPayment => Ok(()),
            OrderStatus::Paid => Err(OrderError::AlreadyPaid),
            OrderStatus::Cancelled(reason) => Err(OrderError::Cancelled(reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::money::Currency;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn pending(deadline: i64) -> Order {
        let purchase = Purchase {
            id: PurchaseId::from_uuid(Uuid::now_v7()),
            activity_id: ActivityId::from_uuid(Uuid::now_v7()),
            buyer_id: UserId::from_uuid(Uuid::now_v7()),
            quantity: Quantity::new(2).unwrap(),
            unit_price: Money::new(250, Currency::parse("USD").unwrap()).unwrap(),
            accepted_at: t(0),
        };
        Order::from_purchase(
            OrderId::from_uuid(Uuid::now_v7()),
            &purchase,
            t(deadline),
            t(0),
        )
    }

    #[test]
    fn an_order_starts_pending_and_owes_price_times_quantity() {
        let o = pending(60);
        assert_eq!(o.status, OrderStatus::PendingPayment);
        assert_eq!(o.total_minor(), 500);
    }

    #[test]
    fn paying_before_the_deadline_succeeds_once() {
        let mut o = pending(60);
        o.pay(t(59), "ch_1").unwrap();
        assert_eq!(o.payment_ref.as_deref(), Some("ch_1"));
        assert_eq!(o.status, OrderStatus::Paid);
        assert_eq!(o.paid_at, Some(t(59)));
        assert_eq!(o.pay(t(59), "ch_1"), Err(OrderError::AlreadyPaid));
    }

    #[test]
    fn paying_at_or_after_the_deadline_is_refused() {
        let mut o = pending(60);
        assert_eq!(o.pay(t(60), "ch_1"), Err(OrderError::PaymentWindowClosed));
        assert_eq!(o.status, OrderStatus::PendingPayment);
    }

    #[test]
    fn an_order_is_overdue_only_while_pending_past_its_deadline() {
        let mut o = pending(60);
        assert!(!o.is_overdue(t(59)));
        assert!(o.is_overdue(t(60)));
        o.pay(t(1), "ch_1").unwrap();
        assert!(!o.is_overdue(t(60)));
    }

    #[test]
    fn an_order_names_the_purchase_it_came_from() {
        let o = pending(60);
        let p = o.purchase();
        assert_eq!(
            (p.id, p.buyer_id, p.quantity),
            (o.purchase_id, o.buyer_id, o.quantity)
        );
        assert_eq!(p.accepted_at, o.created_at);
    }

    #[test]
    fn expiry_waits_for_the_deadline() {
        let mut o = pending(60);
        assert_eq!(o.expire(t(59)), Err(OrderError::NotDue));
        o.expire(t(60)).unwrap();
        assert_eq!(o.status, OrderStatus::Cancelled(CancelReason::Expired));
        assert_eq!((o.expired_at, o.cancelled_at), (Some(t(60)), None));
        assert_eq!(
            o.pay(t(61), "ch_1"),
            Err(OrderError::Cancelled(CancelReason::Expired))
        );
    }

    #[test]
    fn a_paid_order_cannot_be_cancelled_or_expired() {
        let mut o = pending(60);
        o.pay(t(1), "ch_1").unwrap();
        assert_eq!(o.cancel_by_buyer(t(2)), Err(OrderError::AlreadyPaid));
        assert_eq!(o.cancel_by_admin(t(2)), Err(OrderError::AlreadyPaid));
        assert_eq!(o.expire(t(120)), Err(OrderError::AlreadyPaid));
    }

    #[test]
    fn a_cancelled_order_stays_cancelled() {
        let mut o = pending(60);
        o.cancel_by_buyer(t(1)).unwrap();
        assert_eq!((o.cancelled_at, o.expired_at), (Some(t(1)), None));
        assert_eq!(
            o.cancel_by_admin(t(2)),
            Err(OrderError::Cancelled(CancelReason::ByBuyer))
        );
        assert_eq!(
            o.expire(t(100)),
            Err(OrderError::Cancelled(CancelReason::ByBuyer))
        );
        assert_eq!(
            o.pay(t(3), "ch_1"),
            Err(OrderError::Cancelled(CancelReason::ByBuyer))
        );
    }

    #[test]
    fn only_expired_and_withdrawn_orders_return_stock_to_the_gate() {
        let mut expired = pending(60);
        expired.expire(t(60)).unwrap();
        let mut withdrawn = pending(60);
        withdrawn.cancel_by_buyer(t(1)).unwrap();
        let mut called_off = pending(60);
        called_off.cancel_by_admin(t(1)).unwrap();
        let mut paid = pending(60);
        paid.pay(t(1), "ch_1").unwrap();
        assert!(expired.returns_stock_to_gate());
        assert!(withdrawn.returns_stock_to_gate());
        assert!(!called_off.returns_stock_to_gate());
        assert!(!paid.returns_stock_to_gate());
        assert!(!pending(60).returns_stock_to_gate());
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in [
            OrderStatus::PendingPayment,
            OrderStatus::Paid,
            OrderStatus::Cancelled(CancelReason::Expired),
            OrderStatus::Cancelled(CancelReason::ByBuyer),
            OrderStatus::Cancelled(CancelReason::ByAdmin),
        ] {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }
}
