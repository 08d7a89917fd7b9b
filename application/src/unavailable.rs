//! A dependency failed (storage, the hasher). Every operation's error enum carries this as its
//! "try again later" case; the text is for logs, never for clients.

use seckiller_domain::ports::{
    AnnounceError, CredentialError, GateError, PublishError, QueueError, StorageError,
};

/// A dependency failed; nothing was changed by the failed step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency unavailable: {0}")]
pub struct Unavailable(pub String);

impl From<StorageError> for Unavailable {
    fn from(e: StorageError) -> Self {
        Self(e.0)
    }
}

impl From<CredentialError> for Unavailable {
    fn from(e: CredentialError) -> Self {
        Self(e.0)
    }
}

impl From<GateError> for Unavailable {
    fn from(e: GateError) -> Self {
        Self(e.0)
    }
}

impl From<QueueError> for Unavailable {
    fn from(e: QueueError) -> Self {
        Self(e.0)
    }
}

impl From<PublishError> for Unavailable {
    fn from(e: PublishError) -> Self {
        Self(e.to_string())
    }
}

impl From<AnnounceError> for Unavailable {
    fn from(e: AnnounceError) -> Self {
        Self(e.0)
    }
}

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
