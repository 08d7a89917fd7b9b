//! The payment provider. Charges are keyed by order id, so asking twice for the same order charges
//! once; a charge that loses the race against expiry is refunded.

use std::future::Future;

use crate::ids::OrderId;

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReceipt {
    /// The provider's reference, stored on the paid order and used to refund.
    pub reference: String,
}

/// Why a charge or refund did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The provider refused the charge (card declined, insufficient funds): nothing was taken.
    #[error("payment declined: {0}")]
    Declined(String),
    /// The provider could not be reached or did not answer in time; the charge may or may not
    /// have happened, and retrying under the same order id is safe.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
}

/// Takes and returns buyers' money.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait PaymentProvider: Send + Sync + 'static {
    /// Charges `amount_minor` (in `currency`) for `order`, once per order however often asked:
    /// a repeated call answers the first charge's receipt.
    ///
    /// # Errors
    /// [`PaymentError::Declined`] or [`PaymentError::Unavailable`].
    fn charge(
        &self,
        order: OrderId,
        amount_minor: i128,
        currency: &str,
    ) -> impl Future<Output = Result<PaymentReceipt, PaymentError>> + Send;

    /// Returns the money of the order's charge, once however often asked; `Ok(false)` when there
    /// was no charge to refund (or it was refunded before).
    ///
    /// # Errors
    /// [`PaymentError::Unavailable`] when the provider could not be reached.
    fn refund(&self, order: OrderId) -> impl Future<Output = Result<bool, PaymentError>> + Send;
}
