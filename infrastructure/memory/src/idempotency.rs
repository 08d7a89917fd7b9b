//! Idempotency keys in process memory, for the use-case tests; same contract as the database's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{Claim, IdempotencyStore, KeyClaim, StorageError};
use seckiller_domain::{
    ClaimHolder, IdempotencyKey, IdempotencyScope, RecordedAnswer, RequestFingerprint,
};

use crate::repositories::lock;

#[derive(Debug, Clone)]
struct Record {
    fingerprint: RequestFingerprint,
    holder: ClaimHolder,
    answer: Option<RecordedAnswer>,
    lease_until: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

type Slot = (IdempotencyScope, IdempotencyKey);

/// [`IdempotencyStore`] in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryIdempotencyStore(Arc<Mutex<HashMap<Slot, Record>>>);

impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(&self, claim: &KeyClaim) -> Result<Claim, StorageError> {
        let mut records = lock(&self.0);
        let slot = (claim.scope.clone(), claim.key.clone());
        let fresh = Record {
            fingerprint: claim.fingerprint.clone(),
            holder: claim.holder,
            answer: None,
            lease_until: claim.lease_until,
            expires_at: claim.expires_at,
        };
        let Some(found) = records.get(&slot) else {
            records.insert(slot, fresh);
            return Ok(Claim::Fresh);
        };
        if found.expires_at <= claim.now {
            records.insert(slot, fresh);
            return Ok(Claim::Fresh);
        }
        if found.fingerprint != claim.fingerprint {
            return Ok(Claim::Mismatch);
        }
        match &found.answer {
            Some(answer) => Ok(Claim::Replay(answer.clone())),
            None if found.lease_until <= claim.now => {
                records.insert(slot, fresh);
                Ok(Claim::Fresh)
            }
            None => Ok(Claim::InProgress {
                lease_until: found.lease_until,
            }),
        }
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
        answer: &RecordedAnswer,
    ) -> Result<bool, StorageError> {
        let mut records = lock(&self.0);
        match records.get_mut(&(scope.clone(), key.clone())) {
            Some(record) if record.holder == holder && record.answer.is_none() => {
                record.answer = Some(answer.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
    ) -> Result<(), StorageError> {
        let mut records = lock(&self.0);
        let slot = (scope.clone(), key.clone());
        if records
            .get(&slot)
            .is_some_and(|r| r.holder == holder && r.answer.is_none())
        {
            records.remove(&slot);
        }
        Ok(())
    }

    async fn sweep(&self, now: DateTime<Utc>, limit: u32) -> Result<u64, StorageError> {
        let mut records = lock(&self.0);
        let due: Vec<Slot> = records
            .iter()
            .filter(|(_, r)| r.expires_at <= now)
            .map(|(slot, _)| slot.clone())
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        for slot in &due {
            records.remove(slot);
        }
        Ok(u64::try_from(due.len()).unwrap_or(u64::MAX))
    }
}
