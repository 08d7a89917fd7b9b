//! The stock gate: Redis when configured (required for more than one node), else in process; or,
//! when chosen, tables in the database (shared by every node on Postgres, no Redis needed).
//! Each call's future is boxed: the adapters' futures are large, and moving them through every
//! layer of the request's state machine cost more than one small allocation.

use seckiller_domain::ports::{GateDecision, GateError, StockGate};
use seckiller_domain::{ActivityId, Purchase, PurchaseId, Quantity};
use seckiller_memory::MemoryStockGate;
use seckiller_persistence::DatabaseStockGate;
use seckiller_redis::RedisStockGate;

use seckiller_interfaces::Metrics;

use super::guard::DependencyGuard;
use super::traced::{ok_or_error, traced};

/// The configured stock gate, its calls guarded by a breaker and a deadline when it lives
/// outside the process.
pub struct GateAdapter {
    backend: GateBackend,
    guard: Option<DependencyGuard>,
    metrics: Option<Metrics>,
}

impl GateAdapter {
    /// `backend`, each call guarded by `guard` (none for the in-process gate).
    pub fn new(backend: GateBackend, guard: Option<DependencyGuard>) -> Self {
        Self {
            backend,
            guard,
            metrics: None,
        }
    }

    /// The same gate, counting into `metrics` the sales loaded while they run (rebuilt from the
    /// database after the gate lost or distrusted them, or published after their start).
    #[must_use]
    pub fn counted(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The stock gate's breaker, when it has one.
    pub fn breaker(&self) -> Option<&std::sync::Arc<seckiller_resilience::Breaker>> {
        self.guard.as_ref().map(DependencyGuard::breaker)
    }

    /// True for the in-process gate (one node only).
    pub fn in_process(&self) -> bool {
        matches!(self.backend, GateBackend::Memory(_))
    }

    /// Asks the gate's server to answer, under its guard (so a readiness probe also probes an
    /// open breaker); `None` for a gate without a server of its own.
    pub async fn ping(&self) -> Option<Result<(), GateError>> {
        match &self.backend {
            GateBackend::Redis(g) => Some(self.guard(g.ping()).await),
            GateBackend::Memory(_) | GateBackend::Database(_) => None,
        }
    }

    async fn guard<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, GateError>>,
    ) -> Result<T, GateError> {
        DependencyGuard::run_if(self.guard.as_ref(), std::time::Duration::ZERO, call).await
    }
}

/// A take's decision, as a span's outcome.
fn decision(result: &Result<GateDecision, GateError>) -> &'static str {
    match result {
        Ok(GateDecision::Accepted) => "accepted",
        Ok(GateDecision::Held { .. }) => "held",
        Ok(GateDecision::SoldOut) => "sold_out",
        Ok(GateDecision::LimitReached) => "limit_reached",
        Ok(GateDecision::NotLoaded) => "not_loaded",
        Ok(GateDecision::GivenBack) => "given_back",
        Err(_) => "error",
    }
}

/// Where the stock is decided.
pub enum GateBackend {
    /// In process: the embedded default, one node only.
    Memory(MemoryStockGate),
    /// Redis: shared by every node.
    Redis(RedisStockGate),
    /// The database's gate tables: shared by every node on the same database.
    Database(DatabaseStockGate),
}

impl StockGate for GateAdapter {
    async fn preheat(
        &self,
        activity: ActivityId,
        available: u32,
        limit: Quantity,
        holdings: &[Purchase],
    ) -> Result<(), GateError> {
        let call = async {
            match &self.backend {
                GateBackend::Memory(g) => g.preheat(activity, available, limit, holdings).await,
                GateBackend::Redis(g) => {
                    self.guard(Box::pin(g.preheat(activity, available, limit, holdings)))
                        .await
                }
                GateBackend::Database(g) => {
                    self.guard(Box::pin(g.preheat(activity, available, limit, holdings)))
                        .await
                }
            }
        };
        traced("gate.preheat", Some(activity), call, ok_or_error).await
    }

