//! Durable storage for SecKiller through sea-orm: one code path serves Postgres in production and
//! SQLite for the embedded default, and both must pass the same repository contract suite
//! (`seckiller-contract`).
//!
//! Only domain types cross this crate's boundary: SQL, entities and sea-orm errors stay inside.
//! Rows read back are checked against the domain's rules, so bad stored data becomes a
//! `StorageError`, never a panic. Nothing here reads configuration or the environment; the caller
//! passes the URL.

mod activities;
mod connect;
mod database;
mod entities;
mod error;
mod gate;
mod idempotency;
mod orders;
mod products;
mod queue;
mod sessions;
mod users;

pub use activities::SeaActivityRepository;
pub use connect::{connect, connect_with_deadline};
pub use database::Database;
pub use error::PersistenceError;
pub use gate::DatabaseStockGate;
pub use idempotency::SeaIdempotencyStore;
pub use orders::SeaOrderRepository;
pub use products::SeaProductRepository;
pub use queue::{QueueSettings, SqlitePurchaseQueue};
pub use sessions::SeaSessionStore;
pub use users::SeaUserRepository;
