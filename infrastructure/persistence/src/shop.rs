//! The regular shop's storage: the catalogue as buyers search it with each product's regular
//! stock, the carts, and the regular orders. None of it touches a sale's ledger or the purchase
//! tables, and the purchase path touches none of it.

mod carts;
mod catalog;
mod regular_orders;
mod search;
mod stock;

pub use carts::SeaCartRepository;
pub use catalog::SeaShopCatalog;
pub use regular_orders::SeaRegularOrderRepository;
