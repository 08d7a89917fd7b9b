//! The hot path: purchase tokens, purchase attempts, and what became of a purchase.
//!
//! A purchase attempt does, in order: the local sold-out flag (no IO), the cached activity's
//! phase, the purchase token (signature only), ONE atomic gate call, and the durable publish. The
//! buyer hears "accepted" only once the purchase is durable; if publishing fails the stock goes
//! back through the gate.

mod errors;
mod idempotency;

use seckiller_domain::ports::chain;
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    Clock, GateDecision, IdSource, OrderRepository, PublishError, PublishOutlook, PurchaseGrant,
    PurchaseQueue, PurchaseTokenService, StockGate, TokenError,
};
use seckiller_domain::{
    Activity, ActivityId, ActivityState, Order, Purchase, PurchaseId, Quantity, UserId,
};

pub use errors::{PurchaseError, PurchaseStatusError, TokenRequestError};
pub use idempotency::keyed_purchase_id;

use crate::activity_cache::ActivityCache;
use crate::gate_loader::{GateLoader, LoadOutcome};
use crate::sold_out::{FlagEpoch, SoldOutFlags};
use crate::{Adapters, Caller, Unavailable};

/// Why a sale is not selling right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Closed {
    /// No such (published) activity.
    NotFound,
    /// Before its start.
    NotStarted,
    /// After its end.
    Ended,
    /// Called off.
    Cancelled,
}

fn selling(activity: &Activity, now: DateTime<Utc>) -> Result<(), Closed> {
    match activity.state {
        ActivityState::Draft => Err(Closed::NotFound),
        ActivityState::Cancelled => Err(Closed::Cancelled),
        ActivityState::Published if !activity.window.has_started(now) => Err(Closed::NotStarted),
        ActivityState::Published if activity.window.has_ended(now) => Err(Closed::Ended),
        ActivityState::Published => Ok(()),
    }
}

/// A purchase token and its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseToken {
    /// The token to send with the purchase.
    pub token: String,
    /// It stops working at this instant.
    pub expires_at: DateTime<Utc>,
}

/// One purchase attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseRequest {
    /// The sale.
    pub activity_id: ActivityId,
    /// How many items.
    pub quantity: Quantity,
    /// The purchase token issued for this buyer and sale.
    pub token: String,
    /// The caller's idempotency key: the same key of the same buyer in the same sale names the
    /// same purchase (see [`keyed_purchase_id`]); a fresh UUIDv7 names it when `None`.
    pub idempotency_key: Option<String>,
}

/// What became of a purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurchaseStatus {
    /// Accepted and durable; its order is being written.
    Pending,
    /// Its order exists.
    Ordered(Order),
    /// It could not become an order (reported, never silent).
    Rejected {
        /// Why.
        reason: String,
    },
}

/// The answer to an accepted purchase, first or replayed: its id and where it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseAnswer {
    /// The purchase's id.
    pub id: PurchaseId,
    /// Pending, or its order once written.
    pub status: PurchaseStatus,
}

/// Whether a purchase token was still current, or expired (then it may only replay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenAge {
    Current,
    Expired,
}

/// A replay whose order exists: the caller's own, for the same sale and quantity.
fn replayed_order(
    caller: &Caller,
    activity: ActivityId,
    asked: Quantity,
    order: Order,
) -> Result<PurchaseAnswer, PurchaseError> {
    if order.buyer_id != caller.user_id || order.activity_id != activity {
        return Err(PurchaseError::BadToken);
    }
    if order.quantity != asked {
        return Err(PurchaseError::IdempotencyKeyReused);
    }
    Ok(PurchaseAnswer {
        id: order.purchase_id,
        status: PurchaseStatus::Ordered(order),
    })
}

/// Sales whose accepted purchases are being listed to raise their sold-out flag.
#[derive(Debug, Default)]
struct Learning(std::sync::Mutex<HashSet<ActivityId>>);

impl Learning {
    fn sales(&self) -> std::sync::MutexGuard<'_, HashSet<ActivityId>> {
        // A set of ids cannot be left half-changed by a panic.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The right to list `activity`'s purchases, unless someone holds it; given up when dropped
    /// (also when the request is dropped mid-listing).
    fn begin(&self, activity: ActivityId) -> Option<Listing<'_>> {
        // The lock is released before a `Listing` exists: one made eagerly and dropped while the
        // lock is held would lock it again (a deadlock) and forget another caller's listing.
        let began = self.sales().insert(activity);
        began.then(|| Listing(self, activity))
    }
}

