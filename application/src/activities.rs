//! Activities: admins plan, edit, publish and cancel sales; buyers list and read them with their
//! phase as of now.

mod errors;

use seckiller_domain::ports::chain;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, Clock, IdSource, OrderRepository, ProductRepository,
    UpdateActivityError,
};
use seckiller_domain::{
    Activity, ActivityChanges, ActivityError, ActivityId, ActivityState, Money, NewActivity, Phase,
    StockLedger,
};

pub use errors::{ChangeActivityError, CreateActivityError, GetActivityError};

use crate::gate_loader::{GateLoader, LoadOutcome};
use crate::{Adapters, Admin};

/// The largest page of a listing.
pub const MAX_PAGE: u32 = 100;

/// An activity as a reader sees it at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityView {
    /// The sale.
    pub activity: Activity,
    /// Its stock as stored (the gate may be slightly ahead during a sale).
    pub stock: StockLedger,
    /// Its phase at `as_of`.
    pub phase: Phase,
    /// The instant the phase was judged, so clients can show a countdown without trusting their
    /// own clock.
    pub as_of: DateTime<Utc>,
}

/// Recently read activities with their ledgers, for the public detail read that every waiting
/// buyer repeats: read from storage at most once per freshness interval per node.
type RecordCache = Arc<quick_cache::sync::Cache<ActivityId, (ActivityRecord, Instant)>>;

/// The activities use cases.
pub struct Activities<A: Adapters> {
    adapters: Arc<A>,
    records: RecordCache,
    fresh_for: StdDuration,
    preheat_lead: chrono::Duration,
}

impl<A: Adapters> Clone for Activities<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            records: self.records.clone(),
            fresh_for: self.fresh_for,
            preheat_lead: self.preheat_lead,
        }
    }
}

impl<A: Adapters> Activities<A> {
    /// The activities over these adapters, every read going to storage.
    pub fn new(adapters: Arc<A>) -> Self {
        Self::with_cache(adapters, StdDuration::ZERO)
    }

    /// The activities, public detail reads served from this node's memory for `fresh_for`
    /// (the phase is still judged at each read; the remaining stock may be that much behind).
    pub fn with_cache(adapters: Arc<A>, fresh_for: StdDuration) -> Self {
        Self {
            adapters,
            records: Arc::new(quick_cache::sync::Cache::new(4096)),
            fresh_for,
            preheat_lead: chrono::Duration::minutes(5),
        }
    }

    /// Publishing loads a sale into the gate when it opens within `lead` (the preheater's lead
    /// time); one opening later is loaded by the preheater when its time comes.
    #[must_use]
    pub fn with_preheat_lead(mut self, lead: chrono::Duration) -> Self {
        self.preheat_lead = lead;
        self
    }

    async fn record(&self, id: ActivityId) -> Result<Option<ActivityRecord>, GetActivityError> {
        if let Some((record, at)) = self.records.get(&id)
            && at.elapsed() < self.fresh_for
        {
            return Ok(Some(record));
        }
        let record = self.adapters.activities().by_id(id).await?;
        match &record {
            Some(r) if !self.fresh_for.is_zero() => {
                self.records.insert(id, (r.clone(), Instant::now()))
            }
            _ => {
                self.records.remove(&id);
            }
        }
        Ok(record)
    }

    fn view(&self, record: ActivityRecord) -> ActivityView {
        let as_of = self.adapters.clock().now();
        let phase = record.activity.phase(as_of, record.stock.available());
        ActivityView {
            activity: record.activity,
            stock: record.stock,
            phase,
            as_of,
        }
    }

    async fn price_matches_product(
        &self,
        activity: &Activity,
        price: Money,
    ) -> Result<(), CreateActivityError> {
        let product = self
            .adapters
            .products()
            .by_id(activity.product_id)
            .await?
            .ok_or(CreateActivityError::ProductNotFound)?;
        if product.price.currency() != price.currency() {
            return Err(CreateActivityError::CurrencyMismatch {
                product: product.price.currency().to_string(),
            });
        }
        if price.amount_minor() >= product.price.amount_minor() {
            return Err(CreateActivityError::PriceNotBelowProduct {
                product_minor: product.price.amount_minor(),
            });
        }
        Ok(())
    }

    /// Plans a sale of an existing product, as a draft.
    ///
    /// # Errors
    /// [`CreateActivityError`]: unknown product, a price in another currency than the product's
    /// or not below its price, a price of zero, a window already over, or `Unavailable`.
    pub async fn create(
        &self,
        _admin: &Admin,
        new: NewActivity,
    ) -> Result<ActivityView, CreateActivityError> {
        let a = &self.adapters;
        let activity = Activity::plan(
            ActivityId::from_uuid(a.ids().next_id()),
            new,
            a.clock().now(),
        )?;
        self.price_matches_product(&activity, activity.sale_price)
            .await?;
        let record = ActivityRecord {
            stock: StockLedger::new(activity.total_stock.get()),
            activity,
        };
        a.activities().insert(&record).await?;
        Ok(self.view(record))
    }

    /// Edits a sale that has not started yet.
    ///
    /// # Errors
    /// [`ChangeActivityError`]: unknown activity, a rule of the activity refused it, a concurrent
    /// edit won, or `Unavailable`.
    pub async fn edit(
        &self,
        _admin: &Admin,
        id: ActivityId,
        changes: ActivityChanges,
    ) -> Result<ActivityView, ChangeActivityError> {
        let new_price = changes.sale_price;
        let record = self
            .change(
                id,
                |activity, stock, now| {
                    activity.edit(changes, now)?;
                    if activity.total_stock.get() != stock.total() {
                        stock
                            .resize(activity.total_stock.get())
                            .map_err(|_| ActivityError::AlreadyStarted)?;
                    }
                    Ok(())
                },
                new_price,
            )
            .await?;
        Ok(self.view(record))
    }

