//! `POST /users`, `POST /sessions`, `GET /me`.

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use seckiller_application::Adapters;
use seckiller_domain::IdempotencyScope;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, caller};
use crate::dto::{RegisterRequest, SessionDto, SignInRequest, UserDto};
use crate::idempotency::{Idempotent, keyed};
use crate::problem::ApiError;

created!(UserCreated, UserDto);
created!(SessionCreated, SessionDto);

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

    /// Sign in and receive a bearer token.
    ///
    /// Changes no durable state, so it takes no `Idempotency-Key`: signing in again simply
    /// issues another token.
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
