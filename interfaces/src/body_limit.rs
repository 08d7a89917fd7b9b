//! Request-body limits, in size and in time. Declared lengths over the size limit are refused
//! before reading (413); any other body is read here, up to the size limit and within the
//! body-read deadline, and handed to the handler from memory. A body that is too large gets
//! 413, one that trickles in too slowly 408 (a slowloris client sending a body a byte at a
//! time holds a handler for no longer than the deadline); the handler never sees either.

use std::time::Duration;

use poem::error::ReadBodyError;
use poem::http::StatusCode;
use poem::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use poem::{Endpoint, Error, Middleware, Request, Result};

/// Limits request bodies to `max_bytes`, read within `read_timeout`.
pub(crate) struct BodyLimit {
    /// Largest accepted body.
    pub max_bytes: usize,
    /// How long reading a body may take.
    pub read_timeout: Duration,
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            max: self.max_bytes,
            read_timeout: self.read_timeout,
        }
    }
}

/// The wrapped endpoint.
pub(crate) struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
    read_timeout: Duration,
}

fn too_large(max: usize) -> Error {
    Error::from_string(
        format!("the request body is larger than {max} bytes"),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .map(str::parse::<u64>);
        let has_body = match declared {
            Some(Ok(len)) if len > self.max as u64 => return Err(too_large(self.max)),
            Some(Ok(len)) => len > 0,
            Some(Err(_)) => {
                return Err(Error::from_string(
                    "invalid content-length",
                    StatusCode::BAD_REQUEST,
                ));
            }
            None => req.headers().contains_key(TRANSFER_ENCODING),
        };
        if has_body {
            let read = req.take_body().into_bytes_limit(self.max);
            let body = tokio::time::timeout(self.read_timeout, read)
                .await
                .map_err(|_| {
                    Error::from_string(
                        format!(
                            "the request body did not arrive within {} ms",
                            self.read_timeout.as_millis()
                        ),
                        StatusCode::REQUEST_TIMEOUT,
                    )
                })?
                .map_err(|e| match e {
                    ReadBodyError::PayloadTooLarge => too_large(self.max),
                    other => Error::from_string(other.to_string(), StatusCode::BAD_REQUEST),
                })?;
            req.set_body(body);
        }
        self.inner.call(req).await
    }
}
