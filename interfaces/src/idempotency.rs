//! `Idempotency-Key` at the edge: a handler that changes state runs its work through [`keyed`],
//! which scopes the key to the caller, fingerprints the request (SHA-256 of method, path and the
//! body as parsed, so spacing and key order do not matter), and records the answer exactly as
//! sent (status, media type, body) for a retry to replay. A 5xx changed nothing and is not
//! recorded. Without the header the work simply runs.

use std::future::Future;

use poem::http::header::{CONTENT_TYPE, RETRY_AFTER};
use poem::http::{HeaderValue, StatusCode};
use poem::{IntoResponse, Request, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::types::ToJSON;
use seckiller_application::Adapters;
use seckiller_application::idempotency::{
    Answered, Idempotency, IdempotencyError, KeyedRequest, Outcome,
};
use seckiller_domain::{IdempotencyKey, IdempotencyScope, RecordedAnswer, RequestFingerprint};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error_code::ErrorCode;
use crate::problem::{ApiError, Problem};

/// Marks a replayed answer, as Stripe does.
const REPLAYED: &str = "idempotent-replayed";

/// A handler's answer when it honours `Idempotency-Key`: its own answer when unkeyed, else the
/// recorded one. The document shows the handler's own answers (the recorded ones are the same).
pub(crate) enum Idempotent<R> {
    /// No key: the handler's answer as it is.
    Unkeyed(R),
    /// Keyed: the answer recorded for the key, fresh or replayed.
    Recorded {
        /// The answer.
        answer: RecordedAnswer,
        /// True when an earlier request's answer is replayed.
        replayed: bool,
    },
    /// Keyed, and the same request is still running.
    InProgress {
        /// The 409 problem.
        problem: ApiError,
        /// Seconds until the runner's lease ends.
        retry_after: u64,
    },
}

impl<R: ApiResponse> ApiResponse for Idempotent<R> {
    const BAD_REQUEST_HANDLER: bool = R::BAD_REQUEST_HANDLER;

    fn meta() -> MetaResponses {
        R::meta()
    }

    fn register(registry: &mut Registry) {
        R::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        Self::Unkeyed(R::from_parse_request_error(err))
    }
}

impl<R: IntoResponse> IntoResponse for Idempotent<R> {
    fn into_response(self) -> Response {
        match self {
            Self::Unkeyed(answer) => answer.into_response(),
            Self::Recorded { answer, replayed } => {
                let status = StatusCode::from_u16(answer.status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let mut response = Response::builder()
                    .status(status)
                    .content_type(answer.media_type)
                    .body(answer.body);
                if replayed {
                    response
                        .headers_mut()
                        .insert(REPLAYED, HeaderValue::from_static("true"));
                }
                response
            }
            Self::InProgress {
                problem,
                retry_after,
            } => {
                let mut response = problem.into_response();
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
        }
    }
}

/// A request about to run, keyed or not.
pub(crate) struct Keyed<'a, A: Adapters> {
    idempotency: &'a Idempotency<A>,
    request: Option<KeyedRequest>,
}

/// Prepares `req` to run under its `Idempotency-Key` (`key`, as sent) in `scope`. `body` is the
/// request body as parsed, with every field the request depends on (a password included: only
/// someone who sent the very same body gets a replay).
///
/// # Errors
/// 422 `validation_failed` when the key is not 1 to 255 printable ASCII characters.
pub(crate) fn keyed<'a, A: Adapters>(
    idempotency: &'a Idempotency<A>,
    req: &Request,
    key: Option<String>,
    scope: IdempotencyScope,
    body: Option<Value>,
) -> Result<Keyed<'a, A>, ApiError> {
    let request = match key {
        None => None,
        Some(key) => Some(KeyedRequest {
            scope,
            key: IdempotencyKey::parse(&key)
                .map_err(|rule| ApiError::invalid("Idempotency-Key", rule))?,
            fingerprint: fingerprint(req, body.as_ref()),
        }),
    };
    Ok(Keyed {
        idempotency,
        request,
    })
}

/// `body` as the canonical JSON a fingerprint covers.
pub(crate) fn canonical<T: ToJSON>(body: &T) -> Option<Value> {
    body.to_json()
}

