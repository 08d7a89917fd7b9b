//! Accounts and sessions on the wire.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use seckiller_application::accounts::SignedIn;
use seckiller_domain::{Password, User, Username};
use uuid::Uuid;

use super::wire::{AnyText, PasswordText, Text, UsernameText};
use crate::problem::ApiError;

/// A new buyer account.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    /// 3–32 letters, digits, `_`, `.` or `-`; case-insensitive.
    pub username: Text<UsernameText>,
    /// 8–128 characters, hard enough to guess (8+ characters and zxcvbn score 2+); no control
    /// characters. A weak one gets 422 `weak_password` saying why.
    #[oai(write_only)]
    pub password: Text<PasswordText>,
}

impl RegisterRequest {
    /// The checked username and password.
    pub(crate) fn parse(&self) -> Result<(Username, Password), ApiError> {
        let username = Username::parse(self.username.as_str())
            .map_err(|e| ApiError::invalid("username", e))?;
        let password = Password::parse(self.password.within_limit("password")?)
            .map_err(|e| ApiError::invalid("password", e))?;
        Ok((username, password))
    }
}

/// Credentials to sign in with.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    /// The account's username.
    pub username: Text<AnyText>,
    /// Its password.
    #[oai(write_only)]
    pub password: Text<AnyText>,
}

/// A new password for the signed-in account, proven by the current one.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ChangePasswordRequest {
    /// The account's password now.
    #[oai(write_only)]
    pub current_password: Text<AnyText>,
    /// 8–128 characters, hard enough to guess (buyers: 8+ characters and zxcvbn score 2+;
    /// admins: 12+ and 4); no control characters. A weak one gets 422 `weak_password` saying why.
    #[oai(write_only)]
    pub new_password: Text<PasswordText>,
}

impl ChangePasswordRequest {
    /// The checked new password.
    pub(crate) fn new_password(&self) -> Result<Password, ApiError> {
        Password::parse(self.new_password.within_limit("new_password")?)
            .map_err(|e| ApiError::invalid("new_password", e))
    }
}

/// An account as shown to its owner.
#[derive(Debug, Object)]
#[oai(rename = "User")]
pub(crate) struct UserDto {
    /// Account id.
    pub id: Uuid,
    /// Normalised (lower-case) username.
    pub username: String,
    /// `buyer` or `admin`.
    pub role: String,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.as_uuid(),
            username: u.username.as_str().to_owned(),
            role: u.role.as_str().to_owned(),
            created_at: u.created_at,
        }
    }
}

/// A bearer token for the `Authorization` header.
#[derive(Debug, Object)]
#[oai(rename = "Session")]
pub(crate) struct SessionDto {
    /// The access token: send as `Authorization: Bearer <token>`. Short-lived (15 minutes by
    /// default); renew it with `refresh_token` at `POST /api/v1/sessions/refresh`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// The access token stops working at this instant.
    pub expires_at: DateTime<Utc>,
    /// Exchange it at `POST /api/v1/sessions/refresh` for a new pair. Single use: each
    /// exchange returns a new one, and presenting a used one again signs the whole session out.
    /// Keep it secret and out of URLs and logs.
    pub refresh_token: String,
    /// The refresh token stops working at this instant.
    pub refresh_expires_at: DateTime<Utc>,
    /// The session both tokens belong to; `POST /api/v1/sessions/current/revocation` ends it.
    pub session_id: Uuid,
}

impl From<SignedIn> for SessionDto {
    fn from(s: SignedIn) -> Self {
        Self {
            token: s.access.token,
            token_type: "Bearer".into(),
            expires_at: s.access.expires_at,
            refresh_token: s.refresh_token,
            refresh_expires_at: s.refresh_expires_at,
            session_id: s.session_id.as_uuid(),
        }
    }
}

/// A refresh token to exchange for a new pair.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    /// The `refresh_token` of the last sign-in or refresh.
    #[oai(write_only)]
    pub refresh_token: Text<AnyText>,
}
