//! `seckiller_connections_*`: the open connections of the API listener, its cap and the
//! connections refused at the cap, read at scrape time from the listener's own counts.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// What the listener says of its connections now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionFigures {
    /// Connections open now.
    pub open: u64,
    /// The most it keeps open at once.
    pub max: u64,
    /// Connections closed at once because the cap was reached, since start.
    pub refused: u64,
}

/// Reads the listener's connection counts, with no IO.
pub type ConnectionReading = std::sync::Arc<dyn Fn() -> ConnectionFigures + Send + Sync>;

/// Reads the listener on every scrape, once one is watched.
pub(crate) struct ConnectionCollector(pub std::sync::Arc<std::sync::OnceLock<ConnectionReading>>);

impl std::fmt::Debug for ConnectionCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectionCollector")
    }
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> std::fmt::Result {
    let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
    let metric = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
    gauge.encode(metric)
}

impl Collector for ConnectionCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(read) = self.0.get() else {
            return Ok(());
        };
        let figures = read();
        gauge(
            &mut encoder,
            "seckiller_connections_open",
            "Connections open on the API listener",
            figures.open,
        )?;
        gauge(
            &mut encoder,
            "seckiller_connections_max",
            "The most connections the API listener keeps open at once",
            figures.max,
        )?;
        let refused = ConstCounter::new(figures.refused);
        let metric = encoder.encode_descriptor(
            "seckiller_connections_refused",
            "Connections closed at once because the listener was at its cap",
            None,
            refused.metric_type(),
        )?;
        refused.encode(metric)
    }
}
