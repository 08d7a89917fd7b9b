//! The embedded purchase queue: the `queued_purchases` table stands in for JetStream when the
//! service runs alone on SQLite. A purchase is durable once its row is committed; the order
//! writer of the same process fetches, acknowledges (deletes) or dead-letters it.

mod message;
mod writer;

use std::collections::HashMap;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use seckiller_domain::Purchase;
use seckiller_domain::ports::{
    Delivery, DeliveryReceipt, PublishError, PurchaseFeed, PurchaseQueue, QueueError,
};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};
use tokio::time::Instant;

use crate::database::Database;
use crate::entities::{dead_purchase, queued_purchase, stored};
use writer::{Publish, write_publishes};

/// Receipts per DELETE statement, far below every backend's limit on bound values.
const RECEIPTS_PER_STATEMENT: usize = 1_000;
/// The largest LIMIT every backend accepts (a signed 64-bit number on Postgres).
const MAX_ROWS: u64 = i64::MAX.cast_unsigned();
/// Stands in for "wait forever" when a wait would overflow the clock.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Tuning of [`SqlitePurchaseQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSettings {
    /// The most publishes committed together in one transaction (at least 1).
    pub max_batch: usize,
    /// How long a fetched purchase may stay unacknowledged before it is delivered again.
    pub ack_deadline: Duration,
    /// Publishes that may wait for the writer; beyond that, `publish` waits for room.
    pub backlog: usize,
}

impl Default for QueueSettings {
    /// Batches of 512, a 30 s ack deadline, room for 8,192 waiting publishes.
    fn default() -> Self {
        Self {
            max_batch: 512,
            ack_deadline: Duration::from_secs(30),
            backlog: 8_192,
        }
    }
}

/// [`PurchaseQueue`] and [`PurchaseFeed`] on a database table, for the embedded default. It works
/// on any sea-orm backend but serves ONE process: which deliveries are in flight (fetched, not yet
/// acknowledged) is known only in memory, so two processes sharing the table would deliver the
/// same purchases to both. A restart forgets the in-flight set, so unacknowledged purchases are
/// delivered again at once, which at-least-once delivery allows.
///
/// Publishes are group-committed by one writer task (see [`SqlitePurchaseQueue::start`]); a
/// waiting `fetch` is woken by the commit, never by polling. Clones share the writer; dropping
/// the last one stops it once the batch in hand is committed.
#[derive(Debug, Clone)]
pub struct SqlitePurchaseQueue {
    publishes: mpsc::Sender<Publish>,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    db: Database,
    /// Woken after every commit of publishes.
    published: Notify,
    /// Sequence numbers delivered and not yet acknowledged, with the instant of delivery. The
    /// async lock is held while rows are read and claimed, so concurrent fetches never hand out
    /// the same row.
    in_flight: Mutex<HashMap<i64, Instant>>,
    ack_deadline: Duration,
}

impl SqlitePurchaseQueue {
    /// A queue on the `queued_purchases` table of `db`, with its writer task spawned on the
    /// current tokio runtime.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn start(db: &Database, settings: QueueSettings) -> Self {
        let (publishes, waiting) = mpsc::channel(settings.backlog.max(1));
        let shared = Arc::new(Shared {
            db: db.clone(),
            published: Notify::new(),
            in_flight: Mutex::new(HashMap::new()),
            ack_deadline: settings.ack_deadline,
        });
        tokio::spawn(write_publishes(
            Arc::clone(&shared),
            waiting,
            settings.max_batch,
        ));
        Self { publishes, shared }
    }

    /// Claims up to `max` rows in sequence order that are not in flight. Also returns when the
    /// earliest delivery still in flight becomes due again, for a fetch that has to wait.
    async fn claim(&self, max: usize) -> Result<(Vec<Delivery>, Option<Instant>), QueueError> {
        let deadline = self.shared.ack_deadline;
        let mut in_flight = self.shared.in_flight.lock().await;
        let now = Instant::now();
        let pending = |since: &Instant| now.saturating_duration_since(*since) < deadline;
        let busy = in_flight.values().filter(|since| pending(since)).count();
        // Reading `max` rows past the ones in flight always finds `max` free ones if they exist.
        let limit = max.saturating_add(busy);
        let rows = queued_purchase::Entity::find()
            .order_by_asc(queued_purchase::Column::Seq)
            .limit(u64::try_from(limit).map_or(MAX_ROWS, |n| n.min(MAX_ROWS)))
            .all(self.shared.db.connection())
            .await
            .map_err(unreachable)?;
        if rows.len() < limit {
            // Every row was read: forget deliveries whose rows are gone.
            in_flight.retain(|seq, _| rows.iter().any(|row| row.seq == *seq));
        }
        let mut deliveries = Vec::new();
        for row in rows {
            if deliveries.len() == max {
                break;
            }
            if in_flight.get(&row.seq).is_some_and(pending) {
                continue;
            }
            in_flight.insert(row.seq, now);
            let receipt = DeliveryReceipt(row.seq.cast_unsigned());
            deliveries.push(match message::decode(&row.payload) {
                Ok(purchase) => Delivery::Purchase { purchase, receipt },
                Err(reason) => Delivery::Poison { reason, receipt },
            });
        }
        let next_due = in_flight
            .values()
            .filter_map(|since| since.checked_add(deadline))
            .filter(|due| *due > now)
            .min();
        Ok((deliveries, next_due))
    }
}

