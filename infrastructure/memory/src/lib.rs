//! In-process adapters: the system clock and id source every wiring uses, a settable clock for
//! tests, the in-process stock gate and restock announcements of the embedded default, and
//! in-memory repositories, sessions, queue and idempotency keys that let use cases be tested fast
//! without a database.
//!
//! This crate depends on the domain only; it never touches a network or a file.

mod clock;
mod gate;
mod idempotency;
mod ids;
mod orders;
mod payment;
mod queue;
mod repositories;
mod restock;
mod sessions;

pub use clock::{ManualClock, SystemClock};
pub use gate::MemoryStockGate;
pub use idempotency::MemoryIdempotencyStore;
pub use ids::UuidV7Source;
pub use orders::MemoryOrderRepository;
pub use payment::{
    DEFAULT_PAYMENT_TIMEOUT, PaymentMode, SimulatedPaymentProvider, UnknownPaymentMode,
};
pub use queue::MemoryPurchaseQueue;
pub use repositories::{MemoryActivityRepository, MemoryProductRepository, MemoryUserRepository};
pub use restock::LocalRestockNotifier;
pub use sessions::MemorySessionStore;
