//! The time series for charts: requests, accepted purchases and p99 latency per bucket (100 ms
//! by default) counted from the opening second.

use std::time::Duration;

use serde::Serialize;

/// No run is charted past this many buckets; later answers land in the last one.
const MAX_BUCKETS: usize = 36_000;

/// Answers collected per bucket.
pub struct Timeline {
    bucket: Duration,
    buckets: Vec<Raw>,
}

#[derive(Default, Clone)]
struct Raw {
    requests: u64,
    accepted: u64,
    latencies_us: Vec<u32>,
}

/// One bucket, summarised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Where the bucket starts, in milliseconds after the opening.
    pub start_ms: u64,
    /// Requests sent in it (every endpoint).
    pub requests: u64,
    /// Purchases accepted (202) in it.
    pub accepted: u64,
    /// 99th percentile latency of its timed answers (long polls excluded), if it had any.
    pub p99_ms: Option<f64>,
}

impl Timeline {
    /// An empty series of `bucket`-wide buckets (at least 1 ms).
    pub fn new(bucket: Duration) -> Self {
        Self {
            bucket: bucket.max(Duration::from_millis(1)),
            buckets: Vec::new(),
        }
    }

    /// The bucket width.
    pub fn bucket(&self) -> Duration {
        self.bucket
    }

    /// Counts a request sent `at` after the opening; `latency` is `None` for answers whose
    /// duration is not the service's speed (long polls) or that never came.
    pub fn add(&mut self, at: Duration, accepted: bool, latency: Option<Duration>) {
        let index = usize::try_from(at.as_nanos() / self.bucket.as_nanos())
            .unwrap_or(usize::MAX)
            .min(MAX_BUCKETS - 1);
        if self.buckets.len() <= index {
            self.buckets.resize(index + 1, Raw::default());
        }
        if let Some(b) = self.buckets.get_mut(index) {
            b.requests += 1;
            b.accepted += u64::from(accepted);
            if let Some(l) = latency {
                b.latencies_us
                    .push(u32::try_from(l.as_micros()).unwrap_or(u32::MAX));
            }
        }
    }

    /// Every bucket from the opening to the last request, empty ones included.
    pub fn summarise(&self) -> Vec<Bucket> {
        let width = u64::try_from(self.bucket.as_millis()).unwrap_or(u64::MAX);
        self.buckets
            .iter()
            .enumerate()
            .map(|(i, b)| Bucket {
                start_ms: (i as u64).saturating_mul(width),
                requests: b.requests,
                accepted: b.accepted,
                p99_ms: nearest_rank(&b.latencies_us, 0.99).map(|us| f64::from(us) / 1000.0),
            })
            .collect()
    }
}

/// The nearest-rank `q` quantile of `values`, `None` when there are none.
pub fn nearest_rank(values: &[u32], q: f64) -> Option<u32> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn answers_fall_into_the_bucket_of_their_start() {
        let mut t = Timeline::new(ms(100));
        t.add(ms(0), false, Some(ms(3)));
        t.add(ms(99), true, Some(ms(5)));
        t.add(ms(250), true, None);
        let b = t.summarise();
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].start_ms, b[0].requests, b[0].accepted), (0, 2, 1));
        assert_eq!((b[1].start_ms, b[1].requests, b[1].p99_ms), (100, 0, None));
        assert_eq!((b[2].start_ms, b[2].requests, b[2].accepted), (200, 1, 1));
        assert_eq!(b[2].p99_ms, None, "long polls are not timed");
    }

    #[test]
    fn a_bucket_reports_its_own_p99() {
        let mut t = Timeline::new(ms(100));
        for i in 1..=100 {
            t.add(ms(10), false, Some(ms(i)));
        }
        t.add(ms(150), false, Some(ms(7)));
        let b = t.summarise();
        assert_eq!(b[0].p99_ms, Some(99.0));
        assert_eq!(b[1].p99_ms, Some(7.0));
    }

    #[test]
    fn a_wild_offset_does_not_grow_the_series_without_bound() {
        let mut t = Timeline::new(ms(100));
        t.add(Duration::from_secs(1_000_000), false, None);
        assert_eq!(t.summarise().len(), MAX_BUCKETS);
    }

    #[test]
    fn nearest_rank_picks_a_present_value() {
        assert_eq!(nearest_rank(&[], 0.99), None);
        assert_eq!(nearest_rank(&[5], 0.99), Some(5));
        assert_eq!(nearest_rank(&[4, 1, 3, 2], 0.5), Some(2));
        assert_eq!(nearest_rank(&[4, 1, 3, 2], 1.0), Some(4));
    }
}
