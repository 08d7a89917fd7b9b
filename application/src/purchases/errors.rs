//! The failures of the purchase operations.

use super::Closed;

/// Both the token request and the purchase refuse a closed sale the same way.
macro_rules! from_closed {
    ($error:ident) => {
        impl $error {
            pub(super) fn from_closed((closed, failure): (Closed, Option<Unavailable>)) -> Self {
                match (closed, failure) {
                    (_, Some(u)) => Self::Unavailable(u),
                    (Closed::NotFound, None) => Self::NotFound,
                    (Closed::NotStarted, None) => Self::NotStarted,
                    (Closed::Ended, None) => Self::Ended,
                    (Closed::Cancelled, None) => Self::Cancelled,
                }
            }
        }
    };
}
use crate::Unavailable;
use crate::unavailable::unavailable_from_ports;

/// Why no purchase token was issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRequestError {
    /// No such published activity.
    #[error("no such activity")]
    NotFound,
    /// Tokens are issued only once the sale is open.
    #[error("the sale has not started")]
    NotStarted,
    /// The sale is over.
    #[error("the sale has ended")]
    Ended,
    /// The sale was called off.
    #[error("the sale was cancelled")]
    Cancelled,
    /// Nothing left to buy.
    #[error("sold out")]
    SoldOut,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(TokenRequestError);

from_closed!(TokenRequestError);

/// Why a purchase attempt was refused. Nothing was taken in any of these cases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseError {
    /// No such published activity.
    #[error("no such activity")]
    NotFound,
    /// Before the opening instant.
    #[error("the sale has not started")]
    NotStarted,
    /// After the closing instant.
    #[error("the sale has ended")]
    Ended,
    /// The sale was called off.
    #[error("the sale was cancelled")]
    Cancelled,
    /// Not enough stock left.
    #[error("sold out")]
    SoldOut,
    /// The buyer would pass the per-buyer limit.
    #[error("at most {limit} per buyer")]
    LimitReached {
        /// The limit.
        limit: u32,
    },
    /// The purchase token is missing, forged, expired, or issued to another buyer or sale.
    #[error("the purchase token is not valid for this buyer and sale")]
    BadToken,
    /// The idempotency key names a purchase accepted for another request (another quantity).
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    /// A dependency failed; nothing was taken.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(PurchaseError);

from_closed!(PurchaseError);

/// Why a purchase's status could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseStatusError {
    /// Unknown, or another buyer's.
    #[error("no such purchase")]
    NotFound,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(PurchaseStatusError);