    async fn remember_given_back(
        &self,
        activity: ActivityId,
        given_back: &[Purchase],
    ) -> Result<(), GateError> {
        // The loader remembers a sale's given-back purchases exactly when it loads a running
        // sale from the database: that is a rebuild.
        let remembered = match &self.backend {
            GateBackend::Memory(g) => g.remember_given_back(activity, given_back).await,
            GateBackend::Redis(g) => {
                self.guard(Box::pin(g.remember_given_back(activity, given_back)))
                    .await
            }
            GateBackend::Database(g) => {
                self.guard(Box::pin(g.remember_given_back(activity, given_back)))
                    .await
            }
        };
        if remembered.is_ok()
            && let Some(metrics) = &self.metrics
        {
            metrics.gate_rebuilt(1);
        }
        remembered
    }

    async fn take(&self, purchase: &Purchase, retake: bool) -> Result<GateDecision, GateError> {
        let call = async {
            match &self.backend {
                GateBackend::Memory(g) => g.take(purchase, retake).await,
                GateBackend::Redis(g) => self.guard(Box::pin(g.take(purchase, retake))).await,
                GateBackend::Database(g) => self.guard(Box::pin(g.take(purchase, retake))).await,
            }
        };
        traced("gate.take", Some(purchase.activity_id), call, decision).await
    }

    async fn give_back(&self, purchase: &Purchase) -> Result<bool, GateError> {
        let call = async {
            match &self.backend {
                GateBackend::Memory(g) => g.give_back(purchase).await,
                GateBackend::Redis(g) => self.guard(Box::pin(g.give_back(purchase))).await,
                GateBackend::Database(g) => self.guard(Box::pin(g.give_back(purchase))).await,
            }
        };
        let outcome = |r: &Result<bool, GateError>| match r {
            Ok(true) => "returned",
            Ok(false) => "already_returned",
            Err(_) => "error",
        };
        traced("gate.give_back", Some(purchase.activity_id), call, outcome).await
    }

    async fn available(&self, activity: ActivityId) -> Result<Option<u32>, GateError> {
        let call = async {
            match &self.backend {
                GateBackend::Memory(g) => g.available(activity).await,
                GateBackend::Redis(g) => self.guard(Box::pin(g.available(activity))).await,
                GateBackend::Database(g) => self.guard(Box::pin(g.available(activity))).await,
            }
        };
        traced("gate.available", Some(activity), call, ok_or_error).await
    }

    async fn distrust(&self, activity: ActivityId) -> Result<bool, GateError> {
        match &self.backend {
            GateBackend::Memory(g) => g.distrust(activity).await,
            GateBackend::Redis(g) => self.guard(Box::pin(g.distrust(activity))).await,
            GateBackend::Database(g) => self.guard(Box::pin(g.distrust(activity))).await,
        }
    }

    async fn find_purchase(&self, id: PurchaseId) -> Result<Option<Purchase>, GateError> {
        match &self.backend {
            GateBackend::Memory(g) => g.find_purchase(id).await,
            GateBackend::Redis(g) => self.guard(Box::pin(g.find_purchase(id))).await,
            GateBackend::Database(g) => self.guard(Box::pin(g.find_purchase(id))).await,
        }
    }

    async fn accepted_ids(&self, activity: ActivityId) -> Result<Vec<PurchaseId>, GateError> {
        match &self.backend {
            GateBackend::Memory(g) => g.accepted_ids(activity).await,
            GateBackend::Redis(g) => self.guard(Box::pin(g.accepted_ids(activity))).await,
            GateBackend::Database(g) => self.guard(Box::pin(g.accepted_ids(activity))).await,
        }
    }

    async fn holdings(&self, activity: ActivityId) -> Result<Vec<Purchase>, GateError> {
        match &self.backend {
            GateBackend::Memory(g) => g.holdings(activity).await,
            GateBackend::Redis(g) => self.guard(Box::pin(g.holdings(activity))).await,
            GateBackend::Database(g) => self.guard(Box::pin(g.holdings(activity))).await,
        }
    }
}
