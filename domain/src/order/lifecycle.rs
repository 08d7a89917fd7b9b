//! The payment lifecycle every kind of order shares, flash-sale and regular alike: pending until
//! paid strictly before its deadline, or cancelled (expired at or after it, by the buyer, by an
//! admin). One set of rules, so both kinds refuse the same moves and storage sees only legal ones.

use chrono::{DateTime, Utc};

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

/// The lifecycle fields of one order, borrowed so each kind of order moves by the same rules.
#[derive(Debug)]
pub struct Stage<'a> {
    /// Where the order is.
    pub status: &'a mut OrderStatus,
    /// Pay before this instant.
    pub pay_deadline: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: &'a mut Option<DateTime<Utc>>,
    /// The charge that paid it.
    pub payment_ref: &'a mut Option<String>,
    /// When it was cancelled (never set by expiry).
    pub cancelled_at: &'a mut Option<DateTime<Utc>>,
    /// When it expired unpaid.
    pub expired_at: &'a mut Option<DateTime<Utc>>,
}

impl Stage<'_> {
    /// Records payment by the charge `payment_ref`, strictly before the deadline.
    ///
    /// # Errors
    /// [`OrderError::AlreadyPaid`], [`OrderError::Cancelled`], or
    /// [`OrderError::PaymentWindowClosed`] at or after the deadline.
    pub fn pay(self, now: DateTime<Utc>, payment_ref: &str) -> Result<(), OrderError> {
        require_pending(*self.status)?;
        if now >= self.pay_deadline {
            return Err(OrderError::PaymentWindowClosed);
        }
        *self.status = OrderStatus::Paid;
        *self.paid_at = Some(now);
        *self.payment_ref = Some(payment_ref.to_owned());
        Ok(())
    }

    /// Expires an unpaid order whose deadline has passed.
    ///
    /// # Errors
    /// [`OrderError::NotDue`] before the deadline, [`OrderError::AlreadyPaid`] or
    /// [`OrderError::Cancelled`].
    pub fn expire(self, now: DateTime<Utc>) -> Result<(), OrderError> {
        require_pending(*self.status)?;
        if now < self.pay_deadline {
            return Err(OrderError::NotDue);
        }
        *self.status = OrderStatus::Cancelled(CancelReason::Expired);
        *self.expired_at = Some(now);
        Ok(())
    }

    /// Cancels an unpaid order for `reason` (the buyer or an admin; expiry is [`Stage::expire`]).
    ///
    /// # Errors
    /// [`OrderError::AlreadyPaid`] or [`OrderError::Cancelled`].
    pub fn cancel(self, reason: CancelReason, now: DateTime<Utc>) -> Result<(), OrderError> {
        require_pending(*self.status)?;
        *self.status = OrderStatus::Cancelled(reason);
        *self.cancelled_at = Some(now);
        Ok(())
    }
}

/// Whether an order in `status` is unpaid and can no longer be paid: the sweeper's claim.
pub fn is_overdue(status: OrderStatus, pay_deadline: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status == OrderStatus::PendingPayment && now >= pay_deadline
}

fn require_pending(status: OrderStatus) -> Result<(), OrderError> {
    match status {
        OrderStatus::PendingPayment => Ok(()),
        OrderStatus::Paid => Err(OrderError::AlreadyPaid),
        OrderStatus::Cancelled(reason) => Err(OrderError::Cancelled(reason)),
    }
}
