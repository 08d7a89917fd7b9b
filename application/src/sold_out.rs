//! The local sold-out flags: once the gate says an activity is sold out, this node answers
//! "sold out" from memory with no IO at all, until a restock announcement clears the flag.
//! A stale flag can only refuse a buyer a moment too long; it can never oversell.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use seckiller_domain::ActivityId;

/// Activities this node knows to be sold out. Clones share the flags.
#[derive(Debug, Clone, Default)]
pub struct SoldOutFlags(Arc<RwLock<HashSet<ActivityId>>>);

impl SoldOutFlags {
    /// True when the activity is known sold out.
    pub fn is_sold_out(&self, activity: ActivityId) -> bool {
        self.0
            .read()
            .map(|s| s.contains(&activity))
            .unwrap_or(false)
    }

    /// Remembers that the activity is sold out.
    pub fn mark(&self, activity: ActivityId) {
        if let Ok(mut s) = self.0.write() {
            s.insert(activity);
        }
    }

    /// Forgets the flag (stock came back).
    pub fn clear(&self, activity: ActivityId) {
        if let Ok(mut s) = self.0.write() {
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
}