/// One listing under way; see [`Learning::begin`].
struct Listing<'a>(&'a Learning, ActivityId);

impl Drop for Listing<'_> {
    fn drop(&mut self) {
        self.0.sales().remove(&self.1);
    }
}

/// Purchases this node accepted lately, and for whom: what a status poll can still answer from
/// memory while the database and the gate are both out of reach.
type RecentlyAccepted = Arc<quick_cache::sync::Cache<PurchaseId, UserId>>;

/// How many accepted purchases a node remembers for status polls during an outage.
const RECENTLY_ACCEPTED: usize = 100_000;

/// The purchase use cases.
pub struct Purchases<A: Adapters> {
    adapters: Arc<A>,
    sold_out: SoldOutFlags,
    cache: ActivityCache,
    loader: GateLoader<A>,
    token_ttl: Duration,
    accepted: RecentlyAccepted,
    /// Sales whose accepted purchases are being listed to raise their sold-out flag.
    learning: Arc<Learning>,
}

impl<A: Adapters> Clone for Purchases<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            sold_out: self.sold_out.clone(),
            cache: self.cache.clone(),
            loader: self.loader.clone(),
            token_ttl: self.token_ttl,
            accepted: self.accepted.clone(),
            learning: self.learning.clone(),
        }
    }
}

impl<A: Adapters> Purchases<A> {
    /// The purchase path over these adapters; purchase tokens live for `token_ttl`.
    pub fn new(
        adapters: Arc<A>,
        sold_out: SoldOutFlags,
        cache: ActivityCache,
        token_ttl: Duration,
    ) -> Self {
        Self {
            loader: GateLoader::new(adapters.clone()),
            adapters,
            sold_out,
            cache,
            token_ttl,
            accepted: Arc::new(quick_cache::sync::Cache::new(RECENTLY_ACCEPTED)),
            learning: Arc::default(),
        }
    }

    /// The sold-out flags this node answers from.
    pub fn sold_out_flags(&self) -> &SoldOutFlags {
        &self.sold_out
    }

    async fn open_activity(
        &self,
        id: ActivityId,
    ) -> Result<Arc<Activity>, (Closed, Option<Unavailable>)> {
        let activity = self
            .cache
            .get(self.adapters.activities(), id)
            .await
            .map_err(|e| (Closed::NotFound, Some(Unavailable::from(e))))?
            .ok_or((Closed::NotFound, None))?;
        selling(&activity, self.adapters.clock().now()).map_err(|c| (c, None))?;
        Ok(activity)
    }

    /// Issues a purchase token for the caller, only while the sale is open.
    ///
    /// # Errors
    /// [`TokenRequestError`]: unknown, not started, ended, cancelled, sold out, or `Unavailable`.
    pub async fn request_token(
        &self,
        caller: &Caller,
        activity_id: ActivityId,
    ) -> Result<PurchaseToken, TokenRequestError> {
        if self.sold_out.is_sold_out(activity_id) {
            return Err(TokenRequestError::SoldOut);
        }
        self.open_activity(activity_id)
            .await
            .map_err(TokenRequestError::from_closed)?;
        let now = self.adapters.clock().now();
        let expires_at = DateTime::from_timestamp((now + self.token_ttl).timestamp(), 0)
            .ok_or_else(|| {
                TokenRequestError::Unavailable(Unavailable::said("token expiry out of range"))
            })?;
        let grant = PurchaseGrant {
            buyer_id: caller.user_id,
            activity_id,
            expires_at,
        };
        let token = self.adapters.tokens().issue_purchase_token(&grant)?;
        Ok(PurchaseToken { token, expires_at })
    }

