//! Bearer-token authentication: the token is checked by signature (no IO), then the caller's
//! role decides what it may do. The check is made once, at the edge, before the request is read
//! (see `authentication`); a handler receives the caller it proved.

use poem::Request;
use poem::http::header::AUTHORIZATION;
use poem::http::{HeaderMap, StatusCode};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use seckiller_application::accounts::Accounts;
use seckiller_application::{Adapters, Admin, Caller};
use seckiller_domain::SessionId;
use seckiller_domain::ports::TokenError;

use crate::authentication::Authenticated;
use crate::error_code::ErrorCode;
use crate::problem::ApiError;

/// `Authorization: Bearer <token>` as issued by `POST /api/v1/sessions`. Declaring it on an
/// operation puts the operation behind the edge's token check.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "proof_of")]
pub(crate) struct BearerAuth(pub Proof);

/// What a handler knows of the token.
pub(crate) enum Proof {
    /// The edge verified it and proved this caller, in this session.
    Verified(Caller, SessionId),
    /// Not verified yet (a route the edge did not know as protected): verify before use.
    Unverified(String),
}

/// The caller the edge proved for this request, or the token still to verify.
async fn proof_of(req: &Request, bearer: Bearer) -> poem::Result<Proof> {
    Ok(match req.extensions().get::<Authenticated>() {
        Some(Authenticated(caller, session)) => Proof::Verified(*caller, *session),
        None => Proof::Unverified(bearer.token),
    })
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), unchecked.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    const SCHEME: &str = "bearer ";
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let scheme = value.get(..SCHEME.len())?;
    let token = value.get(SCHEME.len()..)?;
    (scheme.eq_ignore_ascii_case(SCHEME) && !token.is_empty()).then_some(token)
}

/// The answer to a token that proves nothing.
pub(crate) fn token_refused(e: TokenError) -> ApiError {
    match e {
        TokenError::Invalid => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidToken,
            "the bearer token is not valid",
        ),
        TokenError::Expired => ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::TokenExpired,
            "the bearer token has expired; refresh it or sign in again",
        ),
    }
}

/// The answer to a buyer on an admin route.
pub(crate) fn not_admin() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        "this needs the admin role",
    )
}

/// The caller proven by the token: as the edge proved it, or verified now.
pub(crate) fn caller<A: Adapters>(
    accounts: &Accounts<A>,
    auth: &BearerAuth,
) -> Result<Caller, ApiError> {
    caller_session(accounts, auth).map(|(caller, _)| caller)
}

/// The caller proven by the token and the session the token belongs to.
pub(crate) fn caller_session<A: Adapters>(
    accounts: &Accounts<A>,
    auth: &BearerAuth,
) -> Result<(Caller, SessionId), ApiError> {
    match &auth.0 {
        Proof::Verified(caller, session) => Ok((*caller, *session)),
        Proof::Unverified(token) => accounts.authenticate_session(token).map_err(token_refused),
    }
}

/// The admin proven by the token; 403 for a buyer's token.
pub(crate) fn admin<A: Adapters>(
    accounts: &Accounts<A>,
    auth: &BearerAuth,
) -> Result<Admin, ApiError> {
    caller(accounts, auth)?.admin().map_err(|_| not_admin())
}
