//! The stock gate: the one atomic step of the hot path that decides whether a purchase gets stock.
//! Redis (one Lua script) in production, an in-process gate embedded.

use std::future::Future;

use crate::ids::ActivityId;
use crate::purchase::Purchase;
use crate::quantity::Quantity;

/// The gate could not be reached; the purchase was not decided and nothing was taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stock gate unavailable: {0}")]
pub struct GateError(pub String);

/// The gate's answer to one purchase attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateDecision {
    /// Stock taken, buyer counted, purchase recorded.
    Accepted,
    /// Not enough stock left.
    SoldOut,
    /// The buyer would pass the per-buyer limit.
    LimitReached,
    /// The gate holds no stock for this activity (not preheated, or lost); decide nothing.
    NotLoaded,
}

/// Atomic stock decisions.
pub trait StockGate: Send + Sync + 'static {
    /// Loads an activity's available stock and limit, unless already loaded (idempotent).
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn preheat(
        &self,
        activity: ActivityId,
        available: u32,
        per_user_limit: Quantity,
    ) -> impl Future<Output = Result<(), GateError>> + Send;

    /// In one atomic step: refuse past the limit, refuse when short, else take the stock, count
    /// the buyer and record the purchase.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable; nothing was taken.
    fn try_take(
        &self,
        purchase: &Purchase,
    ) -> impl Future<Output = Result<GateDecision, GateError>> + Send;

    /// Returns a purchase's stock and frees the buyer's count, once per purchase id however often
    /// it is called. True when this call returned it.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn give_back(
        &self,
        purchase: &Purchase,
    ) -> impl Future<Output = Result<bool, GateError>> + Send;
}
