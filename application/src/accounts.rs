//! Accounts and sessions: registering buyers, signing in for a bearer token, turning a token back
//! into a caller, and making sure the first admin exists.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    Clock, IdSource, InsertUserError, PasswordHasher, SessionClaims, TokenError, TokenService,
    UserRepository,
};
use seckiller_domain::{Password, Role, User, UserId, Username};

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

/// A bearer token and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The bearer token.
    pub token: String,
    /// Its expiry.
    pub expires_at: DateTime<Utc>,
}

/// The accounts use cases.
pub struct Accounts<A: Adapters> {
    adapters: Arc<A>,
    session_ttl: Duration,
}

impl<A: Adapters> Clone for Accounts<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            session_ttl: self.session_ttl,
        }
    }
}

impl<A: Adapters> Accounts<A> {
    /// Accounts whose sessions last `session_ttl`.
    pub fn new(adapters: Arc<A>, session_ttl: Duration) -> Self {
        Self {
            adapters,
            session_ttl,
        }
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

    /// Checks a username and password and issues a session token.
    ///
    /// # Errors
    /// [`SignInError::BadCredentials`] for an unknown name or wrong password, `Unavailable` when a
    /// dependency fails.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Session, SignInError> {
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
        Ok(self.session_for(&user)?)
    }

    /// A fresh session token for `user`.
    fn session_for(&self, user: &User) -> Result<Session, Unavailable> {
        let a = &self.adapters;
        // Whole seconds: that is what the token can carry, so the answer matches the token.
        let expires_at =
            DateTime::from_timestamp((a.clock().now() + self.session_ttl).timestamp(), 0)
                .ok_or_else(|| Unavailable("session expiry out of range".into()))?;
        let claims = SessionClaims {
            user_id: user.id,
            role: user.role,
            expires_at,
        };
        Ok(Session {
            token: a.tokens().issue(&claims)?,
            expires_at,
        })
    }

    /// The caller a bearer token proves. No IO: tokens are verified by signature.
    ///
    /// # Errors
    /// [`TokenError`] for a forged, malformed or expired token.
    pub fn authenticate(&self, token: &str) -> Result<Caller, TokenError> {
        let claims = self
            .adapters
            .tokens()
            .verify(token, self.adapters.clock().now())?;
        Ok(Caller {
            user_id: claims.user_id,
            role: claims.role,
        })
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
#[cfg(test)]
mod tests;

pub use bulk::{BulkBuyersError, IssuedBuyer, MAX_BULK_BUYERS};
