//! Bearer-token authentication at the edge: the token is checked by signature (no IO), then the
//! caller's role decides what it may do.

use poem::http::header::AUTHORIZATION;
use poem::http::{HeaderMap, StatusCode};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use seckiller_application::accounts::Accounts;
use seckiller_application::{Adapters, Admin, Caller};
use seckiller_domain::SessionId;
use seckiller_domain::ports::TokenError;

use crate::problem::ApiError;

/// `Authorization: Bearer <token>` as issued by `POST /api/v1/sessions`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT")]
pub(crate) struct BearerAuth(pub Bearer);

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), unchecked.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    const SCHEME: &str = "bearer ";
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let scheme = value.get(..SCHEME.len())?;
    let token = value.get(SCHEME.len()..)?;
    (scheme.eq_ignore_ascii_case(SCHEME) && !token.is_empty()).then_some(token)
}

/// The caller proven by the token.
pub(crate) fn caller<A: Adapters>(
    accounts: &Accounts<A>,
    auth: &BearerAuth,
) -> Result<Caller, ApiError> {
    accounts.authenticate(&auth.0.token).map_err(token_refused)
}

/// The caller proven by the token and the session the token belongs to.
pub(crate) fn caller_session<A: Adapters>(
    accounts: &Accounts<A>,
    auth: &BearerAuth,
) -> Result<(Caller, SessionId), ApiError> {
    accounts
        .authenticate_session(&auth.0.token)
        .map_err(token_refused)
}

fn token_refused(e: TokenError) -> ApiError {
    match e {
        TokenError::Invalid => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the bearer token is not valid",
        ),
        TokenError::Expired => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            "the bearer token has expired; refresh it or sign in again",
        ),
    }
}

/// The admin proven by the token; 403 for a buyer's token.
pub(crate) fn admin<A: Adapters>(
    accounts: &Accounts<A>,
    auth: &BearerAuth,
) -> Result<Admin, ApiError> {
    caller(accounts, auth)?.admin().map_err(|_| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this needs the admin role",
        )
    })
}
