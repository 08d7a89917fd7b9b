//! Use cases of the flash sale: accounts and sessions, the catalogue, and the activities admins
//! run and buyers browse. They speak to the world only through the domain's ports, bundled in
//! [`Adapters`], so they run unchanged on Postgres, SQLite or in-memory adapters.
//!
//! Must not depend on any adapter crate, web framework or runtime.

pub mod accounts;
pub mod activities;
pub mod activity_cache;
mod adapters;
pub mod caller;
pub mod catalog;
pub mod demo;
pub mod every_variant;
pub mod gate_loader;
pub mod idempotency;
pub mod ledger_check;
pub mod order_actions;
pub mod order_writer;
pub mod orders;
pub mod preheat;
pub mod purchases;
pub mod reconciler;
pub mod sale_figures;
pub mod sold_out;
pub mod stats;
pub mod stock_returns;
pub mod sweeper;
#[cfg(test)]
mod testing;
mod unavailable;

pub use adapters::Adapters;
pub use caller::{Admin, Caller, NotAdmin};
pub use every_variant::EveryVariant;
pub use unavailable::Unavailable;
