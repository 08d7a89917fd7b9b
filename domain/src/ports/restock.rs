//! Restock announcements: when stock comes back to an activity (an order expired or was
//! cancelled), every node must forget that the activity was sold out. Core NATS in production, an
//! in-process channel embedded. Best effort: a lost announcement only delays a sale, it never
//! oversells, because the gate still decides.

use std::future::Future;

use crate::ids::ActivityId;
use crate::ports::Cause;

/// An announcement could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("restock announcement failed")]
pub struct AnnounceError(#[source] pub Cause);

impl From<String> for AnnounceError {
    fn from(cause: String) -> Self {
        Self(Cause::from(cause))
    }
}

/// Tells every node that an activity has stock again.
pub trait RestockNotifier: Send + Sync + 'static {
    /// Announces that `activity` has stock again.
    ///
    /// # Errors
    /// [`AnnounceError`] when the announcement could not be sent.
    fn announce(
        &self,
        activity: ActivityId,
    ) -> impl Future<Output = Result<(), AnnounceError>> + Send;
}
