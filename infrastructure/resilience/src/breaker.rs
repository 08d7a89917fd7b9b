//! A circuit breaker: closed while calls succeed, open after `failure_threshold` failures in a
//! row (calls are refused at once, with how long to wait), half open after `open_for` (one call
//! goes through as a probe; its success closes the breaker, its failure opens it again). Each
//! change of state is logged once; refused calls are not logged at all.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::time::Instant;

/// When a breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Failures in a row that open the breaker (at least 1).
    pub failure_threshold: u32,
    /// How long an open breaker refuses calls before it lets a probe through.
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(1),
        }
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls are refused at once.
    Open,
    /// One probe call is on its way; the others are refused.
    HalfOpen,
}

impl BreakerState {
    /// The state's name, for probes and logs: `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// A snapshot of a breaker, for readiness probes and statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerView {
    /// The dependency it guards, e.g. `redis`.
    pub name: &'static str,
    /// Where it stands.
    pub state: BreakerState,
    /// Failures in a row so far.
    pub consecutive_failures: u32,
    /// The last failure's cause, while the breaker is not closed.
    pub last_error: Option<String>,
}

#[derive(Debug)]
enum Phase {
    Closed,
    Open { until: Instant },
    HalfOpen { since: Instant },
}

#[derive(Debug)]
struct Inner {
    phase: Phase,
    failures: u32,
    last_error: Option<String>,
}

/// One dependency's breaker; share it behind an `Arc`.
#[derive(Debug)]
pub struct Breaker {
    name: &'static str,
    settings: BreakerSettings,
    inner: Mutex<Inner>,
    /// Wakes the calls still waiting when the breaker opens, so they fail now instead of each
    /// waiting out its deadline.
    opened: Notify,
}

impl Breaker {
    /// A closed breaker guarding the dependency `name`.
    pub fn new(name: &'static str, settings: BreakerSettings) -> Self {
        Self {
            name,
            settings: BreakerSettings {
                failure_threshold: settings.failure_threshold.max(1),
                open_for: settings.open_for,
            },
            inner: Mutex::new(Inner {
                phase: Phase::Closed,
                failures: 0,
                last_error: None,
            }),
            opened: Notify::new(),
        }
    }

    /// The dependency it guards.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the counters inconsistent (each update
        // is a plain assignment), so a poisoned lock is used as it is.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks to make a call. `Err` carries how long the caller should wait before trying again.
    ///
    /// # Errors
    /// The wait, while the breaker is open or its probe is on its way.
    pub fn admit(&self) -> Result<(), Duration> {
        let now = Instant::now();
        let mut inner = self.lock();
        match inner.phase {
            Phase::Closed => Ok(()),
            Phase::Open { until } if now < until => Err(until - now),
            Phase::Open { .. } => {
                inner.phase = Phase::HalfOpen { since: now };
                tracing::info!(dependency = self.name, "circuit breaker half open: probing");
                Ok(())
            }
            // A probe that never reported (its caller gave up) must not wedge the breaker.
            Phase::HalfOpen { since } if now.duration_since(since) >= self.settings.open_for => {
                inner.phase = Phase::HalfOpen { since: now };
                Ok(())
            }
            Phase::HalfOpen { since } => Err(self.settings.open_for.saturating_sub(now - since)),
        }
    }

    /// True unless the breaker is open and not yet due for a probe: a caller may try. Changes
    /// nothing, so asking before a multi-step operation does not use up the probe.
    pub fn accepting(&self) -> bool {
        match self.lock().phase {
            Phase::Open { until } => Instant::now() >= until,
            Phase::Closed | Phase::HalfOpen { .. } => true,
        }
    }

    /// How long until an open breaker lets a probe through; zero otherwise. Changes nothing.
    pub fn retry_after(&self) -> Duration {
        match self.lock().phase {
            Phase::Open { until } => until.saturating_duration_since(Instant::now()),
            Phase::Closed | Phase::HalfOpen { .. } => Duration::ZERO,
        }
    }

