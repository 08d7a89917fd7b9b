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
