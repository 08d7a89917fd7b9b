//! Accounts and sessions: registering buyers, signing in for a short-lived bearer (access) token
//! and a refresh token, turning a token back into a caller, changing passwords, and making sure
//! the first admin exists with the configured password. Refreshing, signing out and revoking
//! sessions live in `accounts/sessions.rs`.
//!
//! Every password change, whoever makes it (the owner, an operator's CLI, a changed configured
//! admin password at start-up), goes through one private method, `store_password`, and ends in
//! `password_changed`, which revokes every session of the account.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    Clock, IdSource, InsertUserError, PasswordHasher, SessionClaims, TokenError, TokenService,
    UserRepository,
};
use seckiller_domain::{Password, PasswordHash, Role, SessionId, User, UserId, Username};

use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Caller, Unavailable};

/// Why registration failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// Someone already has that username.
    #[error("the username is taken")]
    UsernameTaken,
    /// The password is below the role's floor.
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
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

/// Why the caller's own password was not changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangePasswordError {
    /// The current password given does not match.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The new password is below the role's floor.
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    /// The token is genuine but its account no longer exists.
    #[error("the account no longer exists")]
    Gone,
    /// A dependency failed; the password is unchanged.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(ChangePasswordError);

/// Why an operator's password reset failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetPasswordError {
    /// No account has that username.
    #[error("no account is named so")]
    UnknownUser,
    /// The new password is below the account's floor.
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    /// A dependency failed; the password is unchanged.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(SetPasswordError);

/// What start-up did about the configured admin account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAccount {
    /// It did not exist and was created with the configured password.
    Created,
    /// It exists and the configured password is its password.
    Unchanged,
    /// It exists with another password: the configured one replaced it.
    PasswordChanged,
    /// The name belongs to a buyer: left alone, and no admin was made.
    TakenByBuyer,
}

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
    /// A hash of a password nobody knows, made once by the same hasher with the same parameters:
    /// an unknown username is checked against it, so it costs what a wrong password costs.
    dummy_hash: Arc<OnceLock<PasswordHash>>,
}

