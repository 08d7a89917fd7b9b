//! The regular shop around the flash sales: a buyer's cart and the orders placed from it at the
//! regular price. Nothing here touches a sale's stock: a regular order moves its products'
//! regular stock, a purchase moves its sale's, and the two pools never meet.

mod cart;
mod regular_order;

pub use cart::{CartLine, MAX_CART_LINES, MAX_LINE_QUANTITY};
pub use regular_order::{
    CurrencyTotal, OrderLine, RegularOrder, RegularOrderError, totals_by_currency,
};
