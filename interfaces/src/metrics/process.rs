//! `seckiller_process_*`: the process's resident memory, open files and CPU time, read at scrape
//! time through a reading the binary supplies (only it looks at the operating system).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

/// What the operating system says of the process now; `None` where it could not be read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessFigures {
    /// Resident memory, in bytes.
    pub resident_memory_bytes: Option<u64>,
    /// Open file descriptors (sockets included).
    pub open_fds: Option<u64>,
    /// The most file descriptors the process may open (its soft limit).
    pub max_fds: Option<u64>,
    /// User and system CPU time used so far, in seconds.
    pub cpu_seconds: Option<f64>,
}

/// Reads the process's figures; it may do a little blocking IO (`/proc`), and is called off
/// the async executor.
pub type ProcessReading = std::sync::Arc<dyn Fn() -> ProcessFigures + Send + Sync>;

/// Reads the process on every scrape.
pub(crate) struct ProcessCollector(pub ProcessReading);

impl std::fmt::Debug for ProcessCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProcessCollector")
    }
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: Option<u64>,
) -> Result<(), std::fmt::Error> {
    let Some(value) = value else { return Ok(()) };
    let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
    let metric = encoder.encode_descriptor(name, help, unit, gauge.metric_type())?;
    gauge.encode(metric)
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let figures = (self.0)();
        gauge(
            &mut encoder,
            "seckiller_process_resident_memory",
            "Resident memory of the process",
            Some(&Unit::Bytes),
            figures.resident_memory_bytes,
        )?;
        gauge(
            &mut encoder,
            "seckiller_process_open_fds",
            "Open file descriptors of the process, sockets included",
            None,
            figures.open_fds,
        )?;
        gauge(
            &mut encoder,
            "seckiller_process_max_fds",
            "The most file descriptors the process may open",
            None,
            figures.max_fds,
        )?;
        if let Some(seconds) = figures.cpu_seconds {
            let counter = ConstCounter::new(seconds);
            let metric = encoder.encode_descriptor(
                "seckiller_process_cpu",
                "User and system CPU time the process used",
                Some(&Unit::Seconds),
                counter.metric_type(),
            )?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}
