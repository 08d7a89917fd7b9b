//! The purchase-id → activity lookup behind [`StockGate::find_purchase`]. On a single Redis the
//! take script writes it with the purchase. On a cluster it lives in another slot than the
//! activity, so it is written after the script that recorded the purchase, as separate commands;
//! a failure to write it is logged, never reported, because the stock decision already stands.
//!
//! [`StockGate::find_purchase`]: seckiller_domain::ports::StockGate::find_purchase

use fred::prelude::{Error, Expiration, KeysInterface, Value};
use seckiller_domain::Purchase;

use super::RedisStockGate;

/// How long the purchase-id → activity lookup lives. Buyers poll a purchase for minutes, not
/// days; the activity's own record stays until its keys are deleted.
pub(super) const PURCHASE_INDEX_TTL_SECS: i64 = 24 * 60 * 60;

/// Lookups written per pipeline when a preheat indexes its holdings, so rebuilding a large
/// activity neither builds one huge request nor pays one round trip per purchase.
const INDEX_BATCH: usize = 1_000;

impl RedisStockGate {
    /// Makes `purchase` findable by id; failing here must not fail the take that preceded it.
    pub(super) async fn index(&self, purchase: &Purchase) {
        let written: Result<(), Error> = self
            .pool
            .set(
                self.keys.purchase_index(purchase.id),
                purchase.activity_id.to_string(),
                Some(Expiration::EX(PURCHASE_INDEX_TTL_SECS)),
                None,
                false,
            )
            .await;
        if let Err(error) = written {
            tracing::warn!(
                purchase_id = %purchase.id,
                %error,
                "accepted purchase not indexed by id; a retry of the take indexes it"
            );
        }
    }

    /// Makes the holdings a preheat just loaded findable by id, pipelined in batches. A lookup
    /// that fails to be written leaves that purchase in the gate (it still counts and can be
    /// given back) but not findable by id alone.
    pub(super) async fn index_holdings(&self, holdings: &[Purchase]) {
        for batch in holdings.chunks(INDEX_BATCH) {
            let pipeline = self.pool.next().pipeline();
            let mut failures: Vec<Error> = Vec::new();
            for purchase in batch {
                // Queuing only buffers the command in memory; the round trip is `try_all`.
                let queued: Result<(), Error> = pipeline
                    .set(
                        self.keys.purchase_index(purchase.id),
                        purchase.activity_id.to_string(),
                        Some(Expiration::EX(PURCHASE_INDEX_TTL_SECS)),
                        None,
                        false,
                    )
                    .await;
                failures.extend(queued.err());
            }
            let written: Vec<Result<Value, Error>> = pipeline.try_all().await;
            failures.extend(written.into_iter().filter_map(Result::err));
            if let Some(error) = failures.first() {
                tracing::warn!(
                    failed = failures.len(),
                    %error,
                    "preheated holdings not all indexed by id; they hold stock but find_purchase misses them"
                );
            }
        }
    }
}
