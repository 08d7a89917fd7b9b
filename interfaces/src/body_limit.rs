//! Request-body size limit. Declared lengths over the limit are refused before reading; bodies
//! without a declared length (chunked) are read up to the limit and refused past it. Either way
//! the answer is 413 and the handler never sees the body.

use poem::error::ReadBodyError;
use poem::http::StatusCode;
use poem::http::header::CONTENT_LENGTH;
use poem::{Endpoint, Error, Middleware, Request, Result};

/// Limits request bodies to a number of bytes.
pub(crate) struct BodyLimit(pub usize);

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            max: self.0,
        }
    }
}

/// The wrapped endpoint.
pub(crate) struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
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
        match declared {
            Some(Ok(len)) if len > self.max as u64 => return Err(too_large(self.max)),
            Some(Ok(_)) => {}
            Some(Err(_)) => {
                return Err(Error::from_string(
                    "invalid content-length",
                    StatusCode::BAD_REQUEST,
                ));
            }
            None => {
                let body =
                    req.take_body()
                        .into_bytes_limit(self.max)
                        .await
                        .map_err(|e| match e {
                            ReadBodyError::PayloadTooLarge => too_large(self.max),
                            other => Error::from_string(other.to_string(), StatusCode::BAD_REQUEST),
                        })?;
                req.set_body(body);
            }
        }
        self.inner.call(req).await
    }
}
