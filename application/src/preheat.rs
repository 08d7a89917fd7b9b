//! Preheating: loading stock and limits into the gate before a sale opens (and at node start
//! for open sales), so the first second of a sale never waits on the database.

use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ActivityState;
use seckiller_domain::ports::{ActivityRepository, Clock};

use crate::gate_loader::{GateLoader, LoadOutcome};
use crate::{Adapters, Unavailable};

/// How many activities one preheat pass looks at.
const SCAN: u32 = 500;

/// Loads due activities into the gate.
pub struct Preheater<A: Adapters> {
    adapters: Arc<A>,
    loader: GateLoader<A>,
    lead: Duration,
}

impl<A: Adapters> Preheater<A> {
    /// Preheats activities opening within `lead` (and open ones).
    pub fn new(adapters: Arc<A>, lead: Duration) -> Self {
        Self {
            loader: GateLoader::new(adapters.clone()),
            adapters,
            lead,
        }
    }

    /// One pass: every published activity that opens within the lead time or is open now is
    /// offered to the gate (which keeps the first load). An activity already selling is loaded
    /// only while the queue is drained, with its live orders (see [`GateLoader`]). Returns how
    /// many were offered.
    ///
    /// # Errors
    /// `Unavailable` when storage, the queue or the gate fails.
    pub async fn run_once(&self) -> Result<usize, Unavailable> {
        let a = &self.adapters;
        let now = a.clock().now();
        let mut offered = 0;
        for record in a.activities().list(false, SCAN, 0).await? {
            let activity = &record.activity;
            let due = activity.state == ActivityState::Published
                && !activity.window.has_ended(now)
                && activity.window.starts_at() <= now + self.lead;
            if due && self.loader.load(activity).await? == LoadOutcome::Offered {
                offered += 1;
            }
        }
        Ok(offered)
    }
}
