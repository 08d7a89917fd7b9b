//! Loading an activity into the stock gate from the database: before it opens (preheat), and
//! again whenever the gate has lost it (Redis restarted without its data). A running sale is
//! loaded only once the queue holds none of its purchases — only then does the database know
//! every purchase of it; other sales' backlog does not hold it up — and with its live orders as
//! holdings, so buyers' limits survive the loss and
//! cancelled orders can still give their stock back, and its ended orders remembered as given
//! back, so a retry of one replays its order instead of taking stock afresh. Until then
//! purchases get 503, never an oversell.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures::lock::Mutex as AsyncMutex;
use seckiller_domain::ports::{
    ActivityRepository, Clock, OrderRepository, PurchaseFeed, StockGate,
};
use seckiller_domain::{Activity, ActivityId, Order, Purchase};

use crate::{Adapters, Unavailable};

/// How often the snapshot is read again when orders move while it is read.
const SNAPSHOT_ATTEMPTS: usize = 3;

/// What a load attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// The gate holds the activity now (loaded by this call, or already before).
    Offered,
    /// The sale is running and the queue still holds purchases of it; try again later.
    NotDrained,
    /// The activity is no longer stored.
    Missing,
}

/// Loads activities into the gate, one load per activity at a time on this node: when a crowd
/// finds a sale missing from the gate, one request loads it while the others wait for that load
/// instead of each reading the database.
pub struct GateLoader<A: Adapters> {
    adapters: Arc<A>,
    loading: Arc<Mutex<HashMap<ActivityId, Arc<AsyncMutex<()>>>>>,
}

impl<A: Adapters> Clone for GateLoader<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            loading: self.loading.clone(),
        }
    }
}

impl<A: Adapters> GateLoader<A> {
    /// A loader over these adapters.
    pub fn new(adapters: Arc<A>) -> Self {
        Self {
            adapters,
            loading: Arc::default(),
        }
    }

    /// The turn-taking lock of one activity.
    fn turn(&self, id: ActivityId) -> Result<Arc<AsyncMutex<()>>, Unavailable> {
        let mut locks = self
            .loading
            .lock()
            .map_err(|_| Unavailable::said("the gate loader's lock is poisoned"))?;
        Ok(locks.entry(id).or_default().clone())
    }

    /// Offers the activity's stock, limit and (for a running sale) live orders to the gate.
    ///
    /// # Errors
    /// `Unavailable` when storage, the queue or the gate fails.
    pub async fn load(&self, activity: &Activity) -> Result<LoadOutcome, Unavailable> {
        let a = &self.adapters;
        let turn = self.turn(activity.id)?;
        let _turn = turn.lock().await;
        if a.gate().available(activity.id).await?.is_some() {
            // Loaded while this call waited for its turn (or before).
            return Ok(LoadOutcome::Offered);
        }
        let running = activity.window.has_started(a.clock().now());
        if running && a.queue().lag_of(activity.id).await? > 0 {
            return Ok(LoadOutcome::NotDrained);
        }
        if running {
            // Read before the snapshot, so none of these orders can be live in it; remembered
            // before the load, so no retry finds the sale loaded but its returns forgotten.
            let ended: Vec<Purchase> = a
                .orders()
                .ended_orders(activity.id)
                .await?
                .iter()
                .map(Order::purchase)
                .collect();
            a.gate().remember_given_back(activity.id, &ended).await?;
        }
        let Some((available, holdings)) = self.snapshot(activity.id, running).await? else {
            return Ok(LoadOutcome::Missing);
        };
        a.gate()
            .preheat(activity.id, available, activity.per_user_limit, &holdings)
            .await?;
        Ok(LoadOutcome::Offered)
    }

    /// The ledger's available count and the live orders, read so that they agree: orders that
    /// expire between the two reads would otherwise be counted as available and as held.
    async fn snapshot(
        &self,
        id: ActivityId,
        running: bool,
    ) -> Result<Option<(u32, Vec<Purchase>)>, Unavailable> {
        let a = &self.adapters;
        for _ in 0..SNAPSHOT_ATTEMPTS {
            let before = match running {
                true => a.orders().live_orders(id).await?,
                false => Vec::new(),
            };
            let Some(record) = a.activities().by_id(id).await? else {
                return Ok(None);
            };
            let after = match running {
                true => a.orders().live_orders(id).await?,
                false => Vec::new(),
            };
            if same_orders(&before, &after) {
                let holdings = after.iter().map(Order::purchase).collect();
                return Ok(Some((record.stock.available(), holdings)));
            }
        }
        Err(Unavailable(
            "orders kept moving while the gate was being rebuilt; try again".into(),
        ))
    }
}

fn same_orders(left: &[Order], right: &[Order]) -> bool {
    let key = |o: &Order| (o.id, o.status);
    let l: HashSet<_> = left.iter().map(key).collect();
    let r: HashSet<_> = right.iter().map(key).collect();
    l == r
}

#[cfg(test)]
mod tests;
