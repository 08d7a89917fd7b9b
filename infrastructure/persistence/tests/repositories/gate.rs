//! The database stock gate: the gate contract every adapter passes, on SQLite and on Postgres,
//! then what only a gate kept in the database has to prove (its own tables, several nodes on one
//! database, constraints and corrupt rows). Each test has its own scratch database, as every
//! test of this binary does.

mod contract;
mod storage;

use std::sync::Arc;

use seckiller_contract::gate::GateUnderTest;
use seckiller_persistence::DatabaseStockGate;

use crate::harness::{self, Store};

/// A gate on a scratch database, which it owns: the gate goes first when dropped, then the
/// database is removed.
pub struct GateStore {
    gate: Arc<DatabaseStockGate>,
    _store: Store,
}

impl GateStore {
    fn on(store: Store) -> Self {
        Self {
            gate: Arc::new(DatabaseStockGate::new(&store.db)),
            _store: store,
        }
    }
}

impl GateUnderTest for GateStore {
    type Gate = DatabaseStockGate;

    fn gate(&self) -> &Arc<DatabaseStockGate> {
        &self.gate
    }
}

/// A gate on a new SQLite file.
pub async fn sqlite() -> GateStore {
    GateStore::on(harness::sqlite().await)
}

/// A gate on a new Postgres database.
pub async fn postgres() -> GateStore {
    GateStore::on(harness::postgres().await)
}
