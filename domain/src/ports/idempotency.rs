//! Where keyed requests and their answers are remembered, so that a retry anywhere in the
//! cluster replays the first answer. Postgres in production, SQLite embedded, memory in tests; all
//! pass the same contract.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::StorageError;
use crate::idempotency::{
    ClaimHolder, IdempotencyKey, IdempotencyScope, RecordedAnswer, RequestFingerprint,
};

/// A request asking to run under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyClaim {
    /// Whose key.
    pub scope: IdempotencyScope,
    /// The key.
    pub key: IdempotencyKey,
    /// The request it names.
    pub fingerprint: RequestFingerprint,
    /// This request, should it be the one to run.
    pub holder: ClaimHolder,
    /// Now.
    pub now: DateTime<Utc>,
    /// Until when a running request keeps the key to itself; a holder that died is taken over
    /// after it.
    pub lease_until: DateTime<Utc>,
    /// When the record (and so the replay) is forgotten.
    pub expires_at: DateTime<Utc>,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its record expired, or its holder's lease lapsed): this request runs.
    Fresh,
    /// The same request already ran: here is its answer.
    Replay(RecordedAnswer),
    /// The key already names another request.
    Mismatch,
    /// The same request is running now, its lease held until this instant.
    InProgress {
        /// When the running request's lease ends.
        lease_until: DateTime<Utc>,
    },
}

/// Keys, the requests they name, and their answers.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `claim.key` in its scope for `claim.holder`, atomically: of requests racing for one
    /// key, exactly one gets [`Claim::Fresh`].
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; nothing was claimed then.
    fn claim(&self, claim: &KeyClaim) -> impl Future<Output = Result<Claim, StorageError>> + Send;

    /// Records the answer of the request holding the key. Returns false (and records nothing)
    /// when `holder` no longer holds it.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
        answer: &RecordedAnswer,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;

    /// Forgets a key whose request changed nothing (a dependency failed), so a retry runs again.
    /// Does nothing when `holder` no longer holds it, or it was completed.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Deletes up to `limit` records that expired at or before `now`; returns how many.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn sweep(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
}
