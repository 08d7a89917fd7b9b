//! The sale's own numbers (`GET /admin/activities/{id}/stats`): sampled in the background all
//! through the run, so "never more than the stock" is checked while it happens, and polled at the
//! end until the books settle.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde::Serialize;
use serde_json::Value;

use crate::api::Api;

/// How often the background monitor reads the stats.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// One reading of the sale's stats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsSample {
    /// Milliseconds after the opening (negative before it).
    pub t_ms: i64,
    pub total: u64,
    pub available: u64,
    pub held: u64,
    pub sold: u64,
    pub gate_available: Option<u64>,
    pub live_orders: u64,
    pub live_items: u64,
    pub queue_lag: u64,
    pub balanced: bool,
    pub problems: Vec<String>,
}

impl StatsSample {
    /// Reads a stats answer taken `t_ms` after the opening; `None` when it is not one.
    pub fn parse(t_ms: i64, v: &Value) -> Option<Self> {
        let n = |k: &str| v[k].as_u64();
        Some(Self {
            t_ms,
            total: n("total")?,
            available: n("available")?,
            held: n("held")?,
            sold: n("sold")?,
            gate_available: n("gate_available"),
            live_orders: n("live_orders")?,
            live_items: n("live_items")?,
            queue_lag: n("queue_lag")?,
            balanced: v["balanced"].as_bool()?,
            problems: v["problems"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// The books are at rest: nothing queued, every invariant holding, the gate agreeing with
    /// the database, and (when `no_holds`) no order still awaiting payment.
    pub fn settled(&self, no_holds: bool) -> bool {
        self.queue_lag == 0
            && self.balanced
            && self.gate_available.is_none_or(|g| g == self.available)
            && (!no_holds || self.held == 0)
    }
}

/// Where the stats are read.
#[derive(Clone)]
pub struct StatsSource {
    pub api: Api,
    pub admin: String,
    pub activity: String,
    pub opening: Instant,
}

impl StatsSource {
    /// One reading, `None` when the service did not answer with stats.
    pub async fn read(&self) -> Option<StatsSample> {
        let path = format!("/api/v1/admin/activities/{}/stats", self.activity);
        let now = Instant::now();
        let t_ms = if now >= self.opening {
            i64::try_from(now.duration_since(self.opening).as_millis()).unwrap_or(i64::MAX)
        } else {
            -i64::try_from(self.opening.duration_since(now).as_millis()).unwrap_or(i64::MAX)
        };
        let answer = self.api.get(&path, Some(&self.admin)).await.ok()?;
        StatsSample::parse(t_ms, &answer.body)
    }
}

/// The background sampler; [`Monitor::stop`] ends it and hands over its readings.
pub struct Monitor {
    task: tokio::task::JoinHandle<()>,
    samples: Arc<Mutex<Vec<StatsSample>>>,
}

impl Monitor {
    /// Starts sampling `source` every quarter second.
    pub fn start(source: StatsSource) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let into = samples.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Some(s) = source.read().await {
                    into.lock().unwrap_or_else(PoisonError::into_inner).push(s);
                }
            }
        });
        Self { task, samples }
    }

    /// Stops sampling; the readings so far, oldest first.
    pub fn stop(self) -> Vec<StatsSample> {
        self.task.abort();
        std::mem::take(&mut *self.samples.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Waits until `deadline` (the last unpaid order's payment deadline plus the sweeper's grace),
/// moving `bar` once a second.
pub async fn wait_for_expiry(deadline: Instant, bar: &ProgressBar) {
    let start = Instant::now();
    bar.set_message("waiting for unpaid orders to expire");
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(left.min(Duration::from_secs(1))).await;
        bar.set_position(start.elapsed().as_secs());
    }
}

/// Polls the stats until they are [settled](StatsSample::settled) or `timeout` passes. Returns
/// the last reading and whether it was settled.
pub async fn settle(
    source: &StatsSource,
    no_holds: bool,
    timeout: Duration,
    bar: &ProgressBar,
) -> (Option<StatsSample>, bool) {
    bar.set_message("waiting for the books to settle");
    let give_up = Instant::now() + timeout;
    let mut last = None;
    loop {
        if let Some(s) = source.read().await {
            let done = s.settled(no_holds);
            bar.set_message(format!(
                "queue lag {} · held {} · balanced {}",
                s.queue_lag, s.held, s.balanced
            ));
            last = Some(s);
            if done {
                bar.finish_with_message("settled");
                return (last, true);
            }
        }
        if Instant::now() >= give_up {
            bar.abandon_with_message("did not settle");
            return (last, false);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer() -> Value {
        json!({"total": 50, "available": 25, "held": 0, "sold": 25, "gate_available": 25,
               "live_orders": 25, "live_items": 25, "queue_lag": 0, "balanced": true,
               "problems": []})
    }

    #[test]
    fn a_stats_answer_reads_as_a_sample() {
        let s = StatsSample::parse(120, &answer());
        assert_eq!(
            s.as_ref().map(|s| (s.t_ms, s.sold, s.gate_available)),
            Some((120, 25, Some(25)))
        );
        assert_eq!(StatsSample::parse(0, &json!({"code": "forbidden"})), None);
    }

    #[test]
    fn the_books_settle_only_when_drained_balanced_and_agreeing() -> anyhow::Result<()> {
        let s = StatsSample::parse(0, &answer()).ok_or(anyhow::anyhow!("no sample"))?;
        assert!(s.settled(true));
        assert!(
            !StatsSample {
                queue_lag: 1,
                ..s.clone()
            }
            .settled(false)
        );
        assert!(
            !StatsSample {
                balanced: false,
                ..s.clone()
            }
            .settled(false)
        );
        assert!(
            !StatsSample {
                gate_available: Some(24),
                ..s.clone()
            }
            .settled(false)
        );
        assert!(
            StatsSample {
                gate_available: None,
                ..s.clone()
            }
            .settled(false)
        );
        let holding = StatsSample {
            held: 3,
            available: 22,
            gate_available: Some(22),
            ..s
        };
        assert!(!holding.settled(true));
        assert!(holding.settled(false));
        Ok(())
    }
}
