//! Preheating: loading stock and limits into the gate before a sale opens (and at node start
//! for open sales), so the first second of a sale never waits on the database.

use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ActivityState;
use seckiller_domain::ports::{ActivityRepository, Clock, PurchaseFeed, StockGate};

use crate::{Adapters, Unavailable};

/// How many activities one preheat pass looks at.
const SCAN: u32 = 500;

/// Loads due activities into the gate.
pub struct Preheater<A: Adapters> {
    adapters: Arc<A>,
    lead: Duration,
}

impl<A: Adapters> Preheater<A> {
    /// Preheats activities opening within `lead` (and open ones).
    pub fn new(adapters: Arc<A>, lead: Duration) -> Self {
        Self { adapters, lead }
    }

    /// One pass: every published activity that opens within the lead time or is open now is
    /// loaded into the gate unless already there (the gate keeps the first load). An activity
    /// already selling is loaded only while the queue is drained, since only then does the
    /// database know every accepted purchase. Returns how many were offered to the gate.
    ///
    /// # Errors
    /// `Unavailable` when storage, the queue or the gate fails.
    pub async fn run_once(&self) -> Result<usize, Unavailable> {
        let a = &self.adapters;
        let now = a.clock().now();
        let mut drained: Option<bool> = None;
        let mut offered = 0;
        for record in a.activities().list(false, SCAN, 0).await? {
            let activity = &record.activity;
            let due = activity.state == ActivityState::Published
                && !activity.window.has_ended(now)
                && activity.window.starts_at() <= now + self.lead;
            if !due {
                continue;
            }
            if activity.window.has_started(now) {
                let is_drained = match drained {
                    Some(d) => d,
                    None => {
                        let d = a.queue().lag().await.map_err(|e| Unavailable(e.0))? == 0;
                        drained = Some(d);
                        d
                    }
                };
                if !is_drained {
                    continue;
                }
            }
            a.gate()
                .preheat(
                    activity.id,
                    record.stock.available(),
                    activity.per_user_limit,
                )
                .await
                .map_err(|e| Unavailable(e.0))?;
            offered += 1;
        }
        Ok(offered)
    }
}
