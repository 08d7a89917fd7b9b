//! Idempotency keys: a client names a state-changing request with a key of its own, so that a
//! retry after a lost answer replays the first answer instead of doing the work twice. The key is
//! only meaningful within its [`IdempotencyScope`] (the caller), and only for the very request it
//! first named (its [`RequestFingerprint`]).

use uuid::Uuid;

use crate::ids::UserId;

/// Why an `Idempotency-Key` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdempotencyKeyError {
    /// Empty, or longer than [`IdempotencyKey::MAX_LEN`].
    #[error("must be 1 to 255 characters")]
    Length,
    /// Holds a character outside printable ASCII, or starts or ends with a space.
    #[error("must be printable ASCII without leading or trailing spaces")]
    Characters,
}

/// A client's name for one request: 1 to 255 printable ASCII characters (inner spaces allowed).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key accepted.
    pub const MAX_LEN: usize = 255;

    /// Checks a key as sent.
    ///
    /// # Errors
    /// [`IdempotencyKeyError`] when empty, too long, or not printable ASCII.
    pub fn parse(value: &str) -> Result<Self, IdempotencyKeyError> {
        if value.is_empty() || value.len() > Self::MAX_LEN {
            return Err(IdempotencyKeyError::Length);
        }
        let printable = value.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if !printable || value.starts_with(' ') || value.ends_with(' ') {
            return Err(IdempotencyKeyError::Characters);
        }
        Ok(Self(value.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whose keys these are: one caller's keys never meet another's, so a key cannot be used to read
/// someone else's answer. Requests without an account (registration) share the anonymous scope,
/// where only the fingerprint (which covers the whole body, password included) guards a replay.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyScope(String);

impl IdempotencyScope {
    /// The keys of a signed-in caller.
    pub fn caller(user: UserId) -> Self {
        Self(format!("user:{user}"))
    }

    /// The keys of requests made without an account.
    pub fn anonymous() -> Self {
        Self("anonymous".to_owned())
    }

    /// The scope as stored: `user:<uuid>` or `anonymous`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of the request a key first named (method, path and body): the same key on another
/// request is refused instead of answered with the first one's answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestFingerprint(String);

impl RequestFingerprint {
    /// A fingerprint from its text (a hex digest, at most 128 characters are stored).
    pub fn new(digest: impl Into<String>) -> Self {
        Self(digest.into())
    }

    /// The digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The answer a keyed request got, as the edge gave it, replayed byte for byte to a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAnswer {
    /// The status code.
    pub status: u16,
    /// The body's media type.
    pub media_type: String,
    /// The body.
    pub body: String,
}

/// Who holds a claim on a key: the one request running under it. Completing or releasing a key
/// takes the holder, so a request whose claim lapsed and was taken over cannot overwrite the
/// newer one's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClaimHolder(Uuid);

impl ClaimHolder {
    /// A holder with this id (fresh per request).
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The id.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("order 42/retry~1").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(IdempotencyKey::parse(""), Err(IdempotencyKeyError::Length));
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(256)),
            Err(IdempotencyKeyError::Length)
        );
    }

    #[test]
    fn control_characters_non_ascii_and_outer_spaces_are_refused() {
        for bad in [
            "a\u{0}b",
            "tab\there",
            "caf\u{e9}",
            " lead",
            "trail ",
            "del\u{7f}",
        ] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(IdempotencyKeyError::Characters),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn scopes_of_different_callers_differ_and_anonymous_is_its_own() {
        let a = IdempotencyScope::caller(UserId::from_uuid(Uuid::from_u128(1)));
        let b = IdempotencyScope::caller(UserId::from_uuid(Uuid::from_u128(2)));
        assert_ne!(a, b);
        assert_ne!(a, IdempotencyScope::anonymous());
        assert_eq!(IdempotencyScope::anonymous().as_str(), "anonymous");
        assert!(a.as_str().starts_with("user:"));
    }
}
