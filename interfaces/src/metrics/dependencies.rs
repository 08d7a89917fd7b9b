//! `seckiller_dependency_*`: every call the node makes to Redis, NATS or the database, timed
//! and counted by how it ended, recorded by the guard each such call runs under.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::duration_histogram;

/// How a call to a dependency ended, as the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// It answered.
    Ok,
    /// It answered with an error, or the connection failed.
    Error,
    /// It did not answer within its deadline (or was abandoned when the breaker opened).
    Timeout,
    /// The breaker was open: the call was not made.
    Rejected,
}

impl CallOutcome {
    /// The outcome as written in labels and spans.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DependencyLabel {
    dependency: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    dependency: &'static str,
    outcome: &'static str,
}

/// The families, shared by every dependency.
#[derive(Clone)]
pub(super) struct DependencyFamilies {
    durations: Family<DependencyLabel, Histogram, fn() -> Histogram>,
    calls: Family<CallLabels, Counter>,
}

impl DependencyFamilies {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let families = Self {
            durations: Family::new_with_constructor(duration_histogram as fn() -> Histogram),
            calls: Family::default(),
        };
        registry.register(
            "seckiller_dependency_call_duration_seconds",
            "Time a call to a dependency took (calls the breaker refused are not timed)",
            families.durations.clone(),
        );
        registry.register(
            "seckiller_dependency_calls",
            "Calls to a dependency, by how they ended: ok, error, timeout, rejected (breaker open)",
            families.calls.clone(),
        );
        families
    }
}

/// One dependency's recorder, held by its guard.
#[derive(Clone)]
pub struct DependencyMetrics {
    duration: Histogram,
    /// One counter per outcome, in [`OUTCOMES`] order, taken from the family once, so a call
    /// records with no lookup.
    calls: [Counter; 4],
}

/// Every outcome, in the order of [`DependencyMetrics::calls`].
const OUTCOMES: [CallOutcome; 4] = [
    CallOutcome::Ok,
    CallOutcome::Error,
    CallOutcome::Timeout,
    CallOutcome::Rejected,
];

impl DependencyMetrics {
    pub(super) fn new(dependency: &'static str, families: &DependencyFamilies) -> Self {
        let duration = families
            .durations
            .get_or_create(&DependencyLabel { dependency })
            .clone();
        // Every outcome is shown from the start, so a rate over it exists before the first error.
        let calls = OUTCOMES.map(|outcome| {
            families
                .calls
                .get_or_create(&CallLabels {
                    dependency,
                    outcome: outcome.label(),
                })
                .clone()
        });
        Self { duration, calls }
    }

    /// One call that ended as `outcome` after `took`.
    pub fn record(&self, outcome: CallOutcome, took: Duration) {
        if outcome != CallOutcome::Rejected {
            self.duration.observe(took.as_secs_f64());
        }
        let at = OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(0);
        if let Some(counter) = self.calls.get(at) {
            counter.inc();
        }
    }
}
