//! The adapters a node can be configured with, each port's choices behind one enum so the use
//! cases stay statically typed: one `match` per call, no boxing.

mod counted_orders;
mod gate;
mod guard;
mod queue;
mod restock;
mod storage;
mod traced;

pub use counted_orders::CountedOrders;
pub use gate::{GateAdapter, GateBackend};
pub use guard::DependencyGuard;
pub use queue::QueueAdapter;
pub use restock::RestockAdapter;
pub use storage::Guarded;
