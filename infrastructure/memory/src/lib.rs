//! In-process adapters: the system clock and id source every wiring uses, a settable clock for
//! tests, and in-memory repositories that let use cases be tested fast without a database.
//!
//! This crate depends on the domain only; it never touches a network or a file.

mod clock;
mod ids;
mod repositories;

pub use clock::{ManualClock, SystemClock};
pub use ids::UuidV7Source;
pub use repositories::{MemoryActivityRepository, MemoryProductRepository, MemoryUserRepository};
