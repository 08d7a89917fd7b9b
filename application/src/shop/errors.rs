//! The failures of the regular shop's use cases. Every refusal leaves carts, orders and stock as
//! they were.

use seckiller_domain::{ProductId, RegularOrderError};

use crate::Unavailable;
use crate::unavailable::unavailable_from_ports;

/// Why the catalogue could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopQueryError {
    /// The search text or paging was not acceptable.
    #[error("{0}")]
    BadQuery(String),
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(ShopQueryError);

/// Why a cart line was not set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// No such product.
    #[error("no such product")]
    UnknownProduct,
    /// The product is archived: it can no longer be ordered.
    #[error("the product is no longer sold")]
    Archived,
    /// More than a line may hold, or more lines than a cart may have.
    #[error("{0}")]
    TooMuch(String),
    /// More than is available now.
    #[error("only {available} available")]
    NotEnoughStock {
        /// What is available.
        available: u32,
    },
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(CartError);

/// Why a checkout placed no order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckoutError {
    /// Nothing to order: the cart is empty and no lines were given.
    #[error("nothing to order: the cart is empty")]
    Empty,
    /// A line names no stored product.
    #[error("no such product: {0}")]
    UnknownProduct(ProductId),
    /// A line names an archived product.
    #[error("product {0} is no longer sold")]
    Archived(ProductId),
    /// The lines do not make an order (two currencies, a product twice, too many or too large).
    #[error(transparent)]
    Lines(#[from] RegularOrderError),
    /// A product had too little available; nothing was ordered.
    #[error("product {product_id} has only {available} available")]
    OutOfStock {
        /// The product.
        product_id: ProductId,
        /// What it had available.
        available: u32,
    },
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(CheckoutError);

/// Why a regular order was not paid or cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegularOrderActionError {
    /// Unknown, or another buyer's.
    #[error("no such order")]
    NotFound,
    /// Paid orders are final.
    #[error("the order is already paid")]
    AlreadyPaid,
    /// The payment window closed first; any charge taken meanwhile is refunded.
    #[error("the payment window has closed")]
    Expired,
    /// The buyer cancelled it.
    #[error("the order is cancelled")]
    Cancelled,
    /// The provider refused the charge; nothing was taken.
    #[error("payment declined: {0}")]
    Declined(String),
    /// A dependency failed; retrying charges at most once.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(RegularOrderActionError);
