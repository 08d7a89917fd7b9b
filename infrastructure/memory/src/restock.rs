//! Restock announcements within one process: the embedded default has one node, so announcing
//! is calling the listeners directly.

use std::sync::{Arc, Mutex};

use seckiller_domain::ActivityId;
use seckiller_domain::ports::{AnnounceError, RestockNotifier};

use crate::repositories::lock;

type Listener = Arc<dyn Fn(ActivityId) + Send + Sync>;

/// Calls every registered listener on each announcement. Clones share the listeners.
#[derive(Clone, Default)]
pub struct LocalRestockNotifier(Arc<Mutex<Vec<Listener>>>);

impl std::fmt::Debug for LocalRestockNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalRestockNotifier")
    }
}

impl LocalRestockNotifier {
    /// Registers a listener for every later announcement.
    pub fn listen(&self, on_restock: impl Fn(ActivityId) + Send + Sync + 'static) {
        lock(&self.0).push(Arc::new(on_restock));
    }
}

impl RestockNotifier for LocalRestockNotifier {
    async fn announce(&self, activity: ActivityId) -> Result<(), AnnounceError> {
        let listeners: Vec<Listener> = lock(&self.0).clone();
        for listener in listeners {
            listener(activity);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use uuid::Uuid;

    use super::*;

    #[test]
    fn every_listener_hears_every_announcement() {
        let notifier = LocalRestockNotifier::default();
        let heard = Arc::new(AtomicUsize::new(0));
        let activity = ActivityId::from_uuid(Uuid::now_v7());
        for _ in 0..2 {
            let heard = heard.clone();
            notifier.listen(move |a| {
                assert_eq!(a, activity);
                heard.fetch_add(1, Ordering::SeqCst);
            });
        }
        let announce = notifier.announce(activity);
        // The announcement completes without awaiting anything.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut announce = std::pin::pin!(announce);
        assert!(announce.as_mut().poll(&mut cx).is_ready());
        assert_eq!(heard.load(Ordering::SeqCst), 2);
    }
}
