//! `X-Content-Type-Options: nosniff` on every answer, so no browser reads a JSON or problem body
//! as a script, a style or a page. The answers made in front of routing carry it from where they
//! are made ([`crate::canned_answer`], the activity detail), so the hot path passes no extra layer.

use poem::http::HeaderValue;
use poem::http::header::X_CONTENT_TYPE_OPTIONS;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// Adds `X-Content-Type-Options: nosniff`.
pub(crate) struct NoSniff;

impl<E: Endpoint> Middleware<E> for NoSniff {
    type Output = NoSniffEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        NoSniffEndpoint { inner }
    }
}

/// The wrapped endpoint.
pub(crate) struct NoSniffEndpoint<E> {
    inner: E,
}

/// The header's one value.
pub(crate) const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");

impl<E: Endpoint> Endpoint for NoSniffEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let mut response = match self.inner.call(req).await {
            Ok(output) => output.into_response(),
            Err(error) => error.into_response(),
        };
        response
            .headers_mut()
            .insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
        Ok(response)
    }
}
