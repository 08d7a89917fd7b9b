//! One rate limit per key (a buyer, an address, a username) with bounded memory: keys idle long
//! enough to be back at a full burst are forgotten by [`KeyedLimit::evict_idle`], which a
//! background task runs periodically, and a hard cap on keys makes a flood of distinct keys
//! (a million spoofed addresses) cost at most `max_keys` entries.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

type Limiter<K, C> = RateLimiter<K, HashMapStateStore<K>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The quota of `n` requests per second with a burst of `n`; `None` for 0, meaning no limit.
pub(crate) fn per_second(n: u32) -> Option<Quota> {
    NonZeroU32::new(n).map(Quota::per_second)
}

/// The quota of `n` requests per minute with a burst of `n`; `None` for 0, meaning no limit.
pub(crate) fn per_minute(n: u32) -> Option<Quota> {
    NonZeroU32::new(n).map(Quota::per_minute)
}

/// A keyed rate limit; without a quota every key passes.
pub(crate) struct KeyedLimit<K: Hash + Eq + Clone, C: Clock = DefaultClock> {
    quota: Option<Quota>,
    clock: C,
    max_keys: usize,
    /// Swapped for an empty one when even eviction leaves `max_keys` busy keys.
    limiter: RwLock<Option<Arc<Limiter<K, C>>>>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// A limit of `quota` per key on the system clock, remembering at most `max_keys` keys.
    pub(crate) fn new(quota: Option<Quota>, max_keys: usize) -> Self {
        Self::with_clock(quota, max_keys, DefaultClock::default())
    }
}

impl<K: Hash + Eq + Clone, C: Clock + Clone> KeyedLimit<K, C> {
    /// A limit on `clock` (tests move a fake one).
    pub(crate) fn with_clock(quota: Option<Quota>, max_keys: usize, clock: C) -> Self {
        let limiter = quota.map(|q| Arc::new(Self::fresh(q, &clock)));
        Self {
            quota,
            clock,
            max_keys: max_keys.max(1),
            limiter: RwLock::new(limiter),
        }
    }

    fn fresh(quota: Quota, clock: &C) -> Limiter<K, C> {
        RateLimiter::hashmap_with_clock(quota, clock.clone())
    }

    fn current(&self) -> Option<Arc<Limiter<K, C>>> {
        match self.limiter.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Takes one request of `key` from its allowance; `Err` carries how long until the next
    /// would pass.
    pub(crate) fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(mut limiter) = self.current() else {
            return Ok(());
        };
        if limiter.len() >= self.max_keys {
            self.evict_idle();
            limiter = self.current().unwrap_or(limiter);
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets the keys that are back at a full burst (remembering them changes nothing), and
    /// every key when more than the cap are still busy. Returns the keys kept.
    pub(crate) fn evict_idle(&self) -> usize {
        let (Some(limiter), Some(quota)) = (self.current(), self.quota) else {
            return 0;
        };
        limiter.retain_recent();
        limiter.shrink_to_fit();
        let kept = limiter.len();
        if kept < self.max_keys {
            return kept;
        }
        tracing::warn!(
            keys = kept,
            cap = self.max_keys,
            "a rate limit tracks more busy keys than its cap; forgetting them all"
        );
        let mut slot = match self.limiter.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = Some(Arc::new(Self::fresh(quota, &self.clock)));
        0
    }

    /// The keys remembered now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.current().map_or(0, |l| l.len())
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn a_key_over_its_allowance_is_told_how_long_to_wait() {
        let clock = FakeRelativeClock::default();
        let limit = KeyedLimit::with_clock(per_second(2), 100, clock.clone());
        assert!(limit.check(&"ann").is_ok());
        assert!(limit.check(&"ann").is_ok());
        let wait = limit.check(&"ann").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(
            limit.check(&"bob").is_ok(),
            "keys do not share an allowance"
        );
        clock.advance(Duration::from_millis(500));
        assert!(limit.check(&"ann").is_ok());
    }

    #[test]
    fn no_quota_means_no_limit_and_no_memory() {
        let limit: KeyedLimit<u32> = KeyedLimit::new(per_second(0), 10);
        for _ in 0..1_000 {
            assert!(limit.check(&7).is_ok());
        }
        assert_eq!(limit.len(), 0);
    }

    #[test]
    fn idle_keys_are_forgotten_and_busy_ones_kept() {
        let clock = FakeRelativeClock::default();
        let limit = KeyedLimit::with_clock(per_second(10), 1_000_000, clock.clone());
        for key in 0..50_000_u32 {
            assert!(limit.check(&key).is_ok());
        }
        assert_eq!(limit.len(), 50_000);
        // A second later every key is back at its full burst but three that just spoke.
        clock.advance(Duration::from_secs(1));
        for key in 0..3_u32 {
            assert!(limit.check(&key).is_ok());
        }
        assert_eq!(limit.evict_idle(), 3);
        assert_eq!(limit.len(), 3);
    }

    #[test]
    fn distinct_keys_past_the_cap_never_grow_the_map_past_it() {
        let clock = FakeRelativeClock::default();
        let limit = KeyedLimit::with_clock(per_second(1), 1_000, clock);
        // The clock stands still, so none of them is idle: a flood of spoofed addresses.
        for key in 0..10_000_u32 {
            assert!(limit.check(&key).is_ok());
            assert!(limit.len() <= 1_000);
        }
    }
}
