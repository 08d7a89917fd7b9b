//! The flash-sale domain: aggregates that enforce the sale's rules, and the ports through which the
//! outside world (storage, clocks, credentials, the stock gate, the purchase queue) is reached.
//!
//! This crate does no IO and must never depend on an async runtime, a database driver, a cache
//! client, a message broker or a web framework: every rule here is testable with plain values.

pub mod activity;
pub mod idempotency;
pub mod ids;
pub mod money;
pub mod order;
pub mod ports;
pub mod product;
pub mod purchase;
pub mod quantity;
pub mod stock;
pub mod text;
pub mod user;

pub use activity::{
    Activity, ActivityChanges, ActivityError, ActivityState, NewActivity, PaymentWindow, Phase,
    SaleWindow,
};
pub use idempotency::{
    ClaimHolder, IdempotencyKey, IdempotencyKeyError, IdempotencyScope, RecordedAnswer,
    RequestFingerprint,
};
pub use ids::{ActivityId, OrderId, ProductId, PurchaseId, SessionId, UserId};
pub use money::{Currency, Money, MoneyError};
pub use order::{CancelReason, Order, OrderError, OrderStatus};
pub use product::{NewProduct, Product, ProductChanges};
pub use purchase::Purchase;
pub use quantity::{Quantity, QuantityError};
pub use stock::{StockError, StockLedger};
pub use text::{Description, ImageUrl, Name, TextError};
pub use user::{Password, PasswordHash, Role, User, UserError, Username};
