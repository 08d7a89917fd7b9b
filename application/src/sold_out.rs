//! The local sold-out flags: once the gate says an activity is sold out, this node answers
//! "sold out" from memory with no IO at all, until a restock announcement clears the flag.
//! A stale flag can only refuse a buyer a moment too long; it can never oversell. Announcements
//! are best effort, so a flag also lapses after a while: a lost announcement then costs one gate
//! call per node per interval instead of a sale that never sells its returned stock.
//!
//! Beside each flag stand the ids of the purchases the gate had accepted for the sale when the
//! flag was raised. A keyed request (see [`keyed_purchase_id`](crate::purchases::keyed_purchase_id))
//! whose id is one of them is the retry of an accepted purchase and must get it back, so the
//! flag lets it through; any other is refused at once, with no IO, like an unkeyed one. While a
//! flag stands no new purchase of its sale is accepted through this node, and a restock (the
//! only way another node can accept one) clears the flag with its ids; a restock announced while
//! a flag was being raised voids the raise (see [`FlagEpoch`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use seckiller_domain::{ActivityId, PurchaseId};

/// How long a flag stands without a restock announcement.
pub const DEFAULT_FLAG_LIFETIME: Duration = Duration::from_secs(5);

/// How many flags were cleared on this node: taken before asking the gate, so a flag learned
/// from an answer older than a restock is not raised after the restock cleared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagEpoch(u64);

/// One raised flag.
#[derive(Debug)]
struct Flag {
    raised: Instant,
    /// The purchases the gate had accepted for the sale when the flag was raised.
    accepted: HashSet<PurchaseId>,
}

#[derive(Debug, Default)]
struct State {
    flags: HashMap<ActivityId, Flag>,
    clears: u64,
}

/// Activities this node knows to be sold out. Clones share the flags.
#[derive(Debug, Clone)]
pub struct SoldOutFlags {
    state: Arc<RwLock<State>>,
    lifetime: Duration,
}

impl Default for SoldOutFlags {
    fn default() -> Self {
        Self::with_lifetime(DEFAULT_FLAG_LIFETIME)
    }
}

impl SoldOutFlags {
    /// Flags that lapse `lifetime` after they were raised.
    pub fn with_lifetime(lifetime: Duration) -> Self {
        Self {
            state: Arc::default(),
            lifetime,
        }
    }

    /// True when the activity is known sold out.
    pub fn is_sold_out(&self, activity: ActivityId) -> bool {
        self.refuses(activity, None)
    }

    /// True when a purchase of `activity` is to be answered "sold out" at once: the sale is
    /// known sold out and the request is unkeyed (`purchase` is `None`) or names a purchase the
    /// gate had not accepted when the flag was raised.
    pub fn refuses(&self, activity: ActivityId, purchase: Option<PurchaseId>) -> bool {
        let Ok(state) = self.state.read() else {
            return false;
        };
        state.flags.get(&activity).is_some_and(|flag| {
            flag.raised.elapsed() < self.lifetime
                && purchase.is_none_or(|id| !flag.accepted.contains(&id))
        })
    }

    /// Where the flags stand now; pass it to [`Self::mark`] once the gate has answered.
    pub fn epoch(&self) -> FlagEpoch {
        FlagEpoch(self.state.read().map_or(0, |state| state.clears))
    }

    /// Remembers that the activity is sold out, with the purchases the gate had accepted for
    /// it, unless a flag was cleared since `epoch` (stock may have come back meanwhile). True
    /// when the flag was raised.
    pub fn mark(
        &self,
        activity: ActivityId,
        epoch: FlagEpoch,
        accepted: impl IntoIterator<Item = PurchaseId>,
    ) -> bool {
        let Ok(mut state) = self.state.write() else {
            return false;
        };
        if state.clears != epoch.0 {
            return false;
        }
        let flag = Flag {
            raised: Instant::now(),
            accepted: accepted.into_iter().collect(),
        };
        state.flags.insert(activity, flag);
        true
    }

    /// Forgets the flag and its purchases (stock came back).
    pub fn clear(&self, activity: ActivityId) {
        if let Ok(mut state) = self.state.write() {
            state.clears = state.clears.wrapping_add(1);
            state.flags.remove(&activity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn an_activity() -> ActivityId {
        ActivityId::from_uuid(Uuid::now_v7())
    }

    fn a_purchase() -> PurchaseId {
        PurchaseId::from_uuid(Uuid::now_v7())
    }

    #[test]
    fn a_flag_is_shared_by_clones_until_cleared() {
        let flags = SoldOutFlags::default();
        let a = an_activity();
        let other = flags.clone();
        assert!(flags.mark(a, flags.epoch(), []));
        assert!(other.is_sold_out(a));
        other.clear(a);
        assert!(!flags.is_sold_out(a));
    }

    #[test]
    fn a_flag_lapses_when_no_announcement_clears_it() {
        let flags = SoldOutFlags::with_lifetime(Duration::ZERO);
        let a = an_activity();
        flags.mark(a, flags.epoch(), []);
        assert!(!flags.is_sold_out(a));
    }

    #[test]
    fn a_flag_lets_through_only_the_purchases_accepted_before_it() {
        let flags = SoldOutFlags::default();
        let (a, elsewhere) = (an_activity(), an_activity());
        let (accepted, unknown) = (a_purchase(), a_purchase());
        assert!(!flags.refuses(a, Some(unknown)), "no flag, nothing refused");
        flags.mark(a, flags.epoch(), [accepted]);
        assert!(flags.refuses(a, None));
        assert!(flags.refuses(a, Some(unknown)));
        assert!(!flags.refuses(a, Some(accepted)));
        assert!(!flags.refuses(elsewhere, None));
    }

    #[test]
    fn a_restock_clears_the_flag_and_its_purchases_and_the_next_flag_learns_afresh() {
        let flags = SoldOutFlags::default();
        let a = an_activity();
        let (before, after) = (a_purchase(), a_purchase());
        flags.mark(a, flags.epoch(), [before]);
        flags.clear(a);
        assert!(
            !flags.refuses(a, Some(after)),
            "a restock lets every request through"
        );
        flags.mark(a, flags.epoch(), [before, after]);
        assert!(!flags.refuses(a, Some(after)), "accepted after the restock");
        assert!(!flags.refuses(a, Some(before)));
        assert!(flags.refuses(a, Some(a_purchase())));
    }

    #[test]
    fn a_restock_announced_while_a_flag_is_being_raised_voids_the_raise() {
        let flags = SoldOutFlags::default();
        let a = an_activity();
        let asked = flags.epoch();
        // The gate answered sold out and listed its purchases; then stock came back, and a
        // purchase accepted with it (elsewhere) is not in the list.
        flags.clear(a);
        assert!(!flags.mark(a, asked, [a_purchase()]));
        assert!(!flags.refuses(a, Some(a_purchase())));
        assert!(!flags.is_sold_out(a));
    }
}
