//! Idempotency keys in the `idempotency_keys` table. A claim is one insert that only the first
//! request wins (the primary key decides), else one guarded update that takes over an expired
//! record or a lapsed lease, else a read of what the key holds. Each step is one statement, so
//! racing nodes need no lock beyond the row's own.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TryInsertResult,
};
use seckiller_domain::ports::{Claim, IdempotencyStore, KeyClaim, StorageError};
use seckiller_domain::{ClaimHolder, IdempotencyKey, IdempotencyScope, RecordedAnswer};

use crate::database::Database;
use crate::entities::{idempotency_key as row, stored};
use crate::error::storage;

/// How often a claim starts over when the record it met vanished under it (swept, released).
const CLAIM_ATTEMPTS: usize = 3;
/// Records deleted per statement by a sweep.
const SWEEP_CHUNK: usize = 100;

/// [`IdempotencyStore`] over sea-orm, for Postgres and SQLite alike.
#[derive(Debug, Clone)]
pub struct SeaIdempotencyStore {
    db: Database,
}

impl SeaIdempotencyStore {
    /// Keys stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    async fn try_insert(&self, claim: &KeyClaim) -> Result<bool, StorageError> {
        let fresh = row::ActiveModel {
            scope: Set(claim.scope.as_str().to_owned()),
            key: Set(claim.key.as_str().to_owned()),
            fingerprint: Set(claim.fingerprint.as_str().to_owned()),
            holder: Set(claim.holder.as_uuid()),
            status_code: Set(None),
            media_type: Set(None),
            body: Set(None),
            created_at: Set(stored(claim.now)),
            lease_until: Set(stored(claim.lease_until)),
            expires_at: Set(stored(claim.expires_at)),
        };
        let inserted = row::Entity::insert(fresh)
            .on_conflict_do_nothing_on([row::Column::Scope, row::Column::Key])
            .exec_without_returning(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(matches!(inserted, TryInsertResult::Inserted(rows) if rows > 0))
    }

    /// Takes over a record that expired, or whose holder's lease lapsed on this same request.
    async fn try_take_over(&self, claim: &KeyClaim) -> Result<bool, StorageError> {
        let now = stored(claim.now);
        let lapsed = Condition::all()
            .add(row::Column::StatusCode.is_null())
            .add(row::Column::LeaseUntil.lte(now))
            .add(row::Column::Fingerprint.eq(claim.fingerprint.as_str()));
        let taken = row::Entity::update_many()
            .col_expr(
                row::Column::Fingerprint,
                Expr::value(claim.fingerprint.as_str()),
            )
            .col_expr(row::Column::Holder, Expr::value(claim.holder.as_uuid()))
            .col_expr(row::Column::StatusCode, Expr::value(Option::<i32>::None))
            .col_expr(row::Column::MediaType, Expr::value(Option::<String>::None))
            .col_expr(row::Column::Body, Expr::value(Option::<String>::None))
            .col_expr(row::Column::CreatedAt, Expr::value(now))
            .col_expr(
                row::Column::LeaseUntil,
                Expr::value(stored(claim.lease_until)),
            )
            .col_expr(
                row::Column::ExpiresAt,
                Expr::value(stored(claim.expires_at)),
            )
            .filter(row::Column::Scope.eq(claim.scope.as_str()))
            .filter(row::Column::Key.eq(claim.key.as_str()))
            .filter(
                Condition::any()
                    .add(row::Column::ExpiresAt.lte(now))
                    .add(lapsed),
            )
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(taken.rows_affected > 0)
    }

