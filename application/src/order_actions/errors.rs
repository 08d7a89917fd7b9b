//! The failures of paying and cancelling an order. Every refusal leaves the order and its stock
//! as they were.

use crate::Unavailable;
use crate::unavailable::unavailable_from_ports;

/// Why an order was not paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    /// Unknown, or another buyer's.
    #[error("no such order")]
    NotFound,
    /// The payment window closed first; the order is (or is about to be) expired and its stock
    /// back on sale. Any charge taken meanwhile is refunded.
    #[error("the payment window has closed")]
    Expired,
    /// Cancelled by the buyer or because the sale was called off.
    #[error("the order is cancelled")]
    Cancelled,
    /// The provider refused the charge; nothing was taken and the order can still be paid.
    #[error("payment declined: {0}")]
    Declined(String),
    /// A dependency failed; retrying charges at most once.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(PayError);

/// Why an order was not cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancelOrderError {
    /// Unknown, or another buyer's.
    #[error("no such order")]
    NotFound,
    /// Paid orders are final.
    #[error("the order is already paid")]
    AlreadyPaid,
    /// It expired before the cancellation arrived.
    #[error("the order has expired")]
    Expired,
    /// The sale was called off and the order with it.
    #[error("the order was cancelled with its sale")]
    CancelledBySale,
    /// A dependency failed; nothing changed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(CancelOrderError);
