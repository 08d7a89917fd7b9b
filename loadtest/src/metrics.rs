//! What the crowd measures while it runs: latency histograms per endpoint, outcome counts per
//! (endpoint, status, code), the time series, and the span of each phase. One [`Recorder`] is
//! shared by every buyer; its lock is held only to add numbers, never across an await.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::api::Answer;
use crate::timeline::{Bucket, Timeline};

/// The endpoints the crowd calls on its journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Endpoint {
    PurchaseToken,
    Purchase,
    PurchaseStatus,
    Payment,
}

impl Endpoint {
    pub const ALL: [Endpoint; 4] = [
        Endpoint::PurchaseToken,
        Endpoint::Purchase,
        Endpoint::PurchaseStatus,
        Endpoint::Payment,
    ];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::PurchaseToken => "purchase-token",
            Endpoint::Purchase => "purchase",
            Endpoint::PurchaseStatus => "purchase-status",
            Endpoint::Payment => "payment",
        }
    }

    fn index(self) -> usize {
        match self {
            Endpoint::PurchaseToken => 0,
            Endpoint::Purchase => 1,
            Endpoint::PurchaseStatus => 2,
            Endpoint::Payment => 3,
        }
    }
}

/// Latency percentiles of one endpoint, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl From<&Histogram<u64>> for Percentiles {
    fn from(h: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.5)),
            p90_ms: ms(h.value_at_quantile(0.9)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

/// When a phase ran (offsets from the opening) and how many things it finished.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Span {
    pub first: Option<Duration>,
    pub last: Option<Duration>,
    pub count: u64,
}

impl Span {
    /// Notes one thing that began at `from` and finished at `to`.
    pub fn add(&mut self, from: Duration, to: Duration) {
        self.first = Some(self.first.map_or(from, |f| f.min(from)));
        self.last = Some(self.last.map_or(to, |l| l.max(to)));
        self.count += 1;
    }

    /// Seconds from the first start to the last finish (0 when empty).
    pub fn seconds(&self) -> f64 {
        match (self.first, self.last) {
            (Some(f), Some(l)) => l.saturating_sub(f).as_secs_f64(),
            _ => 0.0,
        }
    }

    /// Things per second over the span (0 when it has no width).
    pub fn rate(&self, count: u64) -> f64 {
        let s = self.seconds();
        if s > 0.0 { count as f64 / s } else { 0.0 }
    }
}

/// The phases whose throughput is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Purchase attempts, from the opening to the last answer.
    Rush,
    /// From a 202 to its order (or rejection).
    Settle,
    /// Payments answered 200.
    Payments,
}

/// Everything measured, once the crowd is done.
pub struct Measured {
    pub latencies: Vec<(Endpoint, Percentiles)>,
    pub outcomes: BTreeMap<(Endpoint, u16, String), u64>,
    pub timeline: Vec<Bucket>,
    pub bucket_ms: u64,
    pub rush: Span,
    pub settle: Span,
    pub payments: Span,
}

struct Inner {
    histograms: [Histogram<u64>; 4],
    outcomes: BTreeMap<(Endpoint, u16, String), u64>,
    timeline: Timeline,
    rush: Span,
    settle: Span,
    payments: Span,
}

/// The shared measuring tape, zeroed at the opening.
pub struct Recorder {
    opening: Instant,
    inner: Mutex<Inner>,
}

/// The latency histogram: 1 µs to 60 s at three significant digits.
fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

impl Recorder {
    /// A recorder counting from `opening`, with 100 ms buckets.
    ///
    /// # Errors
    /// A histogram could not be made (bad bounds; does not happen with these).
    pub fn new(opening: Instant) -> anyhow::Result<Self> {
        Ok(Self {
            opening,
            inner: Mutex::new(Inner {
                histograms: [histogram()?, histogram()?, histogram()?, histogram()?],
                outcomes: BTreeMap::new(),
                timeline: Timeline::new(Duration::from_millis(100)),
                rush: Span::default(),
                settle: Span::default(),
                payments: Span::default(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Time since the opening (zero before it).
    pub fn since_opening(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.opening)
    }

    /// Records one call to `endpoint` sent at `sent`: its latency, its outcome and its bucket.
    /// `code` names the outcome (the problem code, or what a success meant).
    pub fn call(
        &self,
        endpoint: Endpoint,
        sent: Instant,
        answer: Result<&Answer, &reqwest::Error>,
        code: &str,
    ) {
        let at = self.since_opening(sent);
        let (status, took) = match answer {
            Ok(a) => (a.status.as_u16(), Some(a.took)),
            Err(_) => (0, None),
        };
        let accepted = endpoint == Endpoint::Purchase && status == 202;
        let mut inner = self.lock();
        if let (Some(took), Some(h)) = (took, inner.histograms.get_mut(endpoint.index())) {
            let _ = h.record(micros(took));
        }
        *inner
            .outcomes
            .entry((endpoint, status, code.to_owned()))
            .or_default() += 1;
        let timed = took.filter(|_| endpoint != Endpoint::PurchaseStatus);
        inner.timeline.add(at, accepted, timed);
    }

    /// Notes that something of `phase` began at `from` and finished now.
    pub fn phase(&self, phase: Phase, from: Instant) {
        let (from, to) = (self.since_opening(from), self.since_opening(Instant::now()));
        let mut inner = self.lock();
        match phase {
            Phase::Rush => inner.rush.add(Duration::ZERO, to),
            Phase::Settle => inner.settle.add(from, to),
            Phase::Payments => inner.payments.add(from, to),
        }
    }

    /// What was measured.
    pub fn measured(&self) -> Measured {
        let inner = self.lock();
        Measured {
            latencies: Endpoint::ALL
                .iter()
                .filter_map(|e| {
                    let h = inner.histograms.get(e.index())?;
                    Some((*e, Percentiles::from(h)))
                })
                .collect(),
            outcomes: inner.outcomes.clone(),
            timeline: inner.timeline.summarise(),
            bucket_ms: u64::try_from(inner.timeline.bucket().as_millis()).unwrap_or(100),
            rush: inner.rush,
            settle: inner.settle,
            payments: inner.payments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_summarise_a_histogram_in_milliseconds() -> anyhow::Result<()> {
        let mut h = histogram()?;
        for ms in 1..=1000u64 {
            h.record(ms * 1000)?;
        }
        let p = Percentiles::from(&h);
        assert_eq!(p.count, 1000);
        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.002;
        assert!(near(p.p50_ms, 500.0), "{p:?}");
        assert!(near(p.p90_ms, 900.0), "{p:?}");
        assert!(near(p.p99_ms, 990.0), "{p:?}");
        assert!(near(p.p999_ms, 999.0), "{p:?}");
        assert!(near(p.max_ms, 1000.0), "{p:?}");
        Ok(())
    }

    #[test]
    fn an_empty_histogram_summarises_to_zeros() -> anyhow::Result<()> {
        let p = Percentiles::from(&histogram()?);
        assert_eq!((p.count, p.p50_ms, p.max_ms), (0, 0.0, 0.0));
        Ok(())
    }

    #[test]
    fn a_span_runs_from_the_first_start_to_the_last_finish() {
        let mut s = Span::default();
        assert_eq!((s.seconds(), s.rate(5)), (0.0, 0.0));
        s.add(Duration::from_millis(500), Duration::from_millis(900));
        s.add(Duration::from_millis(200), Duration::from_millis(700));
        assert_eq!(s.count, 2);
        assert!((s.seconds() - 0.7).abs() < 1e-9);
        assert!((s.rate(7) - 10.0).abs() < 1e-9);
    }
}
