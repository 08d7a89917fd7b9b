//! Running a state-changing request under the client's `Idempotency-Key`: the first request with
//! a key runs and its answer is remembered; a retry of the same request gets that answer back
//! without running again; the key on another request is refused; a retry while the first still
//! runs is told to wait. An answer that changed nothing (a dependency failed) is forgotten, so a
//! retry runs again. Stripe's model, with keys scoped to the caller.
//!
//! The work and its answer are the edge's: this use case only decides whether the work runs.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use seckiller_domain::ports::{Claim, Clock, IdSource, IdempotencyStore, KeyClaim};
use seckiller_domain::{
    ClaimHolder, IdempotencyKey, IdempotencyScope, RecordedAnswer, RequestFingerprint,
};

use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Unavailable};

/// How long an answer is replayed (Stripe keeps keys for 24 hours).
pub const DEFAULT_RETENTION: Duration = Duration::hours(24);
/// How long a running request keeps its key before a retry may take it over (its node died).
pub const DEFAULT_LEASE: Duration = Duration::seconds(60);

/// Why a keyed request did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyError {
    /// The key already names another request (another body or path) of this caller.
    #[error("the idempotency key was used for another request")]
    KeyReused,
    /// The same request is still running; retry after this long.
    #[error("a request with this idempotency key is still running")]
    InProgress {
        /// When a retry may find the answer (or take over a dead runner's key).
        retry_after: StdDuration,
    },
    /// The store could not be reached; nothing ran.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(IdempotencyError);

/// A request as its key names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    /// Whose key.
    pub scope: IdempotencyScope,
    /// The key.
    pub key: IdempotencyKey,
    /// The digest of the request (method, path, body).
    pub fingerprint: RequestFingerprint,
}

/// How the work ended, as the edge judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The request was decided (done, or refused for good): its answer is remembered.
    Settled(RecordedAnswer),
    /// A dependency failed and nothing changed: the key is freed, so a retry runs again.
    NothingChanged(RecordedAnswer),
}

/// The answer a keyed request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// This request ran; its answer.
    Ran(RecordedAnswer),
    /// An earlier run's answer, replayed.
    Replayed(RecordedAnswer),
}

/// Keyed requests over one set of adapters.
pub struct Idempotency<A: Adapters> {
    adapters: Arc<A>,
    retention: Duration,
    lease: Duration,
}

impl<A: Adapters> Clone for Idempotency<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            retention: self.retention,
            lease: self.lease,
        }
    }
}

impl<A: Adapters> Idempotency<A> {
    /// Keys kept for [`DEFAULT_RETENTION`], a running request's lease [`DEFAULT_LEASE`].
    pub fn new(adapters: Arc<A>) -> Self {
        Self {
            adapters,
            retention: DEFAULT_RETENTION,
            lease: DEFAULT_LEASE,
        }
    }

    /// Runs `work` unless `request`'s key already answered it (replayed), names another request
    /// (refused), or is running elsewhere (wait). If the answer cannot be recorded afterwards the
    /// work still counts: the failure is logged and the answer given.
    ///
    /// # Errors
    /// [`IdempotencyError::KeyReused`], [`IdempotencyError::InProgress`], or `Unavailable` when
    /// the store fails before the work ran (it did not run).
    pub async fn run<F, Fut>(
        &self,
        request: KeyedRequest,
        work: F,
    ) -> Result<Answered, IdempotencyError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Outcome>,
    {
        let a = &self.adapters;
        let now = a.clock().now();
        let claim = KeyClaim {
            scope: request.scope,
            key: request.key,
            fingerprint: request.fingerprint,
            holder: ClaimHolder::from_uuid(a.ids().next_id()),
            now,
            lease_until: now + self.lease,
            expires_at: now + self.retention,
        };
        match a.idempotency().claim(&claim).await? {
            Claim::Fresh => {}
            Claim::Replay(answer) => return Ok(Answered::Replayed(answer)),
            Claim::Mismatch => return Err(IdempotencyError::KeyReused),
            Claim::InProgress { lease_until } => {
                let wait = (lease_until - now).num_seconds().max(1);
                return Err(IdempotencyError::InProgress {
                    retry_after: StdDuration::from_secs(wait.unsigned_abs()),
                });
            }
        }
        let store = a.idempotency();
        match work().await {
            Outcome::Settled(answer) => {
                match store
                    .complete(&claim.scope, &claim.key, claim.holder, &answer)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        scope = claim.scope.as_str(),
                        "a keyed request outlived its lease; its answer was not recorded"
                    ),
                    Err(cause) => tracing::warn!(
                        scope = claim.scope.as_str(),
                        %cause,
                        "a keyed request's answer could not be recorded; a retry after the lease runs again"
                    ),
                }
                Ok(Answered::Ran(answer))
            }
            Outcome::NothingChanged(answer) => {
                if let Err(cause) = store.release(&claim.scope, &claim.key, claim.holder).await {
                    tracing::warn!(
                        scope = claim.scope.as_str(),
                        %cause,
                        "a keyed request that changed nothing kept its key until the lease ends"
                    );
                }
                Ok(Answered::Ran(answer))
            }
        }
    }

    /// Deletes up to `limit` records past their retention; returns how many.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    pub async fn sweep(&self, limit: u32) -> Result<u64, Unavailable> {
        let now = self.adapters.clock().now();
        Ok(self.adapters.idempotency().sweep(now, limit).await?)
    }
}

#[cfg(test)]
mod tests;