    /// Tries to buy. `Ok` means the purchase is accepted AND durable: it will become an order.
    ///
    /// A keyed request (see [`keyed_purchase_id`]) that names a purchase accepted before gets
    /// that purchase back as it stands now (its order once written), even once the sale is sold
    /// out, ended or cancelled, and even with an expired purchase token of the same buyer and
    /// sale: the token proved the buyer was let in, and a replay takes nothing. A request that
    /// would take stock needs a current token.
    ///
    /// # Errors
    /// [`PurchaseError`]: sold out, limit reached, not started, ended, cancelled, unknown, a bad
    /// token, a key used for another request, or `Unavailable` (nothing was taken then).
    pub async fn purchase(
        &self,
        caller: &Caller,
        request: PurchaseRequest,
    ) -> Result<PurchaseAnswer, PurchaseError> {
        let epoch = self.sold_out.epoch();
        let keyed = request
            .idempotency_key
            .as_deref()
            .map(|key| keyed_purchase_id(caller.user_id, request.activity_id, key));
        // No IO: unkeyed requests, and keys the gate had not accepted when the flag was raised.
        if self.sold_out.refuses(request.activity_id, keyed) {
            return Err(PurchaseError::SoldOut);
        }
        let activity = match self.open_activity(request.activity_id).await {
            Ok(activity) => activity,
            // Over, a sale sells nothing more, but a retry still gets its purchase back.
            Err((closed @ (Closed::Ended | Closed::Cancelled), None)) if keyed.is_some() => {
                self.check_token(caller, &request, true)?;
                return self
                    .replay_only(caller, &request, keyed)
                    .await?
                    .ok_or_else(|| PurchaseError::from_closed((closed, None)));
            }
            Err(closed) => return Err(PurchaseError::from_closed(closed)),
        };
        let token = self.check_token(caller, &request, keyed.is_some())?;
        if request.quantity > activity.per_user_limit {
            return Err(PurchaseError::LimitReached {
                limit: activity.per_user_limit.get(),
            });
        }
        if token == TokenAge::Expired {
            return self
                .replay_only(caller, &request, keyed)
                .await?
                .ok_or(PurchaseError::BadToken);
        }
        let a = &self.adapters;
        // Take nothing that cannot be made durable now.
        if a.queue().outlook() == PublishOutlook::Down {
            return Err(PurchaseError::Unavailable(Unavailable(
                "the purchase queue is unreachable".into(),
            )));
        }
        let purchase = Purchase {
            id: keyed.unwrap_or_else(|| PurchaseId::from_uuid(a.ids().next_id())),
            activity_id: request.activity_id,
            buyer_id: caller.user_id,
            quantity: request.quantity,
            unit_price: activity.sale_price,
            accepted_at: a.clock().now(),
        };
        // A fresh id was never given back; a keyed one may have been (a retry), and then the
        // database says whether it replays an order or is taken afresh.
        let decision = match self.take(&activity, &purchase, keyed.is_none()).await? {
            GateDecision::GivenBack => match a.orders().by_purchase(purchase.id).await? {
                // Its order exists (and has since released its stock): replay, take nothing.
                Some(order) => {
                    return replayed_order(caller, purchase.activity_id, purchase.quantity, order);
                }
                None => self.take(&activity, &purchase, true).await?,
            },
            decision => decision,
        };
        match decision {
            GateDecision::Accepted => {}
            GateDecision::Held { quantity } => {
                return self
                    .replay_held(caller, &purchase, purchase.quantity, quantity)
                    .await;
            }
            GateDecision::SoldOut => {
                // Stock taken for publishes that failed lately may still come back: not final.
                if a.queue().outlook() != PublishOutlook::Ready {
                    return Err(PurchaseError::Unavailable(Unavailable(
                        "stock held by unconfirmed purchases may come back".into(),
                    )));
                }
                if purchase.quantity == Quantity::ONE {
                    self.learn_sold_out(purchase.activity_id, epoch).await;
                }
                return Err(PurchaseError::SoldOut);
            }
            GateDecision::LimitReached => {
                return Err(PurchaseError::LimitReached {
                    limit: activity.per_user_limit.get(),
                });
            }
            GateDecision::NotLoaded | GateDecision::GivenBack => {
                return Err(PurchaseError::Unavailable(Unavailable(
                    "the stock gate is being rebuilt".into(),
                )));
            }
        }
        self.make_durable(caller, &purchase, keyed.is_some())
            .await?;
        self.accepted.insert(purchase.id, purchase.buyer_id);
        Ok(PurchaseAnswer {
            id: purchase.id,
            status: PurchaseStatus::Pending,
        })
    }

