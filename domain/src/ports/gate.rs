//! The stock gate: the one atomic step of the hot path that decides whether a purchase gets stock.
//! Redis (one Lua script per attempt) in production, an in-process gate embedded. Both pass the
//! same contract suite.

use std::future::Future;

use crate::ids::{ActivityId, PurchaseId};
use crate::ports::Cause;
use crate::purchase::Purchase;
use crate::quantity::Quantity;

/// The gate could not be reached or did not answer in time. The attempt may or may not have
/// been applied (a timeout can hide a success); retrying with the same purchase id is safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stock gate unavailable")]
pub struct GateError(#[source] pub Cause);

impl From<String> for GateError {
    fn from(cause: String) -> Self {
        Self(Cause::from(cause))
    }
}

impl GateError {
    /// Refuses purchases of another activity than `activity`, before a gate records any of them
    /// under it: they would count against the wrong sale. `role` says what they were offered as.
    ///
    /// # Errors
    /// The first foreign purchase, named.
    pub fn refuse_foreign(
        activity: ActivityId,
        purchases: &[Purchase],
        role: &str,
    ) -> Result<(), GateError> {
        match purchases.iter().find(|p| p.activity_id != activity) {
            Some(foreign) => Err(GateError::from(format!(
                "purchase {} of activity {} cannot be loaded as {role} of {activity}",
                foreign.id, foreign.activity_id
            ))),
            None => Ok(()),
        }
    }
}

/// The gate's answer to one purchase attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateDecision {
    /// Stock taken, buyer counted, purchase recorded.
    Accepted,
    /// This purchase id was accepted before and still holds stock: nothing more was taken.
    /// `quantity` is what the recorded purchase holds, so a retry can be told apart from another
    /// request made under the same id.
    Held {
        /// The items the recorded purchase holds.
        quantity: Quantity,
    },
    /// Not enough stock left.
    SoldOut,
    /// The buyer would pass the per-buyer limit.
    LimitReached,
    /// The gate holds no stock for this activity (not preheated, or its data was lost); nothing
    /// was decided.
    NotLoaded,
    /// This purchase id was accepted before and its stock given back since, and the caller asked
    /// not to take it again ([`StockGate::take`] with `retake: false`); nothing was taken. The
    /// caller decides: a retry whose order exists replays it, any other is taken afresh.
    GivenBack,
}

/// Atomic stock decisions, shared by every node.
pub trait StockGate: Send + Sync + 'static {
    /// Loads an activity's available stock and per-buyer limit unless it is already loaded, so
    /// every node may call it at start and before each opening: the first load wins.
    /// `holdings` are the purchases that already hold stock (the live orders, when a gate that
    /// lost its data is rebuilt from the database): they count against their buyers' limits and
    /// can be given back, but take nothing from `available`.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn preheat(
        &self,
        activity: ActivityId,
        available: u32,
        per_user_limit: Quantity,
        holdings: &[Purchase],
    ) -> impl Future<Output = Result<(), GateError>> + Send;

    /// Records purchases of `activity` whose stock went back before the gate lost its data
    /// (cancelled and expired orders, when a gate is rebuilt from the database), so a retry
    /// under one of their ids is answered [`GateDecision::GivenBack`] as before the loss instead
    /// of taking stock afresh. Takes and returns nothing; a purchase id that holds stock keeps
    /// holding it.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable, or a purchase belongs to another activity
    /// (then nothing is recorded).
    fn remember_given_back(
        &self,
        activity: ActivityId,
        given_back: &[Purchase],
    ) -> impl Future<Output = Result<(), GateError>> + Send;

    /// In one atomic step: refuse when the buyer would pass the limit, refuse when stock is short,
    /// else take the stock, count the buyer and record the purchase. A purchase id already
    /// accepted and still holding stock answers [`GateDecision::Held`] without taking anything. A purchase id
    /// accepted and given back before is decided afresh when `retake`, else answered
    /// [`GateDecision::GivenBack`] without taking anything.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable or timed out.
    fn take(
        &self,
        purchase: &Purchase,
        retake: bool,
    ) -> impl Future<Output = Result<GateDecision, GateError>> + Send;

    /// [`StockGate::take`], deciding a given-back purchase id afresh.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable or timed out.
    fn try_take(
        &self,
        purchase: &Purchase,
    ) -> impl Future<Output = Result<GateDecision, GateError>> + Send {
        self.take(purchase, true)
    }

    /// Returns an accepted purchase's stock and frees the buyer's count, once per acceptance
    /// however often it is called. True when this call returned it; false when it was returned
    /// before or never accepted. A given-back purchase id tried again is decided afresh.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn give_back(
        &self,
        purchase: &Purchase,
    ) -> impl Future<Output = Result<bool, GateError>> + Send;

    /// Stock still available in the gate; `None` when the activity is not loaded.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn available(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<Option<u32>, GateError>> + Send;

    /// The accepted purchase recorded under `id` while it still holds stock (given-back
    /// purchases are not found).
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn find_purchase(
        &self,
        id: PurchaseId,
    ) -> impl Future<Output = Result<Option<Purchase>, GateError>> + Send;

    /// Stops trusting the activity's data: once every purchase is written, the gate shows more
    /// stock than the database says is available, so it lost takes (data from before a crash,
    /// a lagging replica). Takes then answer [`GateDecision::NotLoaded`] and [`Self::available`]
    /// `None` until the activity is loaded afresh. True when there was data to distrust. Gates
    /// that cannot lose takes keep their data and answer false.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn distrust(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<bool, GateError>> + Send {
        let _ = activity;
        async { Ok(false) }
    }

    /// The id of every purchase of `activity` the gate accepted and still knows of, holding stock
    /// or given back since. A node that finds a sale sold out keeps them, so that a retry of an
    /// accepted purchase is told apart, with no IO, from a request that would have to be refused.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn accepted_ids(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<Vec<PurchaseId>, GateError>> + Send;

    /// Every accepted purchase of an activity that still holds stock in the gate, so the
    /// reconciler can find the ones that never reached the queue.
    ///
    /// # Errors
    /// [`GateError`] when the gate is unreachable.
    fn holdings(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<Vec<Purchase>, GateError>> + Send;
}
