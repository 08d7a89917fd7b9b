//! What became of a purchase attempt, from its answer: the status, and for a problem answer its
//! `code`. The label takes one of a fixed set of values, so an unexpected code cannot grow the
//! number of series.

use poem::http::StatusCode;

/// The purchase route's template, as the OpenAPI document writes it.
pub(crate) const PURCHASE_ROUTE: &str = "/api/v1/activities/{id}/purchases";

/// Every outcome a purchase is counted under: accepted, each problem code a purchase answer
/// may carry, and `other` for anything else.
pub(crate) const OUTCOMES: [&str; 17] = [
    "accepted",
    "sold_out",
    "limit_reached",
    "not_started",
    "ended",
    "activity_cancelled",
    "bad_token",
    "rate_limited",
    "unavailable",
    "overloaded",
    "not_found",
    "unauthorized",
    "invalid_token",
    "token_expired",
    "validation_failed",
    "idempotency_key_reused",
    "other",
];

/// The outcomes named by a problem code.
fn codes() -> &'static [&'static str] {
    OUTCOMES.get(1..OUTCOMES.len() - 1).unwrap_or_default()
}

/// The outcome of a purchase answered `status`, whose problem body (if any) is `body`.
pub(crate) fn purchase_outcome(status: StatusCode, body: &[u8]) -> &'static str {
    if status == StatusCode::ACCEPTED {
        return "accepted";
    }
    let Some(code) = problem_code(body) else {
        return "other";
    };
    codes()
        .iter()
        .find(|known| known.as_bytes() == code)
        .copied()
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
