//! Authentication and authorisation at the edge, before anything reads the request: a protected
//! route answers 401 (no, malformed, forged or expired bearer token) or 403 (signed in, but not
//! an admin) before its body, parameters or content type are looked at, so a caller without the
//! right learns nothing about what the route would accept, and pays nothing for the parsing.
//!
//! Which routes are protected is not a list kept by hand:
//! - every operation the OpenAPI document marks with a security requirement (any handler taking
//!   [`BearerAuth`](crate::auth::BearerAuth)) needs a valid token;
//! - everything under `/api/v1/admin/` needs the admin role, whatever the route, even one that
//!   does not exist (an unknown admin path is 401/403 before it is 404).
//!
//! The caller proven here travels with the request, so the handler and the rate limits use it
//! instead of checking the signature again: one verification per request, the purchase included.
//! A handler reached without it (a route this layer did not know) verifies the token itself.

use std::collections::HashSet;
use std::sync::Arc;

use poem::http::header::WWW_AUTHENTICATE;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use seckiller_application::accounts::Accounts;
use seckiller_application::{Adapters, Caller};
use seckiller_domain::SessionId;
use seckiller_domain::ports::TokenError;
use tokio::sync::OnceCell;

use crate::auth::{bearer_token, not_admin, token_refused};
use crate::canned_answer::CannedAnswer;
use crate::error_code::ErrorCode;
use crate::metrics::RouteTemplates;
use crate::problem::ApiError;

/// Every path under this needs the admin role.
pub(crate) const ADMIN_PREFIX: &str = "/api/v1/admin";

/// The caller this layer proved, carried in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Authenticated(pub Caller, pub SessionId);

/// What a request must prove before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Requirement {
    /// Nothing.
    Public,
    /// A valid bearer token.
    SignedIn,
    /// A valid bearer token of an admin.
    Admin,
}

/// The routes that need a token, read from the OpenAPI document.
#[derive(Debug, Clone)]
pub(crate) struct ProtectedRoutes {
    templates: RouteTemplates,
    secured: Arc<HashSet<(Arc<str>, Method)>>,
}

impl ProtectedRoutes {
    /// The operations of `document` (JSON) that name a security requirement.
    pub(crate) fn new(document: &str) -> Self {
        let mut secured = HashSet::new();
        if let Ok(serde_json::Value::Object(doc)) = serde_json::from_str(document)
            && let Some(serde_json::Value::Object(paths)) = doc.get("paths")
        {
            for (template, item) in paths {
                let Some(operations) = item.as_object() else {
                    continue;
                };
                for (method, operation) in operations {
                    let needs_token = operation
                        .get("security")
                        .and_then(serde_json::Value::as_array)
                        .is_some_and(|schemes| !schemes.is_empty());
                    let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                    else {
                        continue;
                    };
                    if needs_token {
                        // A route that answers GET answers HEAD the same way.
                        if method == Method::GET {
                            secured.insert((Arc::from(template.as_str()), Method::HEAD));
                        }
                        secured.insert((Arc::from(template.as_str()), method));
                    }
                }
            }
        }
        Self {
            templates: RouteTemplates::new(document, []),
            secured: Arc::new(secured),
        }
    }

    /// What a `method` request to `path` must prove.
    pub(crate) fn requirement(&self, method: &Method, path: &str) -> Requirement {
        let admin_area = path
            .strip_prefix(ADMIN_PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if admin_area {
            return Requirement::Admin;
        }
        if self
            .secured
            .contains(&(self.templates.of(path), method.clone()))
        {
            Requirement::SignedIn
        } else {
            Requirement::Public
        }
    }
}

/// Checks the bearer token (and the role) of protected routes before they are read.
pub(crate) struct Authentication<A: Adapters> {
    /// Verifies tokens.
    pub accounts: Accounts<A>,
    /// Which routes need what.
    pub routes: ProtectedRoutes,
}

impl<A: Adapters, E: Endpoint> Middleware<E> for Authentication<A> {
    type Output = AuthenticationEndpoint<A, E>;

    fn transform(&self, inner: E) -> Self::Output {
        AuthenticationEndpoint {
            inner,
            accounts: self.accounts.clone(),
            routes: self.routes.clone(),
            answers: Default::default(),
        }
    }
}

/// Why a request was turned away; each has one answer, rendered once.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    NoToken,
    BadToken,
    Expired,
    NotAdmin,
}

