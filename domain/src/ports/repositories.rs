//! Repositories: durable storage of the aggregates. Postgres in production, SQLite embedded; both
//! must pass the same contract tests.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::activity::Activity;
use crate::ids::{ActivityId, ProductId, UserId};
use crate::ports::Cause;
use crate::product::Product;
use crate::stock::StockLedger;
use crate::user::{PasswordHash, User, Username};

/// Storage could not be reached or failed; the operation may be retried. The text is for logs,
/// never for clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage unavailable")]
pub struct StorageError(#[source] pub Cause);

impl From<String> for StorageError {
    fn from(cause: String) -> Self {
        Self(Cause::from(cause))
    }
}

/// Why a new account was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsertUserError {
    /// Another account has that username.
    #[error("the username is taken")]
    UsernameTaken,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an activity update was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateActivityError {
    /// Someone else changed the activity since it was read (its version moved on).
    #[error("the activity was changed concurrently")]
    Conflict,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// An activity with its stock ledger, as stored together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    /// The sale.
    pub activity: Activity,
    /// Its stock.
    pub stock: StockLedger,
}

/// Accounts.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait UserRepository: Send + Sync + 'static {
    /// Stores a new account.
    ///
    /// # Errors
    /// [`InsertUserError::UsernameTaken`] when the name is in use, or a storage failure.
    fn insert(&self, user: &User) -> impl Future<Output = Result<(), InsertUserError>> + Send;

    /// The account with this id.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn by_id(&self, id: UserId) -> impl Future<Output = Result<Option<User>, StorageError>> + Send;

    /// The account with this (normalised) username.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn by_username(
        &self,
        username: &Username,
    ) -> impl Future<Output = Result<Option<User>, StorageError>> + Send;

    /// Replaces the account's password hash. False when no account has this id.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;
}

/// The catalogue.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait ProductRepository: Send + Sync + 'static {
    /// Stores a new product.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn insert(&self, product: &Product) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Overwrites a product. Returns false when it does not exist.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn update(&self, product: &Product) -> impl Future<Output = Result<bool, StorageError>> + Send;

    /// The product with this id.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn by_id(
        &self,
        id: ProductId,
    ) -> impl Future<Output = Result<Option<Product>, StorageError>> + Send;

    /// How many products exist; lets start-up seed a demo only into an empty catalogue.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn count(&self) -> impl Future<Output = Result<u64, StorageError>> + Send;
}

/// Activities and their stock ledgers.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait ActivityRepository: Send + Sync + 'static {
    /// Stores a new activity and its ledger in one transaction.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn insert(
        &self,
        record: &ActivityRecord,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Overwrites an activity if its stored version is still `expected_version`. Its ledger's
    /// movements (available, held, sold) are never written here, so an admin's edit cannot undo
    /// stock taken meanwhile; only when the total stock changed is the ledger reset to the new
    /// total, and only while nothing of it is held or sold.
    ///
    /// # Errors
    /// [`UpdateActivityError::Conflict`] when the stored version moved on, the activity is gone,
    /// or the total changed after stock was committed; or a storage failure. Nothing is written
    /// then.
    fn update(
        &self,
        activity: &Activity,
        expected_version: i64,
    ) -> impl Future<Output = Result<(), UpdateActivityError>> + Send;

    /// The activity with this id.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn by_id(
        &self,
        id: ActivityId,
    ) -> impl Future<Output = Result<Option<ActivityRecord>, StorageError>> + Send;

    /// The published activities of `product` whose window has not ended at `now`: the sales
    /// that hold the product's currency (and a ceiling under its price) in place.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn live_sales_of(
        &self,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Activity>, StorageError>> + Send;

    /// Activities, newest first; only published and cancelled ones unless `include_drafts`.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn list(
        &self,
        include_drafts: bool,
        limit: u32,
        offset: u32,
    ) -> impl Future<Output = Result<Vec<ActivityRecord>, StorageError>> + Send;
}
