//! `seckiller_breaker_state{dependency}`: each circuit breaker's state, read from memory at
//! scrape time (0 closed, 1 half open, 2 open), once the node's breakers are watched.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::app::BreakerStates;

/// Reads the node's breakers on every scrape.
pub(crate) struct BreakerCollector(pub std::sync::Arc<std::sync::OnceLock<BreakerStates>>);

impl std::fmt::Debug for BreakerCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BreakerCollector")
    }
}

/// A breaker state as a number: 0 closed, 1 half open, 2 open (unknown states count as open).
pub(crate) fn state_value(state: &str) -> i64 {
    match state {
        "closed" => 0,
        "half_open" => 1,
        _ => 2,
    }
}

impl Collector for BreakerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(states) = self.0.get() else {
            return Ok(());
        };
        let family = Family::<[(&'static str, &'static str); 1], Gauge>::default();
        for (dependency, state) in states() {
            family
                .get_or_create(&[("dependency", dependency)])
                .set(state_value(state));
        }
        let metric = encoder.encode_descriptor(
            "seckiller_breaker_state",
            "Circuit breaker state per dependency: 0 closed, 1 half open, 2 open",
            None,
            family.metric_type(),
        )?;
        family.encode(metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_ordered_by_how_little_gets_through() {
        assert_eq!(["closed", "half_open", "open"].map(state_value), [0, 1, 2]);
    }
}
