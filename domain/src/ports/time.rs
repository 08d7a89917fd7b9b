//! Time and identity sources, injected so that every rule that depends on "now" or on a fresh id
//! can be tested deterministically.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The current instant.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// Fresh unique ids.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait IdSource: Send + Sync + 'static {
    /// A new id, unique across nodes; UUIDv7 in production so ids sort by creation time.
    fn next_id(&self) -> Uuid;
}
