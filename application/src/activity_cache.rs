//! A short-lived local cache of activities for the hot path: thousands of purchase attempts per
//! second read the same few activities, so they are read from storage at most once per refresh
//! interval per node. Activities cannot be edited once started; a cancellation is seen within
//! one interval, and the gate still decides every purchase.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use seckiller_domain::ports::{ActivityRepository, StorageError};
use seckiller_domain::{Activity, ActivityId};

/// Cached activities with a freshness limit. Clones share the cache.
#[derive(Clone)]
pub struct ActivityCache {
    entries: Arc<Cache<ActivityId, (Arc<Activity>, Instant)>>,
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

    /// The activity, from the cache while fresh, else from `repository`.
    ///
    /// # Errors
    /// [`StorageError`] when it had to be read and storage failed.
    pub async fn get<R: ActivityRepository>(
        &self,
        repository: &R,
        id: ActivityId,
    ) -> Result<Option<Arc<Activity>>, StorageError> {
        if let Some((activity, at)) = self.entries.get(&id)
            && at.elapsed() < self.fresh_for
        {
            return Ok(Some(activity));
        }
        match repository.by_id(id).await? {
            Some(record) => {
                let activity = Arc::new(record.activity);
                self.entries.insert(id, (activity.clone(), Instant::now()));
                Ok(Some(activity))
            }
            None => {
                self.entries.remove(&id);
                Ok(None)
            }
        }
    }
}
