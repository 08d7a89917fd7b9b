//! Problem details (RFC 9457) for every error answer, with a stable machine-readable `code` so
//! clients branch on the code, never on the wording.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

use crate::error_code::ErrorCode;

/// The body of every error answer.
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// A URI reference naming the problem type; `/docs/problems#<code>`.
    #[oai(rename = "type")]
    pub problem_type: String,
    /// A short human summary of the problem type.
    pub title: String,
    /// The HTTP status, repeated for clients that lose headers.
    pub status: u16,
    /// What went wrong this time, for humans.
    pub detail: String,
    /// Stable machine-readable code, e.g. `sold_out`, `bad_token`, `validation_failed`.
    pub code: ErrorCode,
    /// The id of the request this answers, as in its `X-Request-Id` header: quote it when
    /// reporting a problem. Every answer carries it.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
}

impl Problem {
    /// A problem with `status`, `code` and `detail`; the title is the status's reason phrase.
    /// Its `request_id` is written by the edge as the answer leaves (see [`crate::request_id`]).
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("/docs/problems#{code}"),
            title: match status.as_u16() {
                425 => "Too Early",
                _ => status.canonical_reason().unwrap_or("Error"),
            }
            .to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            request_id: None,
        }
    }
}

/// Every error answer of the API. Each variant is one status; the body is always a [`Problem`].
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "crate::problem::from_request_error")]
pub enum ApiError {
    /// The request could not be read (malformed JSON, wrong types, unknown fields).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Problem>),
    /// No valid bearer token.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Problem>),
    /// The payment provider declined the charge; nothing was taken.
    #[oai(status = 402, content_type = "application/problem+json")]
    PaymentRequired(Json<Problem>),
    /// Signed in, but not allowed.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Problem>),
    /// Nothing with that id (visible to the caller).
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Problem>),
    /// The request conflicts with the current state.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Problem>),
    /// The sale is over or was called off.
    #[oai(status = 410, content_type = "application/problem+json")]
    Gone(Json<Problem>),
    /// The request body did not arrive within the body-read deadline.
    #[oai(status = 408, content_type = "application/problem+json")]
    RequestTimeout(Json<Problem>),
    /// The body is larger than the service accepts.
    #[oai(status = 413, content_type = "application/problem+json")]
    PayloadTooLarge(Json<Problem>),
    /// The body is not `application/json`.
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Problem>),
    /// Well-formed, but a field breaks a rule.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Problem>),
    /// Too early: the sale has not started; retry at its start.
    #[oai(status = 425, content_type = "application/problem+json")]
    TooEarly(Json<Problem>),
    /// Over a rate limit (per buyer, address, sale or node on the purchase path; per username or
    /// address on signing in and registering); nothing was done; retry after the seconds in
    /// `Retry-After`.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Problem>),
    /// A dependency is down, or the node is overloaded; nothing was changed; retry later.
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Problem>),
    /// Any other status the framework itself produced. None is expected, so no operation
    /// documents one: each lists only those of the statuses above it can answer (`contract`).
    #[oai(content_type = "application/problem+json")]
    Other(StatusCode, Json<Problem>),
}

