//! The stock gate: Redis when configured (required for more than one node), else in process; or,
//! when chosen, tables in the database (shared by every node on Postgres, no Redis needed).
//! Each call's future is boxed: the adapters' futures are large, and moving them through every
//! layer of the request's state machine cost more than one small allocation.

use seckiller_domain::ports::{GateDecision, GateError, StockGate};
use seckiller_domain::{ActivityId, Purchase, PurchaseId, Quantity};
use seckiller_memory::MemoryStockGate;
use seckiller_persistence::DatabaseStockGate;
use seckiller_redis::RedisStockGate;

/// The configured stock gate.
pub enum GateAdapter {
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
        match self {
            Self::Memory(g) => g.preheat(activity, available, limit, holdings).await,
            Self::Redis(g) => Box::pin(g.preheat(activity, available, limit, holdings)).await,
            Self::Database(g) => Box::pin(g.preheat(activity, available, limit, holdings)).await,
        }
    }

    async fn remember_given_back(
        &self,
        activity: ActivityId,
        given_back: &[Purchase],
    ) -> Result<(), GateError> {
        match self {
            Self::Memory(g) => g.remember_given_back(activity, given_back).await,
            Self::Redis(g) => Box::pin(g.remember_given_back(activity, given_back)).await,
            Self::Database(g) => Box::pin(g.remember_given_back(activity, given_back)).await,
        }
    }

    async fn take(&self, purchase: &Purchase, retake: bool) -> Result<GateDecision, GateError> {
        match self {
            Self::Memory(g) => g.take(purchase, retake).await,
            Self::Redis(g) => Box::pin(g.take(purchase, retake)).await,
            Self::Database(g) => Box::pin(g.take(purchase, retake)).await,
        }
    }

    async fn give_back(&self, purchase: &Purchase) -> Result<bool, GateError> {
        match self {
            Self::Memory(g) => g.give_back(purchase).await,
            Self::Redis(g) => Box::pin(g.give_back(purchase)).await,
            Self::Database(g) => Box::pin(g.give_back(purchase)).await,
        }
    }

    async fn available(&self, activity: ActivityId) -> Result<Option<u32>, GateError> {
        match self {
            Self::Memory(g) => g.available(activity).await,
            Self::Redis(g) => Box::pin(g.available(activity)).await,
            Self::Database(g) => Box::pin(g.available(activity)).await,
        }
    }

    async fn find_purchase(&self, id: PurchaseId) -> Result<Option<Purchase>, GateError> {
        match self {
            Self::Memory(g) => g.find_purchase(id).await,
            Self::Redis(g) => Box::pin(g.find_purchase(id)).await,
            Self::Database(g) => Box::pin(g.find_purchase(id)).await,
        }
    }

    async fn holdings(&self, activity: ActivityId) -> Result<Vec<Purchase>, GateError> {
        match self {
            Self::Memory(g) => g.holdings(activity).await,
            Self::Redis(g) => Box::pin(g.holdings(activity)).await,
            Self::Database(g) => Box::pin(g.holdings(activity)).await,
        }
    }
}