    /// Resolves when the breaker next opens. Create it before the call it guards (and
    /// [`enable`](tokio::sync::futures::Notified::enable) it) so an opening during the call is
    /// not missed.
    pub fn opened(&self) -> Notified<'_> {
        self.opened.notified()
    }

    /// Reports that an admitted call succeeded.
    pub fn succeeded(&self) {
        let mut inner = self.lock();
        if inner.failures == 0 && matches!(inner.phase, Phase::Closed) {
            return;
        }
        let was_closed = matches!(inner.phase, Phase::Closed);
        inner.phase = Phase::Closed;
        inner.failures = 0;
        inner.last_error = None;
        if !was_closed {
            tracing::warn!(
                dependency = self.name,
                "circuit breaker closed: the dependency answers again"
            );
        }
    }

    /// Reports that an admitted call failed with `cause`.
    pub fn failed(&self, cause: &dyn std::fmt::Display) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.failures = inner.failures.saturating_add(1);
        inner.last_error = Some(cause.to_string());
        let opens = match inner.phase {
            Phase::Closed => inner.failures >= self.settings.failure_threshold,
            Phase::HalfOpen { .. } => true,
            Phase::Open { .. } => false,
        };
        if opens {
            let was_closed = matches!(inner.phase, Phase::Closed);
            inner.phase = Phase::Open {
                until: now + self.settings.open_for,
            };
            self.opened.notify_waiters();
            if was_closed {
                tracing::error!(
                    dependency = self.name,
                    failures = inner.failures,
                    error = %cause,
                    "circuit breaker open: refusing calls until a probe succeeds"
                );
            } else {
                tracing::debug!(dependency = self.name, error = %cause, "circuit breaker probe failed");
            }
        }
    }

    /// Where the breaker stands now.
    pub fn view(&self) -> BreakerView {
        let inner = self.lock();
        let state = match inner.phase {
            Phase::Closed => BreakerState::Closed,
            Phase::Open { until } if Instant::now() < until => BreakerState::Open,
            Phase::Open { .. } | Phase::HalfOpen { .. } => BreakerState::HalfOpen,
        };
        BreakerView {
            name: self.name,
            state,
            consecutive_failures: inner.failures,
            last_error: match state {
                BreakerState::Closed => None,
                _ => inner.last_error.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(
            "test",
            BreakerSettings {
                failure_threshold: 3,
                open_for: Duration::from_secs(1),
            },
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_breaker_opens_after_the_threshold_and_refuses_at_once() {
        let b = breaker();
        for _ in 0..2 {
            assert!(b.admit().is_ok());
            b.failed(&"down");
        }
        assert_eq!(b.view().state, BreakerState::Closed);
        b.failed(&"down");
        assert_eq!(b.view().state, BreakerState::Open);
        let wait = b.admit().unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert_eq!(b.view().last_error.as_deref(), Some("down"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_count_of_failures() {
        let b = breaker();
        b.failed(&"x");
        b.failed(&"x");
        b.succeeded();
        b.failed(&"x");
        b.failed(&"x");
        assert_eq!(b.view().state, BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn after_open_for_one_probe_goes_through_and_its_success_closes_the_breaker() {
        let b = breaker();
        for _ in 0..3 {
            b.failed(&"x");
        }
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert!(b.admit().is_ok(), "the probe");
        assert!(b.admit().is_err(), "only one probe at a time");
        assert_eq!(b.view().state, BreakerState::HalfOpen);
        b.succeeded();
        assert_eq!(b.view().state, BreakerState::Closed);
        assert!(b.admit().is_ok());
        assert_eq!(b.view().last_error, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_opens_the_breaker_again() {
        let b = breaker();
        for _ in 0..3 {
            b.failed(&"x");
        }
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert!(b.admit().is_ok());
        b.failed(&"still down");
        assert_eq!(b.view().state, BreakerState::Open);
        assert!(b.admit().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_never_reports_does_not_wedge_the_breaker() {
        let b = breaker();
        for _ in 0..3 {
            b.failed(&"x");
        }
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert!(b.admit().is_ok());
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert!(b.admit().is_ok(), "a new probe once the first is overdue");
    }
}