impl ApiError {
    /// An error answer with `status`, `code` and `detail`.
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        let body = Json(Problem::new(status, code, detail));
        match status {
            StatusCode::BAD_REQUEST => Self::BadRequest(body),
            StatusCode::UNAUTHORIZED => Self::Unauthorized(body),
            StatusCode::PAYMENT_REQUIRED => Self::PaymentRequired(body),
            StatusCode::FORBIDDEN => Self::Forbidden(body),
            StatusCode::NOT_FOUND => Self::NotFound(body),
            StatusCode::CONFLICT => Self::Conflict(body),
            StatusCode::GONE => Self::Gone(body),
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout(body),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(body),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(body),
            StatusCode::UNPROCESSABLE_ENTITY => Self::Unprocessable(body),
            s if s.as_u16() == 425 => Self::TooEarly(body),
            StatusCode::TOO_MANY_REQUESTS => Self::TooManyRequests(body),
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable(body),
            other => Self::Other(other, body),
        }
    }

    /// The problem this answer carries.
    pub fn problem(&self) -> &Problem {
        match self {
            Self::BadRequest(body)
            | Self::Unauthorized(body)
            | Self::PaymentRequired(body)
            | Self::Forbidden(body)
            | Self::NotFound(body)
            | Self::Conflict(body)
            | Self::Gone(body)
            | Self::RequestTimeout(body)
            | Self::PayloadTooLarge(body)
            | Self::UnsupportedMediaType(body)
            | Self::Unprocessable(body)
            | Self::TooEarly(body)
            | Self::TooManyRequests(body)
            | Self::Unavailable(body)
            | Self::Other(_, body) => &body.0,
        }
    }

    /// 422 `validation_failed` naming the field and the rule it broke.
    pub fn invalid(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            format!("{field}: {rule}"),
        )
    }

    /// 503 `unavailable`; the cause, with each of its sources, goes to the log (the one line
    /// written for this failure), not to the client.
    pub fn unavailable(cause: impl std::error::Error + 'static) -> Self {
        let cause = seckiller_domain::ports::chain(&cause);
        // An outage fails every request the same way: one line a second tells the operator,
        // the breakers log their own changes, and the rest go to debug.
        if log_pacing::due() {
            tracing::warn!(%cause, "dependency unavailable (further ones this second at debug)");
        } else {
            tracing::debug!(%cause, "dependency unavailable");
        }
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "a dependency is unavailable; retry shortly",
        )
    }
}

/// The stable code for an error the framework raised before a handler ran.
pub(crate) fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::BAD_REQUEST => ErrorCode::BadRequest,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::NOT_ACCEPTABLE => ErrorCode::NotAcceptable,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::LENGTH_REQUIRED => ErrorCode::LengthRequired,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::ValidationFailed,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::Error,
    }
}

/// Turns an error raised while reading the request (bad JSON, missing token, bad path) into a
/// problem answer, keeping the framework's status.
pub(crate) fn from_request_error(err: poem::Error) -> ApiError {
    let status = err.status();
    let detail = if status.is_server_error() {
        "internal error".to_owned()
    } else {
        err.to_string()
    };
    let detail = if status == StatusCode::UNAUTHORIZED && detail.is_empty() {
        "a bearer token is required".to_owned()
    } else {
        detail
    };
    ApiError::new(status, code_for_status(status), detail)
}

/// At most one warning a second for answers that fail the same way during an outage.
mod log_pacing {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    static LAST_SECOND: AtomicU64 = AtomicU64::new(0);

    /// True for the first call in each wall-clock second.
    pub(super) fn due() -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        LAST_SECOND.swap(now, Ordering::Relaxed) != now
    }
}

#[cfg(test)]
mod tests {
    use seckiller_application::Unavailable;
    use seckiller_domain::ports::{Cause, StorageError};

    use super::*;
    use crate::captured_log::CapturedLog;

    #[test]
    fn an_outage_is_logged_once_with_every_cause_and_told_to_nobody() {
        let log = CapturedLog::default();
        let subscriber = log.subscriber(tracing::Level::DEBUG);
        let failure = Unavailable::from(StorageError(Cause::new(std::io::Error::other(
            "connection reset by peer",
        ))));
        let answer =
            tracing::subscriber::with_default(subscriber, || ApiError::unavailable(failure));
        let logged = log.text();
        assert_eq!(logged.lines().count(), 1, "{logged}");
        assert!(
            logged
                .contains("dependency unavailable: storage unavailable: connection reset by peer"),
            "{logged}"
        );
        let problem = answer.problem();
        assert_eq!(problem.code, ErrorCode::Unavailable);
        assert!(!problem.detail.contains("connection reset"));
    }
}
