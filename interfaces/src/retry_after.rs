//! Every 503 tells the client when to come back: a `Retry-After` header of one second (the
//! breakers' probe interval by default) unless the answer already carries one. A dependency
//! outage then paces retrying clients instead of inviting a tight loop.

use poem::http::header::RETRY_AFTER;
use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// Adds `Retry-After` to 503 answers.
pub(crate) struct RetryAfter;

impl<E: Endpoint> Middleware<E> for RetryAfter {
    type Output = RetryAfterEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RetryAfterEndpoint { inner: ep }
    }
}

/// The wrapped endpoint.
pub(crate) struct RetryAfterEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RetryAfterEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let mut response = match self.inner.call(req).await {
            Ok(output) => output.into_response(),
            Err(error) => error.into_response(),
        };
        if response.status() == StatusCode::SERVICE_UNAVAILABLE
            && !response.headers().contains_key(RETRY_AFTER)
        {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        Ok(response)
    }
}
