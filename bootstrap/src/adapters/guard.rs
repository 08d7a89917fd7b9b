//! A dependency's guard: its circuit breaker and the deadline of each call, applied by the
//! adapters of this folder around every call to Redis, NATS or the database gate.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use seckiller_interfaces::{CallOutcome, DependencyMetrics};
use seckiller_resilience::{Breaker, BreakerSettings, Guarded, guarded};
use tokio::time::Instant;

use super::traced::traced;

/// How a guarded call ended.
fn outcome_of<T, E>(result: &Result<T, Guarded<E>>) -> CallOutcome {
    match result {
        Ok(_) => CallOutcome::Ok,
        Err(Guarded::Failed(_)) => CallOutcome::Error,
        Err(Guarded::TimedOut { .. } | Guarded::Abandoned { .. }) => CallOutcome::Timeout,
        Err(Guarded::Refused { .. }) => CallOutcome::Rejected,
    }
}

/// One dependency's breaker, per-call deadline and call metrics. Clones share them.
#[derive(Clone)]
pub struct DependencyGuard {
    breaker: Arc<Breaker>,
    deadline: Duration,
    metrics: Option<DependencyMetrics>,
}

impl std::fmt::Debug for DependencyGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DependencyGuard")
            .field("breaker", &self.breaker)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl DependencyGuard {
    /// A guard for `name` whose calls may take `deadline` each.
    pub fn new(name: &'static str, deadline: Duration, settings: BreakerSettings) -> Self {
        Self {
            breaker: Arc::new(Breaker::new(name, settings)),
            deadline,
            metrics: None,
        }
    }

    /// The same guard, timing and counting every call into `metrics`.
    #[must_use]
    pub fn observed(mut self, metrics: DependencyMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// The breaker, for probes and statistics.
    pub fn breaker(&self) -> &Arc<Breaker> {
        &self.breaker
    }

    /// Each call's deadline.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Runs `call` under `guard` when there is one (a dependency outside the process), else as
    /// it is.
    pub async fn run_if<T, E, F>(guard: Option<&Self>, extra: Duration, call: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: std::fmt::Display + From<String>,
    {
        match guard {
            Some(guard) => guard.run(extra, call).await,
            None => call.await,
        }
    }

    /// Runs `call` under the breaker with the guard's deadline plus `extra` (for calls that
    /// wait on purpose, like a fetch's long poll); every failure becomes the port's error type.
    pub async fn run<T, E, F>(&self, extra: Duration, call: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: std::fmt::Display + From<String>,
    {
        match self.guarded(extra, call).await {
            Ok(answer) => Ok(answer),
            Err(Guarded::Failed(error)) => Err(error),
            Err(other) => Err(E::from(other.to_string())),
        }
    }

    /// Runs `call` under the breaker with the guard's deadline plus `extra`, timing and counting
    /// it, and tells how it ended (for callers that treat a refusal and a timeout apart).
    pub async fn guarded<T, E, F>(&self, extra: Duration, call: F) -> Result<T, Guarded<E>>
    where
        F: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let started = Instant::now();
        // Every call to the dependency gets a span of its own (named after the dependency),
        // inside the port call's span where the adapter opens one.
        let result = traced(
            self.breaker.name(),
            None,
            guarded(&self.breaker, self.deadline + extra, call),
            |r| outcome_of(r).label(),
        )
        .await;
        if let Some(metrics) = &self.metrics {
            metrics.record(outcome_of(&result), started.elapsed());
        }
        result
    }
}