impl PurchaseQueue for SqlitePurchaseQueue {
    /// Every failure here is final: the row is committed before the confirmation, so an
    /// unconfirmed purchase is not stored.
    async fn publish(&self, purchase: &Purchase) -> Result<(), PublishError> {
        let payload = message::encode(purchase)
            .map_err(|e| PublishError::not_stored(format!("encoding the purchase: {e}")))?;
        let (committed, confirmation) = oneshot::channel();
        let publish = Publish {
            purchase_id: purchase.id.as_uuid(),
            payload,
            committed,
        };
        self.publishes
            .send(publish)
            .await
            .map_err(|_| PublishError::not_stored("the queue writer has stopped"))?;
        confirmation
            .await
            .map_err(|_| {
                PublishError::not_stored("the queue writer stopped before confirming the purchase")
            })?
            .map_err(|e| PublishError::NotStored(e.0))
    }
}

impl PurchaseFeed for SqlitePurchaseQueue {
    async fn fetch(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let start = Instant::now();
        let give_up = start
            .checked_add(wait)
            .unwrap_or_else(|| start + FAR_FUTURE);
        loop {
            // Registered before looking, so a commit between the look and the wait still wakes.
            let mut published = pin!(self.shared.published.notified());
            published.as_mut().enable();
            let (deliveries, next_due) = self.claim(max).await?;
            if !deliveries.is_empty() || Instant::now() >= give_up {
                return Ok(deliveries);
            }
            let until = next_due.map_or(give_up, |due| due.min(give_up));
            // Either a commit or the instant passing ends the wait; both mean: look again.
            let _ = tokio::time::timeout_at(until, published).await;
        }
    }

    async fn ack(&self, receipts: &[DeliveryReceipt]) -> Result<(), QueueError> {
        let seqs: Vec<i64> = receipts.iter().map(|r| r.0.cast_signed()).collect();
        for chunk in seqs.chunks(RECEIPTS_PER_STATEMENT) {
            queued_purchase::Entity::delete_many()
                .filter(queued_purchase::Column::Seq.is_in(chunk.iter().copied()))
                .exec(self.shared.db.connection())
                .await
                .map_err(unreachable)?;
        }
        let mut in_flight = self.shared.in_flight.lock().await;
        for seq in &seqs {
            in_flight.remove(seq);
        }
        Ok(())
    }

    /// Due again after `delay`: its claim is back-dated so it lapses then.
    async fn retry_later(
        &self,
        receipts: &[DeliveryReceipt],
        delay: Duration,
    ) -> Result<(), QueueError> {
        let lapse = self.shared.ack_deadline.saturating_sub(delay);
        let now = Instant::now();
        let mut in_flight = self.shared.in_flight.lock().await;
        for receipt in receipts {
            let seq = receipt.0.cast_signed();
            match now.checked_sub(lapse) {
                Some(since) => in_flight.insert(seq, since),
                None => in_flight.remove(&seq),
            };
        }
        Ok(())
    }

    async fn dead_letter(&self, receipt: DeliveryReceipt, reason: &str) -> Result<(), QueueError> {
        let seq = receipt.0.cast_signed();
        let transaction = self
            .shared
            .db
            .connection()
            .begin()
            .await
            .map_err(unreachable)?;
        // A write first, so on SQLite the transaction holds the write lock from its start.
        let mut copy = Query::insert();
        copy.into_table(dead_purchase::Entity)
            .columns([
                dead_purchase::Column::Payload,
                dead_purchase::Column::Reason,
                dead_purchase::Column::DeadAt,
            ])
            .select_from(
                Query::select()
                    .column(queued_purchase::Column::Payload)
                    .expr(Expr::val(reason))
                    .expr(Expr::val(stored(Utc::now())))
                    .from(queued_purchase::Entity)
                    .and_where(queued_purchase::Column::Seq.eq(seq))
                    .to_owned(),
            )
            .map_err(|e| QueueError::from(format!("building the dead-letter insert: {e}")))?;
        let moved = transaction
            .execute(&copy)
            .await
            .map_err(unreachable)?
            .rows_affected();
        queued_purchase::Entity::delete_by_id(seq)
            .exec(&transaction)
            .await
            .map_err(unreachable)?;
        transaction.commit().await.map_err(unreachable)?;
        self.shared.in_flight.lock().await.remove(&seq);
        if moved > 0 {
            tracing::warn!(seq, reason, "a queued purchase was moved to dead_purchases");
        }
        Ok(())
    }

    async fn lag(&self) -> Result<u64, QueueError> {
        queued_purchase::Entity::find()
            .count(self.shared.db.connection())
            .await
            .map_err(unreachable)
    }
}

fn unreachable(error: DbErr) -> QueueError {
    QueueError::from(format!("purchase queue table: {error}"))
}
