//! A buyer's cart: products and quantities kept between visits. A cart line is a wish, not a
//! claim: it holds no stock and no price; both are read when the cart is shown and fixed only at
//! checkout.

use chrono::{DateTime, Utc};

use crate::ids::ProductId;
use crate::quantity::Quantity;

/// The most of one product a cart line (and an order line) may ask for.
pub const MAX_LINE_QUANTITY: u32 = 20;

/// The most lines one cart (and one order) may have.
pub const MAX_CART_LINES: usize = 50;

/// One product in a cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartLine {
    /// The product.
    pub product_id: ProductId,
    /// How many, at most [`MAX_LINE_QUANTITY`].
    pub quantity: Quantity,
    /// When the line was last set.
    pub updated_at: DateTime<Utc>,
}
