//! The regular shop around the flash sales: buyers browse and search the catalogue, keep a cart,
//! and check out at the regular price; the orders then pay, cancel and expire by the same
//! lifecycle as a flash-sale order. Nothing here reads or moves a sale's stock, and nothing on
//! the purchase path reads what is here ("data isolation"); a regular order is priced from the
//! product, never from a sale ("price isolation").

mod browsing;
mod cart;
mod checkout;
mod errors;
mod regular_orders;

use std::sync::Arc;

use chrono::Duration;

pub use browsing::{ListedProduct, parse_query};
pub use cart::{CartEntry, CartView};
pub use checkout::CheckoutLine;
pub use errors::{CartError, CheckoutError, RegularOrderActionError, ShopQueryError};
pub use regular_orders::{RegularRelease, release_regular_orders};

use crate::Adapters;

/// How long a regular order waits for payment when nothing else is configured.
pub const DEFAULT_PAY_WINDOW: Duration = Duration::minutes(30);

/// The regular shop's use cases.
pub struct Shop<A: Adapters> {
    adapters: Arc<A>,
    pay_window: Duration,
}

impl<A: Adapters> Clone for Shop<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            pay_window: self.pay_window,
        }
    }
}

impl<A: Adapters> Shop<A> {
    /// The shop over these adapters; regular orders wait `pay_window` for payment.
    pub fn new(adapters: Arc<A>, pay_window: Duration) -> Self {
        Self {
            adapters,
            pay_window,
        }
    }
}

#[cfg(test)]
mod tests;
