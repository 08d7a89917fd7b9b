//! Restock announcements over core NATS: the sending side (the domain's [`RestockNotifier`]) here,
//! the receiving side in `listener`. Best effort by design: a lost announcement only delays a
//! sale, because the stock gate still decides.

mod listener;

use std::time::Duration;

use async_nats::{Client, Subject};
use seckiller_domain::ActivityId;
use seckiller_domain::ports::{AnnounceError, Cause, RestockNotifier};

pub use listener::{ListenerHandle, RestockListenError, listen_for_restock};

/// How long an announcement may take to reach the server before it is reported as failed.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(2);

/// The subject restock announcements travel on: `<prefix>.restock`. Nodes of one deployment share
/// the prefix; tests use a unique one each.
pub fn restock_subject(prefix: &str) -> String {
    format!("{prefix}.restock")
}

/// Announces restocks to every node listening on the same prefix. The payload is the activity id
/// as text.
#[derive(Debug, Clone)]
pub struct NatsRestockNotifier {
    client: Client,
    subject: Subject,
}

impl NatsRestockNotifier {
    /// A notifier over an existing connection (share the queue's: [`client`] is cheap to clone).
    ///
    /// [`client`]: crate::JetStreamPurchaseQueue::client
    pub fn new(client: Client, prefix: &str) -> Self {
        Self {
            client,
            subject: Subject::from(restock_subject(prefix)),
        }
    }
}

impl RestockNotifier for NatsRestockNotifier {
    /// Returns once the server has received the announcement (a flush), so `Ok` means it went
    /// out, not merely that it was buffered while disconnected.
    async fn announce(&self, activity: ActivityId) -> Result<(), AnnounceError> {
        let send = async {
            self.client
                .publish(self.subject.clone(), activity.to_string().into())
                .await
                .map_err(|err| AnnounceError(Cause::new(err)))?;
            self.client
                .flush()
                .await
                .map_err(|err| AnnounceError(Cause::new(err)))
        };
        tokio::time::timeout(ANNOUNCE_TIMEOUT, send)
            .await
            .map_err(|_elapsed| {
                AnnounceError::from(format!(
                    "NATS did not take the announcement for {activity} within {} ms",
                    ANNOUNCE_TIMEOUT.as_millis()
                ))
            })?
    }
}
