//! Where the gate keeps things. Every key of one activity carries the hash tag
//! `{act:<activity id>}`, so one script touches one slot, and Redis Cluster spreads activities
//! over its nodes. The deployment's key prefix comes first, so several deployments (and tests)
//! can share one Redis.

use seckiller_domain::ports::GateError;
use seckiller_domain::{ActivityId, PurchaseId};

/// Every key the gate keeps for one activity; all hash to the same slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityKeys {
    /// Items still available (string integer); absent until the activity is preheated.
    pub stock: String,
    /// The per-buyer limit (string integer), set together with `stock`.
    pub limit: String,
    /// Hash: buyer id → items the buyer holds.
    pub buyers: String,
    /// Hash: purchase id → an accepted purchase still holding stock, as
    /// `1|<activity>|<buyer>|<quantity>|<unit price in minor units>|<currency>|<accepted at,
    /// RFC 3339>`.
    pub purchases: String,
    /// Hash: purchase id → a purchase whose stock was given back, kept for operators.
    pub returned: String,
    /// The identity of the Redis server that loaded the activity (its `run_id`). Data restored
    /// from a snapshot, or found on a promoted replica, carries another server's identity, so
    /// the gate knows it may be stale and loads the activity afresh from the database.
    pub epoch: String,
}

impl ActivityKeys {
    /// All six keys, e.g. to delete an activity's gate data.
    pub fn all(&self) -> [&str; 6] {
        [
            &self.stock,
            &self.limit,
            &self.buyers,
            &self.purchases,
            &self.returned,
            &self.epoch,
        ]
    }
}

/// Builds every key name from the deployment's prefix.
#[derive(Debug, Clone)]
pub(crate) struct KeySpace {
    prefix: String,
}

impl KeySpace {
    /// # Errors
    /// [`GateError`] when the prefix holds a brace: it would move the hash tag and scatter an
    /// activity's keys over several slots.
    pub(crate) fn new(prefix: &str) -> Result<Self, GateError> {
        if prefix.contains(['{', '}']) {
            return Err(GateError::from(format!(
                "the key prefix {prefix:?} must not contain braces"
            )));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    pub(crate) fn activity(&self, activity: ActivityId) -> ActivityKeys {
        let base = format!("{}{{act:{activity}}}", self.prefix);
        ActivityKeys {
            stock: format!("{base}:stock"),
            limit: format!("{base}:limit"),
            buyers: format!("{base}:buyers"),
            purchases: format!("{base}:purchases"),
            returned: format!("{base}:returned"),
            epoch: format!("{base}:epoch"),
        }
    }

    /// The lookup key naming the activity of an accepted purchase, for callers that know only
    /// the purchase id. It lives in its own slot, apart from the activity's keys.
    pub(crate) fn purchase_index(&self, purchase: PurchaseId) -> String {
        format!("{}purchase:{purchase}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_with_braces_is_refused() {
        assert!(KeySpace::new("a{b").is_err());
        assert!(KeySpace::new("a}b").is_err());
        assert!(KeySpace::new("seckiller:").is_ok());
        assert!(KeySpace::new("").is_ok());
    }

    #[test]
    fn activity_keys_start_with_the_prefix_and_share_the_tag() {
        let activity: ActivityId = "0190a0b4-7c3e-7d2a-9f00-000000000001".parse().unwrap();
        let keys = KeySpace::new("p:").unwrap().activity(activity);
        assert_eq!(
            keys.stock,
            "p:{act:0190a0b4-7c3e-7d2a-9f00-000000000001}:stock"
        );
        for key in keys.all() {
            assert!(key.starts_with("p:{act:0190a0b4-7c3e-7d2a-9f00-000000000001}:"));
        }
    }
}
