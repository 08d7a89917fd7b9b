//! A short-lived local cache of activities for the hot path: thousands of purchase attempts per
//! second read the same few activities, so they are read from storage at most once per refresh
//! interval per node. Activities cannot be edited once started; a cancellation is seen within
//! one interval, and the gate still decides every purchase.
//!
//! When an entry is due, one request reads it again while the others go on with the copy they
//! have; when that read fails (the database is away), the copy keeps serving. Nothing about a
//! sale can change while its database is away, so the purchase path keeps selling through a
//! database outage: the gate and the queue decide, and the orders are written once it is back.

use seckiller_domain::ports::chain;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use seckiller_domain::ports::{ActivityRepository, StorageError};
use seckiller_domain::{Activity, ActivityId, ActivityState};

/// One cached activity: when it was read, and whether a request is reading it again now.
#[derive(Clone)]
struct Entry {
    activity: Arc<Activity>,
    read_at: Instant,
    refreshing: Arc<AtomicBool>,
}

/// Cached activities with a freshness limit. Clones share the cache.
#[derive(Clone)]
pub struct ActivityCache {
    entries: Arc<Cache<ActivityId, Entry>>,
    fresh_for: Duration,
}

impl ActivityCache {
    /// A cache of up to `capacity` activities, each trusted for `fresh_for`.
    pub fn new(capacity: usize, fresh_for: Duration) -> Self {
        Self {
            entries: Arc::new(Cache::new(capacity)),
            fresh_for,
        }
    }

    /// The activity, from the cache while fresh, else from `repository`. A due entry is read
    /// again by one caller at a time; the others, and that caller when the read fails, get the
    /// copy they have.
    ///
    /// # Errors
    /// [`StorageError`] when it had to be read, storage failed, and no copy was cached.
    pub async fn get<R: ActivityRepository>(
        &self,
        repository: &R,
        id: ActivityId,
    ) -> Result<Option<Arc<Activity>>, StorageError> {
        let cached = self.entries.get(&id);
        // A draft is not for sale and cannot be bought, so trusting a cached one would answer
        // "no such sale" for a whole interval after its publication: drafts are always read again.
        let cached = cached.filter(|entry| entry.activity.state != ActivityState::Draft);
        if let Some(entry) = &cached {
            if entry.read_at.elapsed() < self.fresh_for {
                return Ok(Some(entry.activity.clone()));
            }
            if entry.refreshing.swap(true, Ordering::AcqRel) {
                // Another request is reading it again: go on with this copy.
                return Ok(Some(entry.activity.clone()));
            }
        }
        let read = repository.by_id(id).await;
        if let Some(entry) = &cached {
            entry.refreshing.store(false, Ordering::Release);
        }
        match (read, cached) {
            (Ok(Some(record)), _) => {
                let activity = Arc::new(record.activity);
                self.entries.insert(
                    id,
                    Entry {
                        activity: activity.clone(),
                        read_at: Instant::now(),
                        refreshing: Arc::default(),
                    },
                );
                Ok(Some(activity))
            }
            (Ok(None), _) => {
                self.entries.remove(&id);
                Ok(None)
            }
            (Err(e), Some(entry)) => {
                tracing::debug!(activity = %id, error = %chain(&e), "serving the cached activity: storage is out of reach");
                Ok(Some(entry.activity))
            }
            (Err(e), None) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use seckiller_domain::ports::{ActivityRecord, MockActivityRepository};

    use super::*;
    use crate::testing::sale;

    async fn a_stored_sale() -> ActivityRecord {
        let sale = sale(10, 1).await;
        sale.adapters
            .activities
            .by_id(sale.activity)
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn a_due_entry_keeps_serving_while_storage_is_out_of_reach() {
        let record = a_stored_sale().await;
        let id = record.activity.id;
        let mut repository = MockActivityRepository::new();
        repository.expect_by_id().times(1).returning(move |_| {
            let r = record.clone();
            Box::pin(async move { Ok(Some(r)) })
        });
        repository.expect_by_id().returning(|_| {
            Box::pin(async { Err(StorageError::from("the database is away".to_owned())) })
        });
        let cache = ActivityCache::new(16, Duration::ZERO);
        let first = cache.get(&repository, id).await.unwrap().unwrap();
        let again = cache.get(&repository, id).await.unwrap().unwrap();
        assert_eq!(again.id, first.id);
        // Never read: nothing to fall back on.
        let unknown = ActivityId::from_uuid(uuid::Uuid::now_v7());
        assert!(cache.get(&repository, unknown).await.is_err());
    }

    #[tokio::test]
    async fn a_cached_draft_is_read_again_so_its_publication_is_seen_at_once() {
        let published = a_stored_sale().await;
        let id = published.activity.id;
        let mut draft = published.clone();
        draft.activity.state = ActivityState::Draft;
        let mut repository = MockActivityRepository::new();
        repository.expect_by_id().times(1).returning(move |_| {
            let r = draft.clone();
            Box::pin(async move { Ok(Some(r)) })
        });
        repository.expect_by_id().times(1).returning(move |_| {
            let r = published.clone();
            Box::pin(async move { Ok(Some(r)) })
        });
        let cache = ActivityCache::new(16, Duration::from_secs(60));
        let first = cache.get(&repository, id).await.unwrap().unwrap();
        assert_eq!(first.state, ActivityState::Draft);
        let then = cache.get(&repository, id).await.unwrap().unwrap();
        assert_eq!(then.state, ActivityState::Published);
    }
}
