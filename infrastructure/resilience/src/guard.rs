//! One guarded call: refused at once by an open breaker, cut off at its deadline, and its
//! outcome reported to the breaker.

use std::future::Future;
use std::time::Duration;

use crate::breaker::Breaker;

/// Why a guarded call did not return the dependency's answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Guarded<E> {
    /// The breaker is open: the call was not made. Retry after the wait.
    #[error("{dependency} is unavailable (circuit open); retry in {retry_after:?}")]
    Refused {
        /// The dependency.
        dependency: &'static str,
        /// How long until the breaker lets a probe through.
        retry_after: Duration,
    },
    /// The call took longer than its deadline; it may or may not have taken effect.
    #[error("{dependency} did not answer within {deadline:?}")]
    TimedOut {
        /// The dependency.
        dependency: &'static str,
        /// The deadline.
        deadline: Duration,
    },
    /// The breaker opened while the call was waiting: other calls failed meanwhile, so this one
    /// stopped waiting. Like a timeout, it may or may not have taken effect.
    #[error("{dependency} failed meanwhile (circuit opened); retry in {retry_after:?}")]
    Abandoned {
        /// The dependency.
        dependency: &'static str,
        /// How long until the breaker lets a probe through.
        retry_after: Duration,
    },
    /// The dependency answered with an error.
    #[error(transparent)]
    Failed(E),
}

/// Runs `call` under `breaker` with `deadline`. A failure or a timeout counts against the
/// breaker; an answer closes it.
///
/// # Errors
/// [`Guarded`]: refused, timed out, or the call's own error.
pub async fn guarded<T, E, F>(
    breaker: &Breaker,
    deadline: Duration,
    call: F,
) -> Result<T, Guarded<E>>
where
    F: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    breaker.admit().map_err(|retry_after| Guarded::Refused {
        dependency: breaker.name(),
        retry_after,
    })?;
    let opened = breaker.opened();
    tokio::pin!(opened);
    opened.as_mut().enable();
    let answer = tokio::select! {
        answer = tokio::time::timeout(deadline, call) => answer,
        () = &mut opened => {
            return Err(Guarded::Abandoned {
                dependency: breaker.name(),
                retry_after: breaker.retry_after(),
            });
        }
    };
    match answer {
        Ok(Ok(answer)) => {
            breaker.succeeded();
            Ok(answer)
        }
        Ok(Err(error)) => {
            breaker.failed(&error);
            Err(Guarded::Failed(error))
        }
        Err(_) => {
            let error = Guarded::<E>::TimedOut {
                dependency: breaker.name(),
                deadline,
            };
            breaker.failed(&error);
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breaker::{BreakerSettings, BreakerState};

    fn breaker() -> Breaker {
        Breaker::new(
            "dep",
            BreakerSettings {
                failure_threshold: 2,
                open_for: Duration::from_secs(1),
            },
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_call_is_cut_off_at_its_deadline_and_counts_as_a_failure() {
        let b = breaker();
        let hang = std::future::pending::<Result<(), String>>();
        let out = guarded(&b, Duration::from_millis(200), hang).await;
        assert!(matches!(out, Err(Guarded::TimedOut { .. })));
        assert_eq!(b.view().consecutive_failures, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_open_breaker_refuses_without_calling() {
        let b = breaker();
        for _ in 0..2 {
            let _ = guarded(&b, Duration::from_secs(1), async { Err::<(), _>("down") }).await;
        }
        assert_eq!(b.view().state, BreakerState::Open);
        let mut called = false;
        let out = guarded(&b, Duration::from_secs(1), async {
            called = true;
            Ok::<(), String>(())
        })
        .await;
        assert!(matches!(out, Err(Guarded::Refused { .. })));
        assert!(!called);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_still_waiting_stop_when_the_breaker_opens() {
        let b = std::sync::Arc::new(breaker());
        let waiting = {
            let b = b.clone();
            tokio::spawn(async move {
                guarded(
                    &b,
                    Duration::from_secs(60),
                    std::future::pending::<Result<(), String>>(),
                )
                .await
            })
        };
        tokio::task::yield_now().await;
        for _ in 0..2 {
            let _ = guarded(&b, Duration::from_secs(1), async { Err::<(), _>("down") }).await;
        }
        let out = tokio::time::timeout(Duration::from_millis(10), waiting)
            .await
            .expect("released at once, not after its 60 s deadline")
            .unwrap();
        assert!(matches!(out, Err(Guarded::Abandoned { .. })), "{out:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_is_passed_through_and_closes_the_breaker() {
        let b = breaker();
        let _ = guarded(&b, Duration::from_secs(1), async { Err::<(), _>("down") }).await;
        let out = guarded(&b, Duration::from_secs(1), async { Ok::<_, String>(7) }).await;
        assert_eq!(out, Ok(7));
        assert_eq!(b.view().consecutive_failures, 0);
    }
}
