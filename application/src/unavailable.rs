//! A dependency failed (storage, the hasher). Every operation's error enum carries this as its
//! "try again later" case; its cause is for logs, never for clients.

use seckiller_domain::ports::{
    AnnounceError, Cause, CredentialError, GateError, PublishError, QueueError, StorageError,
};

/// A dependency failed; nothing was changed by the failed step. The failure is kept as the
/// source (with its own causes), so the answer's log line can show the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency unavailable")]
pub struct Unavailable(#[source] pub Cause);

impl Unavailable {
    /// A failure the use case itself found, in words.
    pub fn said(text: impl Into<String>) -> Self {
        Self(Cause::from(text.into()))
    }
}

/// Each port's failure becomes the source of an `Unavailable`.
macro_rules! unavailable_from {
    ($($port:ty),+) => {
        $(impl From<$port> for Unavailable {
            fn from(e: $port) -> Self {
                Self(Cause::new(e))
            }
        })+
    };
}

unavailable_from!(
    StorageError,
    CredentialError,
    GateError,
    QueueError,
    PublishError,
    AnnounceError
);

/// Lets `?` turn a port failure straight into an operation's `Unavailable` case.
macro_rules! unavailable_from_ports {
    ($error:ty) => {
        impl From<seckiller_domain::ports::StorageError> for $error {
            fn from(e: seckiller_domain::ports::StorageError) -> Self {
                Self::Unavailable($crate::Unavailable::from(e))
            }
        }
        impl From<seckiller_domain::ports::CredentialError> for $error {
            fn from(e: seckiller_domain::ports::CredentialError) -> Self {
                Self::Unavailable($crate::Unavailable::from(e))
            }
        }
    };
}
pub(crate) use unavailable_from_ports;
