//! Restock announcements: core NATS when configured, else within the process.

use seckiller_domain::ActivityId;
use seckiller_domain::ports::{AnnounceError, RestockNotifier};
use seckiller_memory::LocalRestockNotifier;
use seckiller_nats::NatsRestockNotifier;

/// The configured announcer.
pub enum RestockAdapter {
    /// Within the process: one node.
    Local(LocalRestockNotifier),
    /// Over NATS to every node.
    Nats(NatsRestockNotifier),
}

impl RestockNotifier for RestockAdapter {
    async fn announce(&self, activity: ActivityId) -> Result<(), AnnounceError> {
        match self {
            Self::Local(n) => n.announce(activity).await,
            Self::Nats(n) => n.announce(activity).await,
        }
    }
}