impl<A: Adapters> Clone for Accounts<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
            session_ttl: self.session_ttl,
            refresh_ttl: self.refresh_ttl,
            dummy_hash: self.dummy_hash.clone(),
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
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    /// The same accounts with refresh tokens lasting `refresh_ttl` from their issue (each
    /// refresh starts the next one's lifetime afresh).
    #[must_use]
    pub fn with_refresh_ttl(mut self, refresh_ttl: Duration) -> Self {
        self.refresh_ttl = refresh_ttl;
        self
    }

    /// Registers a buyer. The password must reach the buyer's floor ([`check_new_password`]).
    ///
    /// # Errors
    /// [`RegisterError::UsernameTaken`], [`RegisterError::WeakPassword`], or `Unavailable` when
    /// storage or the hasher fails.
    pub async fn register(
        &self,
        username: Username,
        password: Password,
    ) -> Result<User, RegisterError> {
        check_new_password(&password, Role::Buyer, &username)?;
        self.create(username, password, Role::Buyer).await
    }

    /// Creates the admin account `username` with `password` unless an account of that name
    /// exists (whose password is then left as it is: for a generated first password).
    ///
    /// # Errors
    /// [`RegisterError::WeakPassword`] when the account is created and the password is below
    /// the admin's floor, `Unavailable` when storage or the hasher fails.
    pub async fn ensure_admin(
        &self,
        username: Username,
        password: Password,
    ) -> Result<AdminAccount, RegisterError> {
        match self.adapters.users().by_username(&username).await? {
            Some(existing) if existing.role == Role::Admin => Ok(AdminAccount::Unchanged),
            Some(_) => Ok(AdminAccount::TakenByBuyer),
            None => self.create_admin(username, password).await,
        }
    }

    /// Makes sure the admin account `username` exists with `password`, the configured one:
    /// creates it when missing, and when it exists but `password` no longer verifies (the
    /// configuration was changed), sets it. A password being set must reach the admin's floor.
    ///
    /// # Errors
    /// [`RegisterError::WeakPassword`] when the password would be set and is too weak,
    /// `Unavailable` when storage or the hasher fails.
    pub async fn apply_admin_password(
        &self,
        username: Username,
        password: Password,
    ) -> Result<AdminAccount, RegisterError> {
        let a = &self.adapters;
        let existing = match a.users().by_username(&username).await? {
            None => return self.create_admin(username, password).await,
            Some(existing) if existing.role != Role::Admin => {
                return Ok(AdminAccount::TakenByBuyer);
            }
            Some(existing) => existing,
        };
        if a.hasher()
            .verify(password.clone(), existing.password_hash.clone())
            .await?
        {
            return Ok(AdminAccount::Unchanged);
        }
        check_new_password(&password, Role::Admin, &username)?;
        match self.store_password(&existing, password).await? {
            true => Ok(AdminAccount::PasswordChanged),
            // Removed since the look-up: nothing to change.
            false => Ok(AdminAccount::Unchanged),
        }
    }

    async fn create_admin(
        &self,
        username: Username,
        password: Password,
    ) -> Result<AdminAccount, RegisterError> {
        check_new_password(&password, Role::Admin, &username)?;
        match self.create(username, password, Role::Admin).await {
            Ok(_) => Ok(AdminAccount::Created),
            // Another node created it between our look-up and insert: the same outcome.
            Err(RegisterError::UsernameTaken) => Ok(AdminAccount::Unchanged),
            Err(e) => Err(e),
        }
    }

    /// Changes the caller's own password, proven by the current one. The new one must reach the
    /// floor of the caller's role.
    ///
    /// # Errors
    /// [`ChangePasswordError::WrongPassword`], [`ChangePasswordError::WeakPassword`],
    /// [`ChangePasswordError::Gone`], or `Unavailable` when storage or the hasher fails.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: Password,
    ) -> Result<(), ChangePasswordError> {
        let a = &self.adapters;
        let user = a
            .users()
            .by_id(caller.user_id)
            .await?
            .ok_or(ChangePasswordError::Gone)?;
        // The current password first: who may change it is decided before how.
        let current = Password::parse(current).map_err(|_| ChangePasswordError::WrongPassword)?;
        if !a
            .hasher()
            .verify(current, user.password_hash.clone())
            .await?
        {
            return Err(ChangePasswordError::WrongPassword);
        }
        check_new_password(&new, user.role, &user.username)?;
        match self.store_password(&user, new).await? {
            true => Ok(()),
            false => Err(ChangePasswordError::Gone),
        }
    }

    /// Sets the password of the account `username` without the current one: for an operator at
    /// the host (`seckiller admin set-password`), never reachable over HTTP. The new one must
    /// reach the floor of the account's role.
    ///
    /// # Errors
    /// [`SetPasswordError::UnknownUser`], [`SetPasswordError::WeakPassword`], or `Unavailable`
    /// when storage or the hasher fails.
    pub async fn set_password(
        &self,
        username: &Username,
        new: Password,
    ) -> Result<User, SetPasswordError> {
        let user = self
            .adapters
            .users()
            .by_username(username)
            .await?
            .ok_or(SetPasswordError::UnknownUser)?;
        check_new_password(&new, user.role, &user.username)?;
        match self.store_password(&user, new).await? {
            true => Ok(user),
            false => Err(SetPasswordError::UnknownUser),
        }
    }

    /// Hashes and stores `password` as `user`'s, then runs [`Self::password_changed`]. False
    /// when the account no longer exists. The one way a password is ever replaced.
    async fn store_password(&self, user: &User, password: Password) -> Result<bool, Unavailable> {
        let a = &self.adapters;
        let hash = a.hasher().hash(password).await?;
        if !a.users().set_password_hash(user.id, &hash).await? {
            return Ok(false);
        }
        self.password_changed(user).await?;
        Ok(true)
    }

    /// What follows every password change, whoever made it: every session of the account ends,
    /// so a refresh token taken before the change cannot outlive it (access tokens already issued
    /// still run out their short lifetime, since checking them takes no IO).
    async fn password_changed(&self, user: &User) -> Result<(), Unavailable> {
        let revoked = self.revoke_all_sessions(user.id).await?;
        tracing::info!(
            sessions_revoked = revoked,
            user_id = %user.id,
            username = user.username.as_str(),
            role = user.role.as_str(),
            "password changed"
        );
        Ok(())
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
    /// token. An unknown username costs what a wrong password costs (one verification, against a
    /// hash nobody knows the password of) and gets the same answer, so neither the answer nor its
    /// timing tells whether the account exists. (A malformed name or password is refused at once:
    /// no account can have it, so that says nothing about anyone.)
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
        let user = a.users().by_username(&username).await?;
        let hash = match &user {
            Some(user) => user.password_hash.clone(),
            None => self.dummy_hash().await?,
        };
        let verified = a.hasher().verify(password, hash).await?;
        match user {
            Some(user) if verified => Ok(self.open_session(&user).await?),
            _ => Err(SignInError::BadCredentials),
        }
    }

    /// Makes the hash unknown usernames are checked against now, so that no sign-in pays for
    /// making it (which would tell that its name is unknown), and loads the password-strength
    /// dictionaries. Run once at start-up.
    ///
    /// # Errors
    /// `Unavailable` when the hasher fails.
    pub async fn prepare(&self) -> Result<(), Unavailable> {
        password_policy::warm_up();
        self.dummy_hash().await.map(|_| ())
    }

    async fn dummy_hash(&self) -> Result<PasswordHash, Unavailable> {
        if let Some(hash) = self.dummy_hash.get() {
            return Ok(hash.clone());
        }
        // A random password nobody learns: even sent, it signs no one in (no user, no session).
        let secret = Password::parse(&self.adapters.ids().next_id().to_string())
            .map_err(|e| Unavailable::said(format!("generated password refused: {e}")))?;
        let hash = self.adapters.hasher().hash(secret).await?;
        // Two first sign-ins may both make one; either serves.
        Ok(self.dummy_hash.get_or_init(|| hash).clone())
    }

    /// A fresh access token for `user` in session `session_id`.
    fn session_for(&self, user: &User, session_id: SessionId) -> Result<Session, Unavailable> {
        let a = &self.adapters;
        // Whole seconds: that is what the token can carry, so the answer matches the token.
        let expires_at =
            DateTime::from_timestamp((a.clock().now() + self.session_ttl).timestamp(), 0)
                .ok_or_else(|| Unavailable::said("session expiry out of range"))?;
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
mod password_policy;
mod sessions;
#[cfg(test)]
mod tests;

pub use bulk::{BulkBuyersError, IssuedBuyer, MAX_BULK_BUYERS};
pub use password_policy::{StrengthFloor, WeakPassword, check_new_password};
pub use sessions::{RefreshError, SignOutError, SignedIn};
