//! `POST /users`, `POST /sessions` (sign in), `POST /sessions/refresh`,
//! `POST /sessions/current/revocation` (sign out), `GET /me`, `POST /me/password`.

use poem::Request;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use seckiller_application::Adapters;
use seckiller_domain::IdempotencyScope;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, caller, caller_session};
use crate::dto::{
    ChangePasswordRequest, RefreshRequest, RegisterRequest, SessionDto, SignInRequest, UserDto,
};
use crate::idempotency::{Idempotent, keyed};
use crate::problem::ApiError;

created!(UserCreated, UserDto);
created!(SessionCreated, SessionDto);

/// A session ended.
#[derive(ApiResponse)]
pub(crate) enum SignedOut {
    /// Signed out: the session's refresh tokens no longer work. Its access tokens stay valid
    /// until they expire (at most the access-token lifetime), since checking them takes no IO.
    #[oai(status = 204)]
    NoContent,
}

/// "No content": the password was changed.
#[derive(ApiResponse)]
pub(crate) enum PasswordChanged {
    /// Changed; sign in with the new password from now on.
    #[oai(status = 204)]
    Changed,
}

/// Accounts and sessions.
pub(crate) struct AccountsApi<A: Adapters>(pub Services<A>);

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Accounts")]
impl<A: Adapters> AccountsApi<A> {
    /// Register a buyer account.
    #[oai(path = "/users", method = "post", operation_id = "register")]
    async fn register(
        &self,
        req: &Request,
        body: Json<RegisterRequest>,
        /// Register safely again: a retry with the same key and the very same body (password
        /// included) gets the first answer back and creates nothing more. The same key with
        /// another body answers 422 `idempotency_key_reused`; while the first request still
        /// runs, 409 `idempotency_key_in_use` with `Retry-After`. Keys last 24 hours.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<UserCreated>, ApiError> {
        // No account yet: the key is scoped to "anonymous", and the body (password included)
        // in the fingerprint keeps a replay to whoever sent the identical request.
        let body_json = serde_json::json!({
            "username": body.username.as_str(),
            "password": body.password.as_str(),
        });
        keyed(
            &self.0.idempotency,
            req,
            idempotency_key.0,
            IdempotencyScope::anonymous(),
            Some(body_json),
        )?
        .run(|| async {
            let (username, password) = body.parse()?;
            let user = self.0.accounts.register(username, password).await?;
            Ok(UserCreated::Created(Json(user.into())))
        })
        .await
    }

    /// Sign in: a short-lived bearer (access) token and a refresh token.
    ///
    /// Takes no `Idempotency-Key`: signing in again simply opens another session.
    #[oai(path = "/sessions", method = "post", operation_id = "signIn")]
    async fn sign_in(&self, body: Json<SignInRequest>) -> Result<SessionCreated, ApiError> {
        let session = self
            .0
            .accounts
            .sign_in(body.username.as_str(), body.password.as_str())
            .await?;
        Ok(SessionCreated::Created(Json(session.into())))
    }

    /// Exchange a refresh token for a new access token and a new refresh token. The one sent is
    /// spent; sending a spent one again revokes its whole session (it was copied), and both
    /// holders must sign in again.
    #[oai(
        path = "/sessions/refresh",
        method = "post",
        operation_id = "refreshSession"
    )]
    async fn refresh(&self, body: Json<RefreshRequest>) -> Result<Json<SessionDto>, ApiError> {
        let session = self.0.accounts.refresh(body.refresh_token.as_str()).await?;
        Ok(Json(session.into()))
    }

    /// Sign out: end the session the bearer token belongs to, so its refresh tokens stop
    /// working. Idempotent.
    #[oai(
        path = "/sessions/current/revocation",
        method = "post",
        operation_id = "signOut"
    )]
    async fn sign_out(&self, auth: BearerAuth) -> Result<SignedOut, ApiError> {
        let (caller, session_id) = caller_session(&self.0.accounts, &auth)?;
        self.0.accounts.sign_out(&caller, session_id).await?;
        Ok(SignedOut::NoContent)
    }

    /// The signed-in account.
    #[oai(path = "/me", method = "get", operation_id = "me")]
    async fn me(&self, auth: BearerAuth) -> Result<Json<UserDto>, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        Ok(Json(self.0.accounts.me(&caller).await?.into()))
    }

    /// Change the signed-in account's password, proven by the current one. 403
    /// `wrong_password` when `current_password` is wrong; 422 `weak_password` (saying why)
    /// when the new one is too easy to guess.
    #[oai(
        path = "/me/password",
        method = "post",
        operation_id = "changePassword"
    )]
    async fn change_password(
        &self,
        auth: BearerAuth,
        body: Json<ChangePasswordRequest>,
    ) -> Result<PasswordChanged, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        let new = body.new_password()?;
        self.0
            .accounts
            .change_password(&caller, body.current_password.as_str(), new)
            .await?;
        Ok(PasswordChanged::Changed)
    }
}
