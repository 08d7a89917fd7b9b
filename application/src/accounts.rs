//! Accounts and sessions: registering buyers, signing in for a short-lived bearer (access) token
//! and a refresh token, turning a token back into a caller, and making sure the first admin
//! exists. Refreshing, signing out and revoking sessions live in `accounts/sessions.rs`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    Clock, IdSource, InsertUserError, PasswordHasher, SessionClaims, TokenError, TokenService,
    UserRepository,
};
use seckiller_domain::{Password, Role, SessionId, User, UserId, Username};

use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Caller, Unavailable};

/// Why registration failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// Someone already has that username.
    #[error("the username is taken")]
    UsernameTaken,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(RegisterError);

/// Why signing in failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Unknown username or wrong password; deliberately not saying which.
    #[error("wrong username or password")]
    BadCredentials,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(SignInError);

/// Why the caller's own account could not be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeError {
    /// The token is genuine but its account no longer exists.
    #[error("the account no longer exists")]
    Gone,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(MeError);

/// A bearer (access) token and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Its expiry.
    pub expires_at: DateTime<Utc>,
}

/// How long a refresh token lives unless configured: a month of not coming back signs one out.
pub const DEFAULT_REFRESH_TTL: Duration = Duration::days(30);

/// The accounts use cases.
pub struct Accounts<A: Adapters> {
    adapters: Arc<A>,
    session_ttl: Duration,
    refresh_ttl: Duration,
}

impl<A: Adapters> Clone for Accounts<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            session_ttl: self.session_ttl,
            refresh_ttl: self.refresh_ttl,
        }
    }
}

impl<A: Adapters> Accounts<A> {
    /// Accounts whose access tokens last `session_ttl` and refresh tokens
    /// [`DEFAULT_REFRESH_TTL`].
    pub fn new(adapters: Arc<A>, session_ttl: Duration) -> Self {
        Self {
            adapters,
            session_ttl,
            refresh_ttl: DEFAULT_REFRESH_TTL,
        }
    }

    /// The same accounts with refresh tokens lasting `refresh_ttl` from their issue (each
    /// refresh starts the next one's lifetime afresh).
    #[must_use]
    pub fn with_refresh_ttl(mut self, refresh_ttl: Duration) -> Self {
        self.refresh_ttl = refresh_ttl;
        self
    }

    /// Registers a buyer.
    ///
    /// # Errors
    /// [`RegisterError::UsernameTaken`], or `Unavailable` when storage or the hasher fails.
    pub async fn register(
        &self,
        username: Username,
        password: Password,
    ) -> Result<User, RegisterError> {
        self.create(username, password, Role::Buyer).await
    }

    /// Creates the admin account `username` unless an account of that name exists. True when it
    /// was created now.
    ///
    /// # Errors
    /// `Unavailable` when storage or the hasher fails.
    pub async fn ensure_admin(
        &self,
        username: Username,
        password: Password,
    ) -> Result<bool, RegisterError> {
        if self
            .adapters
            .users()
            .by_username(&username)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        match self.create(username, password, Role::Admin).await {
            Ok(_) => Ok(true),
            // Another node created it between our look-up and insert: that is the same outcome.
            Err(RegisterError::UsernameTaken) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn create(
        &self,
        username: Username,
        password: Password,
        role: Role,
    ) -> Result<User, RegisterError> {
        let a = &self.adapters;
        let user = User {
            id: UserId::from_uuid(a.ids().next_id()),
            username,
            password_hash: a.hasher().hash(password).await?,
            role,
            created_at: a.clock().now(),
        };
        match a.users().insert(&user).await {
            Ok(()) => Ok(user),
            Err(InsertUserError::UsernameTaken) => Err(RegisterError::UsernameTaken),
            Err(InsertUserError::Storage(e)) => Err(e.into()),
        }
    }

    /// Checks a username and password and opens a session: an access token and a refresh
    /// token.
    ///
    /// # Errors
    /// [`SignInError::BadCredentials`] for an unknown name or wrong password, `Unavailable` when a
    /// dependency fails.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<SignedIn, SignInError> {
        let (Ok(username), Ok(password)) = (Username::parse(username), Password::parse(password))
        else {
            return Err(SignInError::BadCredentials);
        };
        let a = &self.adapters;
        let user = a
            .users()
            .by_username(&username)
            .await?
            .ok_or(SignInError::BadCredentials)?;
        if !a
            .hasher()
            .verify(password, user.password_hash.clone())
            .await?
        {
            return Err(SignInError::BadCredentials);
        }
        Ok(self.open_session(&user).await?)
    }

    /// A fresh access token for `user` in session `session_id`.
    fn session_for(&self, user: &User, session_id: SessionId) -> Result<Session, Unavailable> {
        let a = &self.adapters;
        // Whole seconds: that is what the token can carry, so the answer matches the token.
        let expires_at =
            DateTime::from_timestamp((a.clock().now() + self.session_ttl).timestamp(), 0)
                .ok_or_else(|| Unavailable("session expiry out of range".into()))?;
        let claims = SessionClaims {
            user_id: user.id,
            role: user.role,
            session_id,
            expires_at,
        };
        Ok(Session {
            token: a.tokens().issue(&claims)?,
            expires_at,
        })
    }

    /// The caller a bearer token proves. No IO: tokens are verified by signature and expiry
    /// only, so a token of a session revoked since (sign-out, password change) still works
    /// until it expires — at most the access-token lifetime, which is why that is short.
    ///
    /// # Errors
    /// [`TokenError`] for a forged, malformed or expired token.
    pub fn authenticate(&self, token: &str) -> Result<Caller, TokenError> {
        self.authenticate_session(token).map(|(caller, _)| caller)
    }

    /// As [`Accounts::authenticate`], with the session the token belongs to.
    ///
    /// # Errors
    /// [`TokenError`] for a forged, malformed or expired token.
    pub fn authenticate_session(&self, token: &str) -> Result<(Caller, SessionId), TokenError> {
        let claims = self
            .adapters
            .tokens()
            .verify(token, self.adapters.clock().now())?;
        Ok((
            Caller {
                user_id: claims.user_id,
                role: claims.role,
            },
            claims.session_id,
        ))
    }

    /// The caller's own account.
    ///
    /// # Errors
    /// [`MeError::Gone`] when the account was removed, `Unavailable` when storage fails.
    pub async fn me(&self, caller: &Caller) -> Result<User, MeError> {
        self.adapters
            .users()
            .by_id(caller.user_id)
            .await?
            .ok_or(MeError::Gone)
    }
}

mod bulk;
mod sessions;
#[cfg(test)]
mod tests;

pub use bulk::{BulkBuyersError, IssuedBuyer, MAX_BULK_BUYERS};
pub use sessions::{RefreshError, SignOutError, SignedIn};
