//! The local sold-out flags: once the gate says an activity is sold out, this node answers
//! "sold out" from memory with no IO at all, until a restock announcement clears the flag.
//! A stale flag can only refuse a buyer a moment too long; it can never oversell. Announcements
//! are best effort, so a flag also lapses after a while: a lost announcement then costs one gate
//! call per node per interval instead of a sale that never sells its returned stock.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use seckiller_domain::ActivityId;

/// How long a flag stands without a restock announcement.
pub const DEFAULT_FLAG_LIFETIME: Duration = Duration::from_secs(5);

/// Activities this node knows to be sold out. Clones share the flags.
#[derive(Debug, Clone)]
pub struct SoldOutFlags {
    flags: Arc<RwLock<HashMap<ActivityId, Instant>>>,
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
            flags: Arc::default(),
            lifetime,
        }
    }

    /// True when the activity is known sold out.
    pub fn is_sold_out(&self, activity: ActivityId) -> bool {
        self.flags
            .read()
            .ok()
            .and_then(|s| s.get(&activity).copied())
            .is_some_and(|raised| raised.elapsed() < self.lifetime)
    }

    /// Remembers that the activity is sold out.
    pub fn mark(&self, activity: ActivityId) {
        if let Ok(mut s) = self.flags.write() {
            s.insert(activity, Instant::now());
        }
    }

    /// Forgets the flag (stock came back).
    pub fn clear(&self, activity: ActivityId) {
        if let Ok(mut s) = self.flags.write() {
            s.remove(&activity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_flag_is_shared_by_clones_until_cleared() {
        let flags = SoldOutFlags::default();
        let a = ActivityId::from_uuid(Uuid::now_v7());
        let other = flags.clone();
        flags.mark(a);
        assert!(other.is_sold_out(a));
        other.clear(a);
        assert!(!flags.is_sold_out(a));
    }

    #[test]
    fn a_flag_lapses_when_no_announcement_clears_it() {
        let flags = SoldOutFlags::with_lifetime(Duration::ZERO);
        let a = ActivityId::from_uuid(Uuid::now_v7());
        flags.mark(a);
        assert!(!flags.is_sold_out(a));
    }
}
