//! The stock gate kept in process memory, for the embedded default (one node, no Redis). It
//! follows the same contract as the Redis gate (the contract suite runs against both): every call
//! takes one short lock, so each decision is atomic exactly as one Lua script is in Redis.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex, MutexGuard};

use seckiller_domain::ports::{GateDecision, GateError, StockGate};
use seckiller_domain::{ActivityId, Purchase, PurchaseId, Quantity, UserId};

/// One activity's share of the gate: what the Redis gate keeps under the activity's keys.
#[derive(Debug)]
struct ActivityGate {
    available: u32,
    per_user_limit: u32,
    bought: HashMap<UserId, u32>,
}

#[derive(Debug, Default)]
struct State {
    activities: HashMap<ActivityId, ActivityGate>,
    /// Accepted purchases still holding stock; a given-back purchase leaves.
    holding: HashMap<PurchaseId, Purchase>,
    /// Purchase ids accepted and given back since, with their activity, so a retry can be told
    /// so.
    given_back: HashMap<PurchaseId, ActivityId>,
}

/// Atomic stock decisions in process memory. Clones share the same gate, so every service of
/// one node sees the same stock.
///
/// A preheat loads stock, limit and holdings under one lock, so no attempt sees an activity
/// half rebuilt; holdings of another activity are refused with a [`GateError`] and nothing is
/// loaded. [`StockGate::holdings`] scans every purchase held in the gate: it serves an
/// occasional reconciler, not the hot path.
#[derive(Debug, Clone, Default)]
pub struct MemoryStockGate(Arc<Mutex<State>>);

impl MemoryStockGate {
    /// An empty gate: no activity is loaded.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-made decision: every decision
        // checks first and writes last, so the state stays usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl StockGate for MemoryStockGate {
    /// Forgets the activity and its holdings (given-back records stay), as the Redis gate
    /// forgets data it no longer trusts; the next load starts afresh.
    async fn distrust(&self, activity: ActivityId) -> Result<bool, GateError> {
        let mut state = self.lock();
        let known = state.activities.remove(&activity).is_some();
        state.holding.retain(|_, held| held.activity_id != activity);
        Ok(known)
    }

    async fn preheat(
        &self,
        activity: ActivityId,
        available: u32,
        per_user_limit: Quantity,
        holdings: &[Purchase],
    ) -> Result<(), GateError> {
        GateError::refuse_foreign(activity, holdings, "a holding")?;
        let mut state = self.lock();
        let State {
            activities,
            holding,
            ..
        } = &mut *state;
        let Entry::Vacant(vacant) = activities.entry(activity) else {
            return Ok(());
        };
        let gate = vacant.insert(ActivityGate {
            available,
            per_user_limit: per_user_limit.get(),
            bought: HashMap::new(),
        });
        for held in holdings {
            // Listed twice, a holding still holds its stock once.
            if let Entry::Vacant(record) = holding.entry(held.id) {
                record.insert(held.clone());
                let bought = gate.bought.entry(held.buyer_id).or_insert(0);
                *bought = bought.saturating_add(held.quantity.get());
            }
        }
        Ok(())
    }

    async fn remember_given_back(
        &self,
        activity: ActivityId,
        given_back: &[Purchase],
    ) -> Result<(), GateError> {
        GateError::refuse_foreign(activity, given_back, "given back")?;
        let mut state = self.lock();
        let State {
            holding,
            given_back: remembered,
            ..
        } = &mut *state;
        for purchase in given_back {
            if !holding.contains_key(&purchase.id) {
                remembered.insert(purchase.id, activity);
            }
        }
        Ok(())
    }

    async fn take(&self, purchase: &Purchase, retake: bool) -> Result<GateDecision, GateError> {
        let mut state = self.lock();
        let State {
            activities,
            holding,
            given_back,
        } = &mut *state;
        if let Some(held) = holding.get(&purchase.id) {
            return Ok(GateDecision::Held {
                quantity: held.quantity,
            });
        }
        if !retake && given_back.contains_key(&purchase.id) {
            return Ok(GateDecision::GivenBack);
        }
        let Some(gate) = activities.get_mut(&purchase.activity_id) else {
            return Ok(GateDecision::NotLoaded);
        };
        let quantity = purchase.quantity.get();
        let bought = gate.bought.get(&purchase.buyer_id).copied().unwrap_or(0);
        if u64::from(bought) + u64::from(quantity) > u64::from(gate.per_user_limit) {
            return Ok(GateDecision::LimitReached);
        }
        if gate.available < quantity {
            return Ok(GateDecision::SoldOut);
        }
        gate.available -= quantity;
        // Cannot overflow: bought + quantity was just checked to be at most the limit.
        gate.bought.insert(purchase.buyer_id, bought + quantity);
        given_back.remove(&purchase.id);
        holding.insert(purchase.id, purchase.clone());
        Ok(GateDecision::Accepted)
    }

    async fn give_back(&self, purchase: &Purchase) -> Result<bool, GateError> {
        let mut state = self.lock();
        let State {
            activities,
            holding,
            given_back,
        } = &mut *state;
        // The recorded purchase, not the caller's copy, says what to return.
        let Some(accepted) = holding.get(&purchase.id) else {
            return Ok(false);
        };
        let Some(gate) = activities.get_mut(&accepted.activity_id) else {
            return Ok(false);
        };
        let quantity = accepted.quantity.get();
        gate.available = gate.available.saturating_add(quantity);
        if let Some(bought) = gate.bought.get_mut(&accepted.buyer_id) {
            *bought = bought.saturating_sub(quantity);
            if *bought == 0 {
                gate.bought.remove(&accepted.buyer_id);
            }
        }
        given_back.insert(purchase.id, accepted.activity_id);
        holding.remove(&purchase.id);
        Ok(true)
    }

    async fn available(&self, activity: ActivityId) -> Result<Option<u32>, GateError> {
        Ok(self.lock().activities.get(&activity).map(|g| g.available))
    }

    async fn find_purchase(&self, id: PurchaseId) -> Result<Option<Purchase>, GateError> {
        Ok(self.lock().holding.get(&id).cloned())
    }

    async fn accepted_ids(&self, activity: ActivityId) -> Result<Vec<PurchaseId>, GateError> {
        let state = self.lock();
        let holding = state
            .holding
            .values()
            .filter(|purchase| purchase.activity_id == activity)
            .map(|purchase| purchase.id);
        let given_back = state
            .given_back
            .iter()
            .filter(|(_, of)| **of == activity)
            .map(|(id, _)| *id);
        Ok(holding.chain(given_back).collect())
    }

    async fn holdings(&self, activity: ActivityId) -> Result<Vec<Purchase>, GateError> {
        let mut holdings: Vec<Purchase> = self
            .lock()
            .holding
            .values()
            .filter(|purchase| purchase.activity_id == activity)
            .cloned()
            .collect();
        // Oldest first, as the Redis gate answers, so both read alike.
        holdings.sort_by_key(|purchase| (purchase.accepted_at, purchase.id));
        Ok(holdings)
    }
}
