//! The repositories, guarded like Redis and NATS: each call under the database's breaker, a read
//! a request waits on within the database deadline, anything heavier (a batch of orders, a
//! sweep) within a few seconds more. A database that stops answering then costs a buyer a fast 503, not a hang.
//! The embedded SQLite file needs no guard: it cannot go away without the process.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, Claim, IdempotencyStore, InsertUserError, KeyClaim,
    MoveOutcome, NewSession, OrderRepository, OrderTotals, ProductRepository, RecordOutcome,
    RefreshGrant, Rejection, Rotation, SessionStore, StorageError, TokenDigest,
    UpdateActivityError, UserRepository,
};
use seckiller_domain::{
    Activity, ActivityId, CancelReason, ClaimHolder, IdempotencyKey, IdempotencyScope, Order,
    OrderId, PasswordHash, Product, ProductId, PurchaseId, RecordedAnswer, SessionId, User, UserId,
    Username,
};

use super::guard::DependencyGuard;

/// Extra time writes and scans get over a read's deadline.
const HEAVY_EXTRA: Duration = Duration::from_secs(4);

/// A repository whose calls run under the database's guard, when it has one.
pub struct Guarded<R> {
    inner: R,
    guard: Option<DependencyGuard>,
}

impl<R> Guarded<R> {
    /// `inner`, each call under `guard` (none: called as it is).
    pub fn new(inner: R, guard: Option<DependencyGuard>) -> Self {
        Self { inner, guard }
    }

    async fn read<T>(
        &self,
        call: impl Future<Output = Result<T, StorageError>>,
    ) -> Result<T, StorageError> {
        DependencyGuard::run_if(self.guard.as_ref(), Duration::ZERO, call).await
    }

    async fn heavy<T>(
        &self,
        call: impl Future<Output = Result<T, StorageError>>,
    ) -> Result<T, StorageError> {
        DependencyGuard::run_if(self.guard.as_ref(), HEAVY_EXTRA, call).await
    }
}

impl<R: ActivityRepository> ActivityRepository for Guarded<R> {
    async fn insert(&self, record: &ActivityRecord) -> Result<(), StorageError> {
        self.heavy(self.inner.insert(record)).await
    }

    /// Unguarded: a conflict is an answer, not a failure, and admins are few.
    async fn update(
        &self,
        activity: &Activity,
        expected_version: i64,
    ) -> Result<(), UpdateActivityError> {
        self.inner.update(activity, expected_version).await
    }

    async fn by_id(&self, id: ActivityId) -> Result<Option<ActivityRecord>, StorageError> {
        self.read(self.inner.by_id(id)).await
    }

    async fn live_sales_of(
        &self,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Activity>, StorageError> {
        self.read(self.inner.live_sales_of(product, now)).await
    }

    async fn list(
        &self,
        include_drafts: bool,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ActivityRecord>, StorageError> {
        self.heavy(self.inner.list(include_drafts, limit, offset))
            .await
    }
}

impl<R: OrderRepository> OrderRepository for Guarded<R> {
    async fn record(&self, orders: &[Order]) -> Result<Vec<RecordOutcome>, StorageError> {
        self.heavy(self.inner.record(orders)).await
    }

    async fn by_purchase(&self, id: PurchaseId) -> Result<Option<Order>, StorageError> {
        self.read(self.inner.by_purchase(id)).await
    }

    async fn rejection(&self, id: PurchaseId) -> Result<Option<Rejection>, StorageError> {
        self.read(self.inner.rejection(id)).await
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<Order>, StorageError> {
        self.read(self.inner.by_id(id)).await
    }

    async fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<Order>, StorageError> {
        self.heavy(self.inner.for_buyer(buyer, limit, offset)).await
    }

    async fn totals(&self, activity: ActivityId) -> Result<OrderTotals, StorageError> {
        self.heavy(self.inner.totals(activity)).await
    }

    async fn live_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        self.heavy(self.inner.live_orders(activity)).await
    }

    async fn ended_orders(&self, activity: ActivityId) -> Result<Vec<Order>, StorageError> {
        self.heavy(self.inner.ended_orders(activity)).await
    }

    async fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        self.heavy(self.inner.pay(id, payment_ref, now)).await
    }

    async fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome, StorageError> {
        self.heavy(self.inner.cancel(id, reason, now)).await
    }

    async fn expire_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Order>, StorageError> {
        self.heavy(self.inner.expire_due(now, limit)).await
    }

    /// Unguarded: a conflict is an answer, not a failure, and admins are few.
    async fn cancel_sale(
        &self,
        activity: &Activity,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, UpdateActivityError> {
        self.inner
            .cancel_sale(activity, expected_version, now)
            .await
    }

    async fn unreleased(&self, limit: u32) -> Result<Vec<Order>, StorageError> {
        self.heavy(self.inner.unreleased(limit)).await
    }

    async fn mark_released(&self, ids: &[OrderId], now: DateTime<Utc>) -> Result<(), StorageError> {
        self.heavy(self.inner.mark_released(ids, now)).await
    }
}

impl<R: UserRepository> UserRepository for Guarded<R> {
    /// Unguarded: a taken username is an answer, not a failure.
    async fn insert(&self, user: &User) -> Result<(), InsertUserError> {
        self.inner.insert(user).await
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, StorageError> {
        self.read(self.inner.by_id(id)).await
    }

    async fn by_username(&self, username: &Username) -> Result<Option<User>, StorageError> {
        self.read(self.inner.by_username(username)).await
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<bool, StorageError> {
        self.heavy(self.inner.set_password_hash(id, hash)).await
    }
}

impl<R: ProductRepository> ProductRepository for Guarded<R> {
    async fn insert(&self, product: &Product) -> Result<(), StorageError> {
        self.heavy(self.inner.insert(product)).await
    }

    async fn update(&self, product: &Product) -> Result<bool, StorageError> {
        self.heavy(self.inner.update(product)).await
    }

    async fn by_id(&self, id: ProductId) -> Result<Option<Product>, StorageError> {
        self.read(self.inner.by_id(id)).await
    }

    async fn count(&self) -> Result<u64, StorageError> {
        self.read(self.inner.count()).await
    }
}

impl<R: SessionStore> SessionStore for Guarded<R> {
    async fn open(&self, session: &NewSession, first: &RefreshGrant) -> Result<(), StorageError> {
        self.heavy(self.inner.open(session, first)).await
    }

    async fn rotate(
        &self,
        presented: &TokenDigest,
        next: &RefreshGrant,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StorageError> {
        self.heavy(self.inner.rotate(presented, next, now)).await
    }

    async fn revoke(
        &self,
        id: SessionId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        self.heavy(self.inner.revoke(id, user, now)).await
    }

    async fn revoke_all(&self, user: UserId, now: DateTime<Utc>) -> Result<u64, StorageError> {
        self.heavy(self.inner.revoke_all(user, now)).await
    }
}

impl<R: IdempotencyStore> IdempotencyStore for Guarded<R> {
    async fn claim(&self, claim: &KeyClaim) -> Result<Claim, StorageError> {
        self.read(self.inner.claim(claim)).await
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
        answer: &RecordedAnswer,
    ) -> Result<bool, StorageError> {
        self.heavy(self.inner.complete(scope, key, holder, answer))
            .await
    }

    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        holder: ClaimHolder,
    ) -> Result<(), StorageError> {
        self.heavy(self.inner.release(scope, key, holder)).await
    }

    async fn sweep(&self, now: DateTime<Utc>, limit: u32) -> Result<u64, StorageError> {
        self.heavy(self.inner.sweep(now, limit)).await
    }
}
