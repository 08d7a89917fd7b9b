//! Answers rendered once and sent many times: the crowd's most repeated answers (sold out, rate
//! limited, overloaded) cost a copy of shared bytes, not a JSON rendering each.

use bytes::Bytes;
use poem::http::header::{CONTENT_TYPE, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS};
use poem::http::{HeaderValue, StatusCode};
use poem::{IntoResponse, Response};

use crate::no_sniff::NOSNIFF;
use crate::problem::ApiError;

/// An answer rendered once by the API's own error mapping, so it cannot differ from the one an
/// endpoint would give.
pub(crate) struct CannedAnswer {
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl CannedAnswer {
    /// Renders `error` as the API would.
    pub(crate) async fn render(error: ApiError) -> Self {
        let response = error.into_response();
        let status = response.status();
        let content_type = response.headers().get(CONTENT_TYPE).cloned();
        // The body is already in memory; reading it cannot fail.
        let body = response.into_body().into_bytes().await.unwrap_or_default();
        Self {
            status,
            content_type,
            body,
        }
    }

    /// The answer, sharing the rendered body.
    pub(crate) fn response(&self) -> Response {
        let mut response = Response::builder()
            .status(self.status)
            .body(self.body.clone());
        if let Some(content_type) = &self.content_type {
            response
                .headers_mut()
                .insert(CONTENT_TYPE, content_type.clone());
        }
        response
            .headers_mut()
            .insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        response
    }

    /// The answer with `Retry-After: seconds` (at least 1, as a client told 0 retries at once).
    pub(crate) fn response_retry_after(&self, seconds: u64) -> Response {
        let mut response = self.response();
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        response
    }
}
