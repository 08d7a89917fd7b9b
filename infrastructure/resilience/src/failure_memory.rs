//! When one kind of call last failed, to ask "did it fail lately?" without IO.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The instant of the latest failure. Clones are independent; share it by reference.
#[derive(Debug, Default)]
pub struct FailureMemory {
    last: Mutex<Option<Instant>>,
}

impl FailureMemory {
    /// Remembers a failure now.
    pub fn record(&self) {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
    }

    /// True when a failure was recorded less than `window` ago.
    pub fn within(&self, window: Duration) -> bool {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|at| Instant::now().duration_since(at) < window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_failure_is_remembered_for_the_window_only() {
        let memory = FailureMemory::default();
        assert!(!memory.within(Duration::from_secs(5)));
        memory.record();
        assert!(memory.within(Duration::from_secs(5)));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(!memory.within(Duration::from_secs(5)));
    }
}