    /// Checks the purchase token's signature and that it was issued to the caller for this
    /// sale. An expired one still counts for a keyed request, which may then only replay.
    fn check_token(
        &self,
        caller: &Caller,
        request: &PurchaseRequest,
        keyed: bool,
    ) -> Result<TokenAge, PurchaseError> {
        let tokens = self.adapters.tokens();
        let (grant, age) =
            match tokens.verify_purchase_token(&request.token, self.adapters.clock().now()) {
                Ok(grant) => (grant, TokenAge::Current),
                // Verified as of the earliest instant: the signature and the binding still count,
                // the expiry does not.
                Err(TokenError::Expired) if keyed => (
                    tokens
                        .verify_purchase_token(&request.token, DateTime::<Utc>::MIN_UTC)
                        .map_err(|_| PurchaseError::BadToken)?,
                    TokenAge::Expired,
                ),
                Err(_) => return Err(PurchaseError::BadToken),
            };
        match grant.buyer_id == caller.user_id && grant.activity_id == request.activity_id {
            true => Ok(age),
            false => Err(PurchaseError::BadToken),
        }
    }

    /// The purchase a keyed request names, found without taking anything: held in the gate,
    /// or as its order. `None` when it is neither (never accepted, or given back with no order).
    async fn replay_only(
        &self,
        caller: &Caller,
        request: &PurchaseRequest,
        keyed: Option<PurchaseId>,
    ) -> Result<Option<PurchaseAnswer>, PurchaseError> {
        let Some(id) = keyed else {
            return Ok(None);
        };
        let a = &self.adapters;
        let held = a
            .gate()
            .find_purchase(id)
            .await
            .map_err(|e| PurchaseError::Unavailable(Unavailable(e.0)))?;
        if let Some(held) = held {
            if held.buyer_id != caller.user_id || held.activity_id != request.activity_id {
                return Err(PurchaseError::BadToken);
            }
            let quantity = held.quantity;
            return self
                .replay_held(caller, &held, request.quantity, quantity)
                .await
                .map(Some);
        }
        match a.orders().by_purchase(id).await? {
            Some(order) => {
                replayed_order(caller, request.activity_id, request.quantity, order).map(Some)
            }
            None => Ok(None),
        }
    }

    /// A retry of a purchase the gate holds (`held` items): the same request gets it back as it
    /// stands — its order once written, else pending after publishing it again (its first
    /// publish may be what was lost; the id deduplicates) — and another request is refused.
    async fn replay_held(
        &self,
        caller: &Caller,
        purchase: &Purchase,
        asked: Quantity,
        held: Quantity,
    ) -> Result<PurchaseAnswer, PurchaseError> {
        if asked != held {
            return Err(PurchaseError::IdempotencyKeyReused);
        }
        match self.adapters.orders().by_purchase(purchase.id).await {
            Ok(Some(order)) => {
                return replayed_order(caller, purchase.activity_id, asked, order);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(purchase = %purchase.id, error = %chain(&e), "replayed as pending: the orders are out of reach");
            }
        }
        self.make_durable(caller, purchase, true).await?;
        self.accepted.insert(purchase.id, purchase.buyer_id);
        Ok(PurchaseAnswer {
            id: purchase.id,
            status: PurchaseStatus::Pending,
        })
    }

    /// Raises the sale's sold-out flag with the purchases the gate accepted for it, so their
    /// retries still reach it. One listing at a time per sale: the others just hear sold out.
    async fn learn_sold_out(&self, activity: ActivityId, epoch: FlagEpoch) {
        if self.sold_out.is_sold_out(activity) {
            return;
        }
        let Some(_listing) = self.learning.begin(activity) else {
            return;
        };
        match self.adapters.gate().accepted_ids(activity).await {
            Ok(ids) => {
                self.sold_out.mark(activity, epoch, ids);
            }
            // Without the list no flag: the gate answers the next request.
            Err(e) => {
                tracing::debug!(%activity, error = %chain(&e), "sold-out flag not raised: the gate's purchases are out of reach");
            }
        }
    }