    /// Makes a draft visible to buyers, and loads its stock into the gate at once when it opens
    /// within the preheat lead, so a sale published a second before it opens is ready for its
    /// first buyer. Should that load fail,
    /// the preheater loads it on its next pass.
    ///
    /// # Errors
    /// As for [`Activities::edit`].
    pub async fn publish(
        &self,
        _admin: &Admin,
        id: ActivityId,
    ) -> Result<ActivityView, ChangeActivityError> {
        let record = self
            .change(id, |activity, _, now| activity.publish(now), None)
            .await?;
        let opens_soon =
            record.activity.window.starts_at() <= self.adapters.clock().now() + self.preheat_lead;
        if !opens_soon {
            return Ok(self.view(record));
        }
        match GateLoader::new(self.adapters.clone())
            .load(&record.activity)
            .await
        {
            Ok(LoadOutcome::Offered) => {}
            Ok(outcome) => {
                tracing::info!(activity = %id, ?outcome, "published sale left to the preheater")
            }
            Err(e) => {
                tracing::warn!(activity = %id, error = %chain(&e), "published sale not loaded into the gate yet; the preheater retries")
            }
        }
        Ok(self.view(record))
    }

    /// Calls a sale off, and its unpaid orders with it, in one step of storage: once it is
    /// stored no order of the sale can be paid (a payment that commits first stays paid), and
    /// orders still arriving from the queue are cancelled when someone tries to pay them, or
    /// expire. Charges that lost the race are refunded through the release outbox.
    ///
    /// # Errors
    /// As for [`Activities::edit`].
    pub async fn cancel(
        &self,
        _admin: &Admin,
        id: ActivityId,
    ) -> Result<ActivityView, ChangeActivityError> {
        let a = &self.adapters;
        let mut record = a
            .activities()
            .by_id(id)
            .await?
            .ok_or(ChangeActivityError::NotFound)?;
        let expected_version = record.activity.version;
        let now = a.clock().now();
        record.activity.cancel(now)?;
        match a
            .orders()
            .cancel_sale(&record.activity, expected_version, now)
            .await
        {
            Ok(orders) => {
                self.records.remove(&id);
                tracing::info!(activity = %id, orders, "sale cancelled with its unpaid orders");
                Ok(self.view(record))
            }
            Err(UpdateActivityError::Conflict) => Err(ChangeActivityError::Conflict),
            Err(UpdateActivityError::Storage(e)) => Err(e.into()),
        }
    }

    async fn change(
        &self,
        id: ActivityId,
        apply: impl FnOnce(&mut Activity, &mut StockLedger, DateTime<Utc>) -> Result<(), ActivityError>,
        new_price: Option<Money>,
    ) -> Result<ActivityRecord, ChangeActivityError> {
        let a = &self.adapters;
        let mut record = a
            .activities()
            .by_id(id)
            .await?
            .ok_or(ChangeActivityError::NotFound)?;
        let expected_version = record.activity.version;
        apply(&mut record.activity, &mut record.stock, a.clock().now())?;
        if let Some(price) = new_price {
            self.price_matches_product(&record.activity, price)
                .await
                .map_err(ChangeActivityError::from_create)?;
        }
        match a
            .activities()
            .update(&record.activity, expected_version)
            .await
        {
            Ok(()) => {
                self.records.remove(&id);
                Ok(record)
            }
            Err(UpdateActivityError::Conflict) => Err(ChangeActivityError::Conflict),
            Err(UpdateActivityError::Storage(e)) => Err(e.into()),
        }
    }

    /// A published (or cancelled) activity, as buyers see it; drafts are not found.
    ///
    /// # Errors
    /// [`GetActivityError::NotFound`], or `Unavailable`.
    pub async fn get(&self, id: ActivityId) -> Result<ActivityView, GetActivityError> {
        match self.record(id).await? {
            Some(record) if record.activity.state != ActivityState::Draft => Ok(self.view(record)),
            _ => Err(GetActivityError::NotFound),
        }
    }

    /// Any activity, drafts included, for its admins.
    ///
    /// # Errors
    /// [`GetActivityError::NotFound`], or `Unavailable`.
    pub async fn get_any(
        &self,
        _admin: &Admin,
        id: ActivityId,
    ) -> Result<ActivityView, GetActivityError> {
        let record = self
            .adapters
            .activities()
            .by_id(id)
            .await?
            .ok_or(GetActivityError::NotFound)?;
        Ok(self.view(record))
    }

    /// Activities newest first, optionally only those in `phase`; drafts only with an admin.
    /// `limit` is capped at [`MAX_PAGE`].
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn list(
        &self,
        admin: Option<&Admin>,
        phase: Option<Phase>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ActivityView>, GetActivityError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let views = match phase {
            // The phase depends on the clock, so it is filtered here; scan a bounded window.
            Some(phase) => self
                .adapters
                .activities()
                .list(admin.is_some(), MAX_PAGE * 10, 0)
                .await?
                .into_iter()
                .map(|r| self.view(r))
                .filter(|v| v.phase == phase)
                .skip(offset as usize)
                .take(limit as usize)
                .collect(),
            None => self
                .adapters
                .activities()
                .list(admin.is_some(), limit, offset)
                .await?
                .into_iter()
                .map(|r| self.view(r))
                .collect(),
        };
        Ok(views)
    }
}

#[cfg(test)]
mod tests;