    async fn read(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> Result<Option<row::Model>, StorageError> {
        row::Entity::find_by_id((scope.as_str().to_owned(), key.as_str().to_owned()))
            .one(self.db.connection())
            .await
            .map_err(storage)
    }
}

/// What a live (unexpired, not lapsed) record says to `claim`.
fn verdict(found: row::Model, claim: &KeyClaim) -> Result<Claim, StorageError> {
    if found.fingerprint != claim.fingerprint.as_str() {
        return Ok(Claim::Mismatch);
    }
    match (found.status_code, found.media_type, found.body) {
        (Some(status), Some(media_type), Some(body)) => Ok(Claim::Replay(RecordedAnswer {
            status: u16::try_from(status).map_err(|_| {
                StorageError::from(format!(
                    "corrupt row in idempotency_keys ({}): status {status}",
                    found.key
                ))
            })?,
            media_type,
            body,
        })),
        _ => Ok(Claim::InProgress {
            lease_until: found.lease_until,
        }),
    }
}

impl IdempotencyStore for SeaIdempotencyStore {
    async fn claim(&self, claim: &KeyClaim) -> Result<Claim, StorageError> {
        for _ in 0..CLAIM_ATTEMPTS {
            if self.try_insert(claim).await? || self.try_take_over(claim).await? {
                return Ok(Claim::Fresh);
            }
            match self.read(&claim.scope, &claim.key).await? {
                // Expired or lapsed after the take-over looked: look again.
                Some(found)
                    if found.expires_at <= claim.now
                        || (found.status_code.is_none()
                            && found.lease_until <= claim.now
                            && found.fingerprint == claim.fingerprint.as_str()) => {}
                Some(found) => return verdict(found, claim),
                // Released or swept between the insert and the read: try the insert again.
                None => {}
            }
        }
        Err(StorageError::from(format!(
            "idempotency key {:?} kept changing under {CLAIM_ATTEMPTS} claims",
            claim.key.as_str()
        )))
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
        answer: &RecordedAnswer,
    ) -> Result<bool, StorageError> {
        let done = row::Entity::update_many()
            .col_expr(
                row::Column::StatusCode,
                Expr::value(Some(i32::from(answer.status))),
            )
            .col_expr(
                row::Column::MediaType,
                Expr::value(Some(answer.media_type.clone())),
            )
            .col_expr(row::Column::Body, Expr::value(Some(answer.body.clone())))
            .filter(row::Column::Scope.eq(scope.as_str()))
            .filter(row::Column::Key.eq(key.as_str()))
            .filter(row::Column::Holder.eq(holder.as_uuid()))
            .filter(row::Column::StatusCode.is_null())
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(done.rows_affected > 0)
    }

    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
    ) -> Result<(), StorageError> {
        row::Entity::delete_many()
            .filter(row::Column::Scope.eq(scope.as_str()))
            .filter(row::Column::Key.eq(key.as_str()))
            .filter(row::Column::Holder.eq(holder.as_uuid()))
            .filter(row::Column::StatusCode.is_null())
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(())
    }

    async fn sweep(&self, now: DateTime<Utc>, limit: u32) -> Result<u64, StorageError> {
        let now = stored(now);
        let due: Vec<(String, String)> = row::Entity::find()
            .select_only()
            .column(row::Column::Scope)
            .column(row::Column::Key)
            .filter(row::Column::ExpiresAt.lte(now))
            .order_by_asc(row::Column::ExpiresAt)
            .limit(u64::from(limit))
            .into_tuple()
            .all(self.db.connection())
            .await
            .map_err(storage)?;
        let mut deleted = 0;
        for chunk in due.chunks(SWEEP_CHUNK) {
            let these = chunk.iter().fold(Condition::any(), |any, (scope, key)| {
                any.add(
                    Condition::all()
                        .add(row::Column::Scope.eq(scope.as_str()))
                        .add(row::Column::Key.eq(key.as_str())),
                )
            });
            // Still expired: a record renewed since the select is kept.
            deleted += row::Entity::delete_many()
                .filter(these)
                .filter(row::Column::ExpiresAt.lte(now))
                .exec(self.db.connection())
                .await
                .map_err(storage)?
                .rows_affected;
        }
        Ok(deleted)
    }
}
