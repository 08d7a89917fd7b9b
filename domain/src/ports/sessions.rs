//! Sign-in sessions and their refresh tokens. An access token is short-lived and checked by
//! signature alone (no IO); the refresh token that renews it is opaque, random and stored only
//! as a digest, so a copy of the table mints nothing. Each use rotates it: the token presented is
//! retired and a new one takes its place in the same session (the family). A retired token
//! presented again means two parties hold the family — a stolen token — and the store revokes
//! the whole session.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::ids::{SessionId, UserId};
use crate::ports::StorageError;

/// The digest of a refresh token: the only form in which it is stored or looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(String);

impl TokenDigest {
    /// Wraps a digest computed by the token service (or read back from storage).
    pub fn new(digest: String) -> Self {
        Self(digest)
    }

    /// The digest as text, for storage.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A session as opened by a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The session (family) id, carried by its access tokens too.
    pub id: SessionId,
    /// Whose session it is.
    pub user_id: UserId,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
}

/// A refresh token as stored: its digest and lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshGrant {
    /// The digest of the token handed to the client.
    pub digest: TokenDigest,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// It is refused from this instant on.
    pub expires_at: DateTime<Utc>,
}

/// Why a presented refresh token was not exchanged. The client hears one answer for all of
/// them; the reason is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRefusal {
    /// No such token (never issued, or forged).
    Unknown,
    /// Past its expiry.
    Expired,
    /// Its session was revoked (sign-out, password change, or an earlier reuse).
    Revoked,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is retired now and the new one stored in its place.
    Rotated {
        /// The session it belongs to.
        session_id: SessionId,
        /// Its account.
        user_id: UserId,
    },
    /// The token had already been exchanged: it was presented twice, so someone else holds the
    /// family. The whole session is revoked now; nothing new was stored.
    Reused {
        /// The session now revoked.
        session_id: SessionId,
        /// Its account.
        user_id: UserId,
    },
    /// Refused; nothing changed.
    Refused(RefreshRefusal),
}

/// Stores sessions and their refresh tokens. Every method is atomic: two exchanges of one token
/// racing each other make exactly one [`Rotation::Rotated`], and a revocation racing an exchange
/// leaves no live token behind it.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session with its first refresh token.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails (a clash of ids is one too).
    fn open(
        &self,
        session: &NewSession,
        first: &RefreshGrant,
    ) -> impl Future<Output = Result<(), StorageError>> + Send;

    /// Exchanges the token whose digest is `presented` for `next`, as described by [`Rotation`].
    ///
    /// # Errors
    /// [`StorageError`] when storage fails; then nothing changed.
    fn rotate(
        &self,
        presented: &TokenDigest,
        next: &RefreshGrant,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Rotation, StorageError>> + Send;

    /// Revokes session `id` if it belongs to `user`. True when it was live until now.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn revoke(
        &self,
        id: SessionId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StorageError>> + Send;

    /// Revokes every live session of `user`; how many were live.
    ///
    /// # Errors
    /// [`StorageError`] when storage fails.
    fn revoke_all(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StorageError>> + Send;
}
