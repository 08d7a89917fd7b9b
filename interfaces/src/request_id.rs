//! Request ids: every request gets one — the client's `X-Request-Id` when it is sane (1 to 128
//! characters of letters, digits and `-_.:`), else a new one — echoed in the answer's
//! `X-Request-Id`, carried by the request's tracing span (so every log line of the request
//! names it), and written into every problem+json body as `request_id`, the canned answers
//! given in front of routing included. New ids are a per-process random prefix and a counter:
//! unique across nodes and restarts, and made with no system call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use poem::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use poem::http::{HeaderName, HeaderValue};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

/// The header a request id travels in, both ways.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id taken as it is.
const MAX_LEN: usize = 128;

/// Whether a client's id may be taken as it is: short, and nothing that needs escaping in a
/// header, a log line or JSON.
fn sane(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

/// Makes new ids.
struct IdSource {
    prefix: u64,
    next: AtomicU64,
}

impl IdSource {
    fn new() -> Self {
        // The random part of a UUIDv7 seeds the prefix, so two processes do not share one.
        let (_, random) = uuid::Uuid::now_v7().as_u64_pair();
        Self {
            prefix: random,
            next: AtomicU64::new(0),
        }
    }

    fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:016x}-{:012x}", self.prefix, n & 0xffff_ffff_ffff);
        // Hex digits and a dash are always a valid header value.
        HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
    }
}

/// Gives every request an id.
pub(crate) struct RequestIds {
    source: Arc<IdSource>,
}

impl RequestIds {
    pub(crate) fn new() -> Self {
        Self {
            source: Arc::new(IdSource::new()),
        }
    }
}

impl<E: Endpoint> Middleware<E> for RequestIds {
    type Output = RequestIdsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestIdsEndpoint {
            inner,
            source: self.source.clone(),
        }
    }
}

/// The wrapped application.
pub(crate) struct RequestIdsEndpoint<E> {
    inner: E,
    source: Arc<IdSource>,
}

fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
        && !response.headers().contains_key(CONTENT_ENCODING)
}

/// `body` (a JSON object) with `"request_id":"<id>"` added as its last member; `None` when it
/// is no object or names a request id already.
fn with_request_id(body: &[u8], id: &[u8]) -> Option<Bytes> {
    let trimmed = body.trim_ascii_end();
    let open = trimmed.strip_suffix(b"}")?;
    if !trimmed.starts_with(b"{") || body.windows(12).any(|w| w == b"\"request_id\"") {
        return None;
    }
    let mut out = BytesMut::with_capacity(trimmed.len() + id.len() + 18);
    out.put_slice(open);
    if open.trim_ascii_end() != b"{" {
        out.put_u8(b',');
    }
    out.put_slice(b"\"request_id\":\"");
    out.put_slice(id);
    out.put_slice(b"\"}");
    Some(out.freeze())
}

impl<E: Endpoint> Endpoint for RequestIdsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let id = match req.headers().get(X_REQUEST_ID) {
            Some(given) if sane(given.as_bytes()) => given.clone(),
            _ => self.source.next(),
        };
        let span = tracing::info_span!(
            "request",
            request_id = id.to_str().unwrap_or_default(),
            method = %req.method(),
            path = req.uri().path(),
        );
        let started = Instant::now();
        let mut response = match self.inner.call(req).instrument(span.clone()).await {
            Ok(response) => response.into_response(),
            Err(error) => error.into_response(),
        };
        if is_problem(&response) {
            // Problem bodies are small and already in memory.
            let body = response.take_body().into_bytes().await.unwrap_or_default();
            let body = with_request_id(&body, id.as_bytes()).unwrap_or(body);
            response.headers_mut().remove(CONTENT_LENGTH);
            response.set_body(Body::from_bytes(body));
        }
        span.in_scope(|| {
            tracing::debug!(
                status = response.status().as_u16(),
                micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "answered"
            );
        });
        response.headers_mut().insert(X_REQUEST_ID, id);
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken_as_they_are() {
        assert!(sane(b"abc-123_x.y:z"));
        assert!(sane(&[b'a'; MAX_LEN]));
        assert!(!sane(&[b'a'; MAX_LEN + 1]));
        assert!(!sane(b""));
        for bad in [&b"a b"[..], b"a\"b", b"a\\b", b"<script>", "é".as_bytes()] {
            assert!(!sane(bad), "{bad:?}");
        }
    }

    #[test]
    fn new_ids_differ_and_are_sane() {
        let source = IdSource::new();
        let (a, b) = (source.next(), source.next());
        assert_ne!(a, b);
        assert!(sane(a.as_bytes()) && sane(b.as_bytes()));
        assert_ne!(IdSource::new().next(), a, "another process, another prefix");
    }

    #[test]
    fn the_id_is_the_last_member_of_a_problem_body() {
        let body = br#"{"type":"/docs/problems#sold_out","code":"sold_out"}"#;
        let with = with_request_id(body, b"r-1").unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&with).unwrap();
        assert_eq!(parsed["request_id"], "r-1");
        assert_eq!(parsed["code"], "sold_out");
        assert_eq!(
            &with_request_id(b"{}", b"r").unwrap()[..],
            br#"{"request_id":"r"}"#
        );
        assert_eq!(with_request_id(b"[1]", b"r"), None);
        assert_eq!(with_request_id(br#"{"request_id":"x"}"#, b"r"), None);
    }

    /// A log line written while serving a request, and the problem it answers, name the id.
    #[tokio::test]
    async fn the_span_and_the_problem_body_carry_the_id() {
        use poem::EndpointExt;
        use poem::http::StatusCode;
        use poem::test::TestClient;

        use crate::captured_log::CapturedLog;

        let log = CapturedLog::default();
        let subscriber = log.subscriber(tracing::Level::INFO);
        let _guard = tracing::subscriber::set_default(subscriber);

        let app = poem::endpoint::make(|_| async {
            tracing::warn!("something went wrong");
            crate::problem::ApiError::new(
                StatusCode::CONFLICT,
                crate::error_code::ErrorCode::SoldOut,
                "sold out",
            )
        })
        .with(RequestIds::new());
        let client = TestClient::new(app);
        let given = client
            .get("/")
            .header("x-request-id", "order-42")
            .send()
            .await;
        given.assert_header("x-request-id", "order-42");
        let body: serde_json::Value = given.0.into_body().into_json().await.unwrap();
        assert_eq!(body["request_id"], "order-42");
        assert_eq!(body["code"], "sold_out");
        let logged = log.text();
        assert!(logged.contains("request_id=\"order-42\""), "{logged}");

        let replaced = client
            .get("/")
            .header("x-request-id", "not \"sane\"")
            .send()
            .await;
        let id = replaced.0.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(sane(id.as_bytes()) && id != "not \"sane\"");
        let body: serde_json::Value = replaced.0.into_body().into_json().await.unwrap();
        assert_eq!(body["request_id"], id.as_str());
    }
}
