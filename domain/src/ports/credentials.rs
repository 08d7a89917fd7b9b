//! Credentials: password hashing (slow on purpose) and bearer tokens (fast, stateless, so every
//! node can check them without a lookup).

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::ids::{ActivityId, SessionId, UserId};
use crate::ports::Cause;
use crate::ports::TokenDigest;
use crate::user::{Password, PasswordHash, Role};

/// A hasher failed for a reason that is not the caller's input (e.g. its worker pool is gone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credential backend failed")]
pub struct CredentialError(#[source] pub Cause);

impl From<String> for CredentialError {
    fn from(cause: String) -> Self {
        Self(Cause::from(cause))
    }
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Malformed, forged or signed with another key.
    #[error("the token is not valid")]
    Invalid,
    /// Well-formed and genuine, but past its expiry.
    #[error("the token has expired")]
    Expired,
}

/// What a bearer token proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// The account.
    pub user_id: UserId,
    /// Its role when the token was issued.
    pub role: Role,
    /// The sign-in session it belongs to: signing out revokes it (see
    /// [`SessionStore`](crate::ports::SessionStore)). The token itself stays good until it expires,
    /// since checking it takes no IO.
    pub session_id: SessionId,
    /// The token is refused from this instant on.
    pub expires_at: DateTime<Utc>,
}

/// Hashes and verifies passwords.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hashes a password with a fresh salt.
    ///
    /// # Errors
    /// [`CredentialError`] when the hashing backend fails.
    fn hash(
        &self,
        password: Password,
    ) -> impl Future<Output = Result<PasswordHash, CredentialError>> + Send;

    /// True when `password` matches `hash`.
    ///
    /// # Errors
    /// [`CredentialError`] when the hashing backend fails or the stored hash is unreadable.
    fn verify(
        &self,
        password: Password,
        hash: PasswordHash,
    ) -> impl Future<Output = Result<bool, CredentialError>> + Send;
}

/// Issues and checks bearer tokens.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait TokenService: Send + Sync + 'static {
    /// A signed token carrying `claims`.
    ///
    /// # Errors
    /// [`CredentialError`] when signing fails.
    fn issue(&self, claims: &SessionClaims) -> Result<String, CredentialError>;

    /// The claims of a genuine, unexpired token.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] or [`TokenError::Expired`].
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<SessionClaims, TokenError>;

    /// A new refresh token (opaque, random, high-entropy) and its digest, the only form in which
    /// it is stored.
    ///
    /// # Errors
    /// [`CredentialError`] when the random source fails.
    fn new_refresh_token(&self) -> Result<(String, TokenDigest), CredentialError>;

    /// The digest of a presented refresh token, to look it up.
    fn refresh_digest(&self, token: &str) -> TokenDigest;
}

/// What a purchase token grants: this buyer may try to buy in this activity until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseGrant {
    /// The buyer it was issued to.
    pub buyer_id: UserId,
    /// The activity it is good for.
    pub activity_id: ActivityId,
    /// It is refused from this instant on.
    pub expires_at: DateTime<Utc>,
}

/// Issues and checks purchase tokens (the anti-bot "hidden URL"): short-lived, bound to one buyer
/// and one activity, and issued only while the sale is open, so scripts cannot pre-build requests.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait PurchaseTokenService: Send + Sync + 'static {
    /// A signed token for `grant`.
    ///
    /// # Errors
    /// [`CredentialError`] when signing fails.
    fn issue_purchase_token(&self, grant: &PurchaseGrant) -> Result<String, CredentialError>;

    /// The grant of a genuine, unexpired purchase token. A session token is never accepted here.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] or [`TokenError::Expired`].
    fn verify_purchase_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<PurchaseGrant, TokenError>;
}
