//! Group commit: every publish goes through one writer task, which stores whatever is waiting in
//! one transaction and answers each publisher after the commit. Under a crowd one commit (one
//! fsync on SQLite) confirms hundreds of purchases; alone, a publish waits for one commit only.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ConnectionTrait, TransactionTrait};
use seckiller_domain::ports::QueueError;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::Shared;
use crate::entities::{queued_purchase, stored};

/// Rows per INSERT statement: 3 bound values each keeps a statement far below SQLite's limit of
/// 32,766 variables (and Postgres' 65,535) whatever batch size is configured.
const ROWS_PER_STATEMENT: usize = 1_000;

/// One publish waiting to be committed.
#[derive(Debug)]
pub(super) struct Publish {
    pub(super) purchase_id: Uuid,
    pub(super) payload: String,
    pub(super) committed: oneshot::Sender<Result<(), QueueError>>,
}

/// Runs until every sender is gone (the last clone of the queue was dropped), finishing the batch
/// in hand first.
pub(super) async fn write_publishes(
    shared: Arc<Shared>,
    mut publishes: mpsc::Receiver<Publish>,
    max_batch: usize,
) {
    let max_batch = max_batch.max(1);
    let mut batch = Vec::with_capacity(max_batch);
    while publishes.recv_many(&mut batch, max_batch).await > 0 {
        let outcome = store(&shared, &batch).await;
        match &outcome {
            Ok(()) => shared.published.notify_waiters(),
            Err(error) => tracing::warn!(
                purchases = batch.len(),
                %error,
                "purchases could not be queued; their publishers are told so"
            ),
        }
        for publish in batch.drain(..) {
            // A publisher that stopped waiting has nothing to be told.
            let _ = publish.committed.send(outcome.clone());
        }
    }
}

async fn store(shared: &Shared, batch: &[Publish]) -> Result<(), QueueError> {
    let failed = |error: sea_orm::DbErr| QueueError::from(format!("queueing purchases: {error}"));
    let enqueued_at = stored(Utc::now());
    let transaction = shared.db.connection().begin().await.map_err(failed)?;
    for rows in batch.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Query::insert();
        insert
            .into_table(queued_purchase::Entity)
            .columns([
                queued_purchase::Column::PurchaseId,
                queued_purchase::Column::Payload,
                queued_purchase::Column::EnqueuedAt,
            ])
            .on_conflict(
                OnConflict::column(queued_purchase::Column::PurchaseId)
                    .do_nothing()
                    .to_owned(),
            );
        for row in rows {
            insert
                .values([
                    Expr::val(row.purchase_id),
                    Expr::val(row.payload.as_str()),
                    Expr::val(enqueued_at),
                ])
                .map_err(|e| QueueError::from(format!("building the queue insert: {e}")))?;
        }
        transaction.execute(&insert).await.map_err(failed)?;
    }
    transaction.commit().await.map_err(failed)
}
