//! Order events inside one node: the order writer tells long-polling buyers the moment their
//! purchase is settled, so they neither hammer the service nor wait a polling interval. Orders
//! written by another node are seen by the long poll's periodic re-check.

use seckiller_domain::PurchaseId;
use tokio::sync::broadcast;

/// How many settled purchases a slow listener may fall behind before it re-checks storage.
const BACKLOG: usize = 8192;

/// A fan-out of settled purchase ids. Clones share the channel.
#[derive(Debug, Clone)]
pub struct OrderEvents(broadcast::Sender<PurchaseId>);

impl Default for OrderEvents {
    fn default() -> Self {
        Self(broadcast::channel(BACKLOG).0)
    }
}

impl OrderEvents {
    /// Tells listeners that `purchase` now has an order (or a rejection).
    pub fn settled(&self, purchase: PurchaseId) {
        // No listener is fine: nobody is waiting.
        let _ = self.0.send(purchase);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<PurchaseId> {
        self.0.subscribe()
    }
}
