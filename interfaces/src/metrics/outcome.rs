//! What became of a purchase attempt, from its answer: the status, and for a problem answer its
//! `code`. The label takes one of a fixed set of values, so an unexpected code cannot grow the
//! number of series.

use poem::http::StatusCode;

use crate::error_code::ErrorCode;

/// The purchase route's template, as the OpenAPI document writes it.
pub(crate) const PURCHASE_ROUTE: &str = "/api/v1/activities/{id}/purchases";

/// Problem codes a purchase answer may carry, each counted under its own name.
const CODES: [ErrorCode; 15] = [
    ErrorCode::SoldOut,
    ErrorCode::LimitReached,
    ErrorCode::NotStarted,
    ErrorCode::Ended,
    ErrorCode::ActivityCancelled,
    ErrorCode::BadToken,
    ErrorCode::RateLimited,
    ErrorCode::Unavailable,
    ErrorCode::Overloaded,
    ErrorCode::NotFound,
    ErrorCode::Unauthorized,
    ErrorCode::InvalidToken,
    ErrorCode::TokenExpired,
    ErrorCode::ValidationFailed,
    ErrorCode::IdempotencyKeyReused,
];

/// Every outcome a purchase is counted under: `accepted`, each of [`CODES`], and `other` for
/// anything else.
pub(crate) fn outcomes() -> impl Iterator<Item = &'static str> {
    std::iter::once("accepted")
        .chain(CODES.iter().map(|code| code.as_str()))
        .chain(std::iter::once("other"))
}

/// The outcome of a purchase answered `status`, whose problem body (if any) is `body`.
pub(crate) fn purchase_outcome(status: StatusCode, body: &[u8]) -> &'static str {
    if status == StatusCode::ACCEPTED {
        return "accepted";
    }
    let Some(code) = problem_code(body) else {
        return "other";
    };
    CODES
        .iter()
        .map(|known| known.as_str())
        .find(|known| known.as_bytes() == code)
        .unwrap_or("other")
}

/// The `code` of a problem body, found without parsing the JSON: the body is one the API
/// rendered, with `"code":"…"` written compactly and codes in plain snake case.
fn problem_code(body: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"code\":\"";
    let start = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let rest = body.get(start..)?;
    let end = rest.iter().position(|b| *b == b'"')?;
    rest.get(..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_counted_under_its_code() {
        let conflict = br#"{"type":"/docs/problems#sold_out","title":"Conflict","status":409,"detail":"sold out","code":"sold_out"}"#;
        assert_eq!(purchase_outcome(StatusCode::CONFLICT, conflict), "sold_out");
        assert_eq!(
            purchase_outcome(StatusCode::CONFLICT, br#"{"code":"limit_reached"}"#),
            "limit_reached"
        );
        assert_eq!(purchase_outcome(StatusCode::ACCEPTED, b"{}"), "accepted");
    }

    #[test]
    fn an_unknown_code_or_body_is_other() {
        assert_eq!(
            purchase_outcome(StatusCode::CONFLICT, br#"{"code":"buyer-42"}"#),
            "other"
        );
        assert_eq!(purchase_outcome(StatusCode::BAD_GATEWAY, b""), "other");
        assert_eq!(
            purchase_outcome(StatusCode::CONFLICT, br#"{"code":"unterminated"#),
            "other"
        );
    }
}
