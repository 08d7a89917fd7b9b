//! Circuit breakers and per-call deadlines, so a dead or frozen dependency costs a buyer a fast
//! 503 instead of a hang: every call to Redis, NATS or the database runs under a deadline, and
//! after repeated failures its breaker opens and refuses calls at once until a probe succeeds.
//!
//! Knows nothing of the domain: the wiring wraps each adapter's calls. Depends on tokio's timer
//! only.

mod breaker;
mod failure_memory;
mod guard;

pub use breaker::{Breaker, BreakerSettings, BreakerState, BreakerView};
pub use failure_memory::FailureMemory;
pub use guard::{Guarded, guarded};
