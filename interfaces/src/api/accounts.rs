//! `POST /users`, `POST /sessions`, `GET /me`.

use poem_openapi::OpenApi;
use poem_openapi::payload::Json;
use seckiller_application::Adapters;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, caller};
use crate::dto::{RegisterRequest, SessionDto, SignInRequest, UserDto};
use crate::problem::ApiError;

created!(UserCreated, UserDto);
created!(SessionCreated, SessionDto);

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
}