impl<A: Adapters> Keyed<'_, A> {
    /// Runs `work` once per key: a retry of the same request replays the recorded answer.
    ///
    /// # Errors
    /// Unkeyed, the work's own error. Keyed: 422 `idempotency_key_reused` when the key names
    /// another request, 503 when the key store is down (nothing ran); everything the work
    /// answered, errors included, comes back as a recorded answer.
    pub(crate) async fn run<R, F, Fut>(self, work: F) -> Result<Idempotent<R>, ApiError>
    where
        R: IntoResponse,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<R, ApiError>>,
    {
        let Some(request) = self.request else {
            return work().await.map(Idempotent::Unkeyed);
        };
        let ran = self
            .idempotency
            .run(request, || async {
                let response = match work().await {
                    Ok(answer) => answer.into_response(),
                    Err(problem) => problem.into_response(),
                };
                let answer = record(response).await;
                match StatusCode::from_u16(answer.status) {
                    Ok(status) if !status.is_server_error() => Outcome::Settled(answer),
                    _ => Outcome::NothingChanged(answer),
                }
            })
            .await;
        match ran {
            Ok(Answered::Ran(answer)) => Ok(Idempotent::Recorded {
                answer,
                replayed: false,
            }),
            Ok(Answered::Replayed(answer)) => Ok(Idempotent::Recorded {
                answer,
                replayed: true,
            }),
            Err(IdempotencyError::InProgress { retry_after }) => Ok(Idempotent::InProgress {
                problem: IdempotencyError::InProgress { retry_after }.into(),
                retry_after: retry_after.as_secs().max(1),
            }),
            Err(refused) => Err(refused.into()),
        }
    }
}

/// SHA-256 over the method, the path and the canonical body, as lowercase hex.
fn fingerprint(req: &Request, body: Option<&Value>) -> RequestFingerprint {
    let mut digest = Sha256::new();
    digest.update(req.method().as_str().as_bytes());
    digest.update(b"\n");
    digest.update(req.uri().path().as_bytes());
    digest.update(b"\n");
    if let Some(body) = body {
        digest.update(body.to_string().as_bytes());
    }
    let hex = digest
        .finalize()
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            hex.push_str(&format!("{byte:02x}"));
            hex
        });
    RequestFingerprint::new(hex)
}

/// An answer as it will be sent: status, media type and the whole body.
async fn record(response: Response) -> RecordedAnswer {
    let status = response.status().as_u16();
    let media_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    match response.into_body().into_string().await {
        Ok(body) => RecordedAnswer {
            status,
            media_type,
            body,
        },
        // An answer made in memory always reads; should one not, it is not recorded (5xx).
        Err(_) => {
            let problem = Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            );
            RecordedAnswer {
                status: 500,
                media_type: "application/problem+json".to_owned(),
                body: problem.to_json().map(|v| v.to_string()).unwrap_or_default(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use poem::http::Method;
    use serde_json::json;

    use super::*;

    fn post(path: &str) -> Request {
        Request::builder()
            .method(Method::POST)
            .uri_str(path)
            .finish()
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_body() {
        let a = fingerprint(&post("/api/v1/orders/1/payment"), None);
        assert_eq!(a, fingerprint(&post("/api/v1/orders/1/payment"), None));
        assert_ne!(a, fingerprint(&post("/api/v1/orders/2/payment"), None));
        let body = json!({"name": "Phone"});
        let with_body = fingerprint(&post("/api/v1/admin/products"), Some(&body));
        assert_ne!(
            with_body,
            fingerprint(
                &post("/api/v1/admin/products"),
                Some(&json!({"name": "Pad"}))
            )
        );
        assert_eq!(with_body.as_str().len(), 64);
        assert!(with_body.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn a_replayed_answer_is_sent_as_recorded_and_marked() {
        let sent = Idempotent::<()>::Recorded {
            answer: RecordedAnswer {
                status: 201,
                media_type: "application/json; charset=utf-8".to_owned(),
                body: r#"{"id":"x"}"#.to_owned(),
            },
            replayed: true,
        }
        .into_response();
        assert_eq!(sent.status(), StatusCode::CREATED);
        assert_eq!(
            sent.headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            sent.headers().get(REPLAYED).and_then(|v| v.to_str().ok()),
            Some("true")
        );
    }
}