    /// Publishes a purchase the gate accepted. If that fails the buyer must not be told
    /// "accepted": stock of a purchase that never reached the queue goes back now; one that may
    /// be stored stays taken, and the reconciler publishes it again (the id deduplicates) so it
    /// becomes its order.
    async fn make_durable(
        &self,
        caller: &Caller,
        purchase: &Purchase,
        keyed: bool,
    ) -> Result<(), PurchaseError> {
        let a = &self.adapters;
        let Err(e) = a.queue().publish(purchase).await else {
            return Ok(());
        };
        // A keyed retry whose order already exists is durable whatever this publish did, and
        // its stock belongs to that order: replay it rather than give the stock back.
        if keyed
            && let Ok(Some(order)) = a.orders().by_purchase(purchase.id).await
            && order.buyer_id == caller.user_id
        {
            return Ok(());
        }
        if let PublishError::NotStored(_) = e
            && let Err(back) = a.gate().give_back(purchase).await
        {
            tracing::error!(purchase = %purchase.id, error = %chain(&back), "could not give stock back after a failed publish");
        }
        Err(PurchaseError::Unavailable(Unavailable::from(e)))
    }

    /// One gate call; if the gate lost this activity, reload it from the database (see
    /// [`GateLoader`]) and try once more. While the reload must wait for the queue to drain, the
    /// buyer is told to retry.
    async fn take(
        &self,
        activity: &Activity,
        purchase: &Purchase,
        retake: bool,
    ) -> Result<GateDecision, PurchaseError> {
        let a = &self.adapters;
        let gate_down =
            |e: seckiller_domain::ports::GateError| PurchaseError::Unavailable(Unavailable(e.0));
        let decision = a.gate().take(purchase, retake).await.map_err(gate_down)?;
        if decision != GateDecision::NotLoaded {
            return Ok(decision);
        }
        match self.loader.load(activity).await? {
            LoadOutcome::Offered => {}
            LoadOutcome::Missing => return Err(PurchaseError::NotFound),
            LoadOutcome::NotDrained => return Ok(GateDecision::NotLoaded),
        }
        a.gate().take(purchase, retake).await.map_err(gate_down)
    }

    /// What became of the caller's purchase. While the database or the gate is out of reach,
    /// it answers from what is still known: an accepted purchase the gate (or this node) holds
    /// for the caller is pending — it is durable, and its order follows once the writer can
    /// write it.
    ///
    /// # Errors
    /// [`PurchaseStatusError::NotFound`] for an unknown purchase or another buyer's, or
    /// `Unavailable` when nothing that could answer is reachable.
    pub async fn status(
        &self,
        caller: &Caller,
        id: PurchaseId,
    ) -> Result<PurchaseStatus, PurchaseStatusError> {
        let a = &self.adapters;
        let stored = match self.stored_status(id).await {
            Ok(Some((buyer, status))) => {
                return match buyer == caller.user_id {
                    true => Ok(status),
                    false => Err(PurchaseStatusError::NotFound),
                };
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        let held = match a.gate().find_purchase(id).await {
            Ok(Some(p)) => Some(p.buyer_id),
            Ok(None) if stored.is_ok() => return Err(PurchaseStatusError::NotFound),
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(purchase = %id, error = %chain(&e), "status from memory: the gate is out of reach");
                None
            }
        };
        match held.or_else(|| self.accepted.get(&id)) {
            Some(buyer) if buyer == caller.user_id => Ok(PurchaseStatus::Pending),
            Some(_) => Err(PurchaseStatusError::NotFound),
            None => match stored {
                Err(e) => Err(PurchaseStatusError::Unavailable(e)),
                Ok(()) => Err(PurchaseStatusError::Unavailable(Unavailable(
                    "the stock gate is out of reach".into(),
                ))),
            },
        }
    }

    /// The purchase's order or rejection, with its buyer, as the database has it.
    async fn stored_status(
        &self,
        id: PurchaseId,
    ) -> Result<Option<(UserId, PurchaseStatus)>, Unavailable> {
        let orders = self.adapters.orders();
        if let Some(order) = orders.by_purchase(id).await? {
            return Ok(Some((order.buyer_id, PurchaseStatus::Ordered(order))));
        }
        Ok(orders.rejection(id).await?.map(|rejection| {
            (
                rejection.buyer_id,
                PurchaseStatus::Rejected {
                    reason: rejection.reason,
                },
            )
        }))
    }
}

#[cfg(test)]
mod tests;
