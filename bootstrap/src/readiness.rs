//! The readiness probe of a wired node: the database, and the Redis and NATS servers when the
//! wiring uses them, each with its breaker's state. Each check has its own deadline, so the probe
//! answers within a second and names what is down.

use std::sync::Arc;
use std::time::Duration;

use seckiller_interfaces::{DependencyReport, ReadinessCheck};
use seckiller_persistence::Database;
use seckiller_resilience::Breaker;

use crate::adapters::DependencyGuard;
use crate::wiring::NodeAdapters;

/// How long one dependency may take to answer the probe.
const CHECK_DEADLINE: Duration = Duration::from_millis(800);

fn report(
    name: &'static str,
    breaker: Option<&Arc<Breaker>>,
    outcome: Result<(), String>,
) -> DependencyReport {
    DependencyReport {
        name,
        up: outcome.is_ok(),
        breaker: breaker.map(|b| b.view().state.as_str()),
        detail: outcome.err(),
    }
}

async fn within<E: std::fmt::Display>(
    check: impl std::future::Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(CHECK_DEADLINE, check).await {
        Ok(outcome) => outcome.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {CHECK_DEADLINE:?}")),
    }
}

/// [`within`] for a dependency the wiring may not have (`None`: not wired, no report).
async fn optional<E: std::fmt::Display>(
    check: impl std::future::Future<Output = Option<Result<(), E>>>,
) -> Option<Result<(), String>> {
    match tokio::time::timeout(CHECK_DEADLINE, check).await {
        Ok(outcome) => outcome.map(|o| o.map_err(|e| e.to_string())),
        Err(_) => Some(Err(format!("no answer within {CHECK_DEADLINE:?}"))),
    }
}

/// The probe over `database` and the node's adapters.
pub fn readiness(database: Database, adapters: Arc<NodeAdapters>) -> ReadinessCheck {
    Arc::new(move || {
        let database = database.clone();
        let adapters = adapters.clone();
        Box::pin(async move {
            let gate = adapters.gate_adapter();
            let queue = adapters.queue_adapter();
            let (db, redis, nats) = tokio::join!(
                // Through the breaker, so the probe also probes an open one.
                within(DependencyGuard::run_if(
                    adapters.database_guard(),
                    Duration::ZERO,
                    async { database.ping().await.map_err(|e| e.to_string()) },
                )),
                optional(gate.ping()),
                optional(queue.ping()),
            );
            let db_breaker = adapters.database_guard().map(|g| g.breaker());
            let mut reports = vec![report("database", db_breaker, db)];
            if let Some(outcome) = redis {
                reports.push(report("redis", gate.breaker(), outcome));
            }
            if let Some(outcome) = nats {
                reports.push(report("nats", queue.breaker(), outcome));
            }
            reports
        })
    })
}
