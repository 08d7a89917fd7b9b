//! `POST /users`, `POST /sessions`, `GET /me`, `POST /me/password`.

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use seckiller_application::Adapters;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, caller};
use crate::dto::{ChangePasswordRequest, RegisterRequest, SessionDto, SignInRequest, UserDto};
use crate::problem::ApiError;

created!(UserCreated, UserDto);
created!(SessionCreated, SessionDto);

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
    async fn register(&self, body: Json<RegisterRequest>) -> Result<UserCreated, ApiError> {
        let (username, password) = body.parse()?;
        let user = self.0.accounts.register(username, password).await?;
        Ok(UserCreated::Created(Json(user.into())))
    }

    /// Sign in and receive a bearer token.
    #[oai(path = "/sessions", method = "post", operation_id = "signIn")]
    async fn sign_in(&self, body: Json<SignInRequest>) -> Result<SessionCreated, ApiError> {
        let session = self
            .0
            .accounts
            .sign_in(body.username.as_str(), body.password.as_str())
            .await?;
        Ok(SessionCreated::Created(Json(session.into())))
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