impl Refusal {
    fn error(self) -> ApiError {
        match self {
            Refusal::NoToken => ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "this needs a bearer token: Authorization: Bearer <token> from POST /api/v1/sessions",
            ),
            Refusal::BadToken => token_refused(TokenError::Invalid),
            Refusal::Expired => token_refused(TokenError::Expired),
            Refusal::NotAdmin => not_admin(),
        }
    }

    /// RFC 6750's challenge on a 401, naming the problem when the token was the problem.
    fn challenge(self) -> Option<HeaderValue> {
        match self {
            Refusal::NoToken => Some(HeaderValue::from_static("Bearer")),
            Refusal::BadToken | Refusal::Expired => {
                Some(HeaderValue::from_static("Bearer error=\"invalid_token\""))
            }
            Refusal::NotAdmin => None,
        }
    }
}

/// The wrapped application.
pub(crate) struct AuthenticationEndpoint<A: Adapters, E> {
    inner: E,
    accounts: Accounts<A>,
    routes: ProtectedRoutes,
    answers: [OnceCell<CannedAnswer>; 4],
}

impl<A: Adapters, E> AuthenticationEndpoint<A, E> {
    /// The caller `req` proves, or why it proves nothing enough.
    fn check(&self, req: &Request, need: Requirement) -> Result<(Caller, SessionId), Refusal> {
        let token = bearer_token(req.headers()).ok_or(Refusal::NoToken)?;
        let (caller, session) = self
            .accounts
            .authenticate_session(token)
            .map_err(|e| match e {
                TokenError::Invalid => Refusal::BadToken,
                TokenError::Expired => Refusal::Expired,
            })?;
        if need == Requirement::Admin && caller.admin().is_err() {
            return Err(Refusal::NotAdmin);
        }
        Ok((caller, session))
    }

    async fn refuse(&self, refusal: Refusal) -> Response {
        let mut response = self.answers[refusal as usize]
            .get_or_init(|| CannedAnswer::render(refusal.error()))
            .await
            .response();
        if let Some(challenge) = refusal.challenge() {
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl<A: Adapters, E: Endpoint> Endpoint for AuthenticationEndpoint<A, E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let need = self.routes.requirement(req.method(), req.uri().path());
        if need != Requirement::Public {
            match self.check(&req, need) {
                Ok((caller, session)) => {
                    req.extensions_mut().insert(Authenticated(caller, session));
                }
                Err(refusal) => return Ok(self.refuse(refusal).await),
            }
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"{"paths": {
        "/api/v1/activities/{id}": {"get": {}},
        "/api/v1/activities/{id}/purchases": {"post": {"security": [{"BearerAuth": []}]}},
        "/api/v1/users": {"post": {}},
        "/api/v1/me": {"get": {"security": [{"BearerAuth": []}]}},
        "/api/v1/admin/products": {"post": {"security": [{"BearerAuth": []}]}}
    }}"#;

    const SALE: &str = "0192f6a4-58b1-7c3e-8e2a-6b1f0c9d4e21";

    #[test]
    fn a_documented_security_requirement_needs_a_token() {
        let routes = ProtectedRoutes::new(DOCUMENT);
        let purchase = format!("/api/v1/activities/{SALE}/purchases");
        assert_eq!(
            routes.requirement(&Method::POST, &purchase),
            Requirement::SignedIn
        );
        assert_eq!(
            routes.requirement(&Method::GET, "/api/v1/me"),
            Requirement::SignedIn
        );
        assert_eq!(
            routes.requirement(&Method::HEAD, "/api/v1/me"),
            Requirement::SignedIn
        );
        assert_eq!(
            routes.requirement(&Method::GET, &format!("/api/v1/activities/{SALE}")),
            Requirement::Public
        );
        assert_eq!(
            routes.requirement(&Method::POST, "/api/v1/users"),
            Requirement::Public
        );
    }

    #[test]
    fn everything_under_admin_needs_the_admin_role_even_unknown_routes() {
        let routes = ProtectedRoutes::new(DOCUMENT);
        for path in [
            "/api/v1/admin",
            "/api/v1/admin/",
            "/api/v1/admin/products",
            "/api/v1/admin/not-a-route/at-all",
        ] {
            for method in [Method::GET, Method::POST, Method::DELETE] {
                assert_eq!(
                    routes.requirement(&method, path),
                    Requirement::Admin,
                    "{method} {path}"
                );
            }
        }
        assert_eq!(
            routes.requirement(&Method::GET, "/api/v1/administrators"),
            Requirement::Public
        );
    }
}
