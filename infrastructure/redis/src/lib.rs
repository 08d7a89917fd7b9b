//! Redis adapters for production: the stock gate, deciding every purchase attempt in one Lua
//! script, with each activity's keys hash-tagged into one slot so it also runs on Redis Cluster.
//!
//! This crate implements domain ports over `fred`; it must not depend on other adapter crates,
//! the application layer or a web framework.

mod gate;
mod keys;
mod record;
mod scripts;

pub use gate::RedisStockGate;
pub use keys::ActivityKeys;
