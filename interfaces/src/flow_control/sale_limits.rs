//! Per-sale rate limits: the node's default for every sale, or a sale's own limit set by an
//! admin.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, RateLimiter};
use seckiller_domain::ActivityId;

use super::keyed_limit::{KeyedLimit, per_second};

/// A sale's own limit, with the rate it was made for.
struct OwnLimit {
    per_second: u32,
    limiter: Arc<DefaultDirectRateLimiter>,
}

/// The limits of every sale.
pub(crate) struct SaleLimits {
    default: KeyedLimit<ActivityId>,
    own: RwLock<HashMap<ActivityId, OwnLimit>>,
    clock: DefaultClock,
}

impl SaleLimits {
    /// `default_per_second` for every sale without its own limit (0 = none).
    pub(crate) fn new(default_per_second: u32, max_keys: usize) -> Self {
        Self {
            default: KeyedLimit::new(per_second(default_per_second), max_keys),
            own: RwLock::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    /// Gives `activity` its own limit; 0 returns it to the node's default. Setting the rate it
    /// already has keeps its allowance as it is.
    pub(crate) fn set(&self, activity: ActivityId, per_second_limit: u32) {
        let mut own = match self.own.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        match per_second(per_second_limit) {
            None => {
                own.remove(&activity);
            }
            Some(_) if own.get(&activity).map(|o| o.per_second) == Some(per_second_limit) => {}
            Some(quota) => {
                own.insert(
                    activity,
                    OwnLimit {
                        per_second: per_second_limit,
                        limiter: Arc::new(RateLimiter::direct(quota)),
                    },
                );
            }
        }
    }

    /// Takes one request of `activity` from its allowance; `Err` carries the wait.
    pub(crate) fn check(&self, activity: ActivityId) -> Result<(), Duration> {
        let own = match self.own.read() {
            Ok(guard) => guard.get(&activity).map(|o| o.limiter.clone()),
            Err(poisoned) => poisoned
                .into_inner()
                .get(&activity)
                .map(|o| o.limiter.clone()),
        };
        match own {
            Some(limiter) => limiter
                .check()
                .map_err(|not_until| not_until.wait_time_from(self.clock.now())),
            None => self.default.check(&activity),
        }
    }

    /// Forgets idle sales of the default limit.
    pub(crate) fn evict_idle(&self) {
        self.default.evict_idle();
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_sale_of_its_own_uses_its_own_limit_until_set_back_to_zero() {
        let limits = SaleLimits::new(0, 10);
        let sale = ActivityId::from_uuid(Uuid::now_v7());
        for _ in 0..100 {
            assert!(limits.check(sale).is_ok(), "no default limit");
        }
        limits.set(sale, 2);
        assert!(limits.check(sale).is_ok());
        assert!(limits.check(sale).is_ok());
        assert!(limits.check(sale).is_err());
        limits.set(sale, 2);
        assert!(
            limits.check(sale).is_err(),
            "the same rate keeps its allowance"
        );
        limits.set(sale, 0);
        assert!(limits.check(sale).is_ok());
    }
}
