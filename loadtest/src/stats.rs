//! The sale's own numbers (`GET /admin/activities/{id}/stats`): sampled in the background all
//! through the run, so "never more than the stock" is checked while it happens, and polled at the
//! end until the books settle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use seckiller_client::Client;
use seckiller_client::types::ActivityStats;
use serde::Serialize;
use uuid::Uuid;

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
    /// Reads a stats answer taken `t_ms` after the opening.
    pub fn read(t_ms: i64, stats: ActivityStats) -> Self {
        Self {
            t_ms,
            total: stats.total.into(),
            available: stats.available.into(),
            held: stats.held.into(),
            sold: stats.sold.into(),
            gate_available: stats.gate_available.map(u64::from),
            live_orders: stats.live_orders,
            live_items: stats.live_items,
            queue_lag: stats.queue_lag,
            balanced: stats.balanced,
            problems: stats.problems,
        }
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

/// Where the stats are read: the sale, through the admin's client of each node. A reading is
/// asked of the node that answered last, then of the others in turn, so the books stay readable
/// while a node is down (every node serves the same books).
#[derive(Clone)]
pub struct StatsSource {
    /// The admin's client of each node, the admin's own node first.
    pub admins: Vec<Client>,
    pub activity: Uuid,
    pub opening: Instant,
    /// The index of the client that answered last.
    pub answered_last: Arc<AtomicUsize>,
}

impl StatsSource {
    /// One reading, `None` when the service did not answer with stats.
    pub async fn read(&self) -> Option<StatsSample> {
        let now = Instant::now();
        let t_ms = if now >= self.opening {
            i64::try_from(now.duration_since(self.opening).as_millis()).unwrap_or(i64::MAX)
        } else {
            -i64::try_from(self.opening.duration_since(now).as_millis()).unwrap_or(i64::MAX)
        };
        let n = self.admins.len();
        let first = self.answered_last.load(Ordering::Relaxed);
        for k in 0..n {
            let at = (first + k) % n;
            let Some(admin) = self.admins.get(at) else {
                continue;
            };
            if let Ok(answer) = admin.activity_stats(&self.activity).await {
                self.answered_last.store(at, Ordering::Relaxed);
                return Some(StatsSample::read(t_ms, answer.into_inner()));
            }
        }
        None
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

    fn answer() -> serde_json::Value {
        json!({"total": 50, "available": 25, "held": 0, "sold": 25, "gate_available": 25,
               "live_orders": 25, "live_items": 25, "queue_lag": 0, "balanced": true,
               "problems": [], "breakers": [{"dependency": "redis", "state": "closed"}]})
    }

    #[test]
    fn a_stats_answer_reads_as_a_sample() -> anyhow::Result<()> {
        let s = StatsSample::read(120, serde_json::from_value(answer())?);
        assert_eq!(
            (s.t_ms, s.sold, s.gate_available, s.problems.len()),
            (120, 25, Some(25), 0)
        );
        assert!(serde_json::from_value::<ActivityStats>(json!({"code": "forbidden"})).is_err());
        Ok(())
    }

    #[test]
    fn the_books_settle_only_when_drained_balanced_and_agreeing() -> anyhow::Result<()> {
        let s = StatsSample::read(0, serde_json::from_value(answer())?);
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
