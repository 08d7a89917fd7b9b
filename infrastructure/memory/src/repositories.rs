//! Repositories kept in process memory. They follow the same contract as the database adapters
//! (the contract suite runs against both), so use-case tests can rely on them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, InsertUserError, ProductRepository, StorageError,
    UpdateActivityError, UserRepository,
};
use seckiller_domain::{
    Activity, ActivityId, ActivityState, PasswordHash, Product, ProductId, User, UserId, Username,
};

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Accounts in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryUserRepository(Arc<Mutex<HashMap<UserId, User>>>);

impl UserRepository for MemoryUserRepository {
    async fn insert(&self, user: &User) -> Result<(), InsertUserError> {
        let mut users = lock(&self.0);
        if users.values().any(|u| u.username == user.username) {
            return Err(InsertUserError::UsernameTaken);
        }
        users.insert(user.id, user.clone());
        Ok(())
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        Ok(lock(&self.0).get(&id).cloned())
    }

    async fn by_username(&self, username: &Username) -> Result<Option<User>, StorageError> {
        Ok(lock(&self.0)
            .values()
            .find(|u| &u.username == username)
            .cloned())
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<bool, StorageError> {
        Ok(match lock(&self.0).get_mut(&id) {
            Some(user) => {
                user.password_hash = hash.clone();
                true
            }
            None => false,
        })
    }
}

/// The catalogue in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryProductRepository(Arc<Mutex<HashMap<ProductId, Product>>>);

impl ProductRepository for MemoryProductRepository {
    async fn insert(&self, product: &Product) -> Result<(), StorageError> {
        lock(&self.0).insert(product.id, product.clone());
        Ok(())
    }

    async fn update(&self, product: &Product) -> Result<bool, StorageError> {
        let mut products = lock(&self.0);
        match products.get_mut(&product.id) {
            Some(stored) => {
                *stored = product.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn by_id(&self, id: ProductId) -> Result<Option<Product>, StorageError> {
        Ok(lock(&self.0).get(&id).cloned())
    }

    async fn count(&self) -> Result<u64, StorageError> {
        Ok(lock(&self.0).len() as u64)
    }
}

/// Activities and ledgers in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryActivityRepository(pub(crate) Arc<Mutex<HashMap<ActivityId, ActivityRecord>>>);

impl ActivityRepository for MemoryActivityRepository {
    async fn insert(&self, record: &ActivityRecord) -> Result<(), StorageError> {
        lock(&self.0).insert(record.activity.id, record.clone());
        Ok(())
    }

    async fn update(
        &self,
        activity: &Activity,
        expected_version: i64,
    ) -> Result<(), UpdateActivityError> {
        update_activity(&mut lock(&self.0), activity, expected_version)
    }

    async fn by_id(&self, id: ActivityId) -> Result<Option<ActivityRecord>, StorageError> {
        Ok(lock(&self.0).get(&id).cloned())
    }

    async fn live_sales_of(
        &self,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Activity>, StorageError> {
        Ok(lock(&self.0)
            .values()
            .map(|r| &r.activity)
            .filter(|a| {
                a.product_id == product
                    && a.state == ActivityState::Published
                    && !a.window.has_ended(now)
            })
            .cloned()
            .collect())
    }

    async fn list(
        &self,
        include_drafts: bool,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ActivityRecord>, StorageError> {
        let mut records: Vec<ActivityRecord> = lock(&self.0)
            .values()
            .filter(|r| include_drafts || r.activity.state != ActivityState::Draft)
            .cloned()
            .collect();
        records.sort_by(|a, b| {
            (b.activity.created_at, b.activity.id).cmp(&(a.activity.created_at, a.activity.id))
        });
        Ok(records
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect())
    }
}

/// Overwrites `activity` in `records` if its stored version is still `expected_version`, its
/// ledger resized only while nothing of it is committed, as the database adapter does.
///
/// # Errors
/// [`UpdateActivityError::Conflict`] when the version moved on, the activity is missing, or the
/// total changed after stock was committed.
fn update_activity(
    records: &mut HashMap<ActivityId, ActivityRecord>,
    activity: &Activity,
    expected_version: i64,
) -> Result<(), UpdateActivityError> {
    let Some(stored) = records.get_mut(&activity.id) else {
        return Err(UpdateActivityError::Conflict);
    };
    if stored.activity.version != expected_version {
        return Err(UpdateActivityError::Conflict);
    }
    let mut stock = stored.stock;
    if stock.total() != activity.total_stock.get() {
        stock
            .resize(activity.total_stock.get())
            .map_err(|_| UpdateActivityError::Conflict)?;
    }
    *stored = ActivityRecord {
        activity: activity.clone(),
        stock,
    };
    Ok(())
}

/// Overwrites `activity` in `records` if its stored version is still `expected_version`,
/// leaving its ledger alone.
///
/// # Errors
/// [`UpdateActivityError::Conflict`] when the version moved on or the activity is missing.
pub(crate) fn write_activity(
    records: &mut HashMap<ActivityId, ActivityRecord>,
    activity: &Activity,
    expected_version: i64,
) -> Result<(), UpdateActivityError> {
    match records.get_mut(&activity.id) {
        Some(stored) if stored.activity.version == expected_version => {
            stored.activity = activity.clone();
            Ok(())
        }
        _ => Err(UpdateActivityError::Conflict),
    }
}
