//! Load shedding: past a number of requests in flight, a node answers 503 `overloaded` at once,
//! from a body rendered once, with `Retry-After: 1`, instead of queueing work it cannot finish
//! in time. Counting is one atomic try-acquire per request.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tokio::sync::{OnceCell, Semaphore};

use crate::canned_answer::CannedAnswer;
use crate::error_code::ErrorCode;
use crate::problem::ApiError;

/// Caps the requests in flight; 0 means no cap.
pub(crate) struct LoadShedding(pub usize);

impl<E: Endpoint> Middleware<E> for LoadShedding {
    type Output = LoadSheddingEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        LoadSheddingEndpoint {
            inner,
            slots: (self.0 > 0).then(|| Arc::new(Semaphore::new(self.0))),
            overloaded: OnceCell::new(),
        }
    }
}

/// The wrapped application.
pub(crate) struct LoadSheddingEndpoint<E> {
    inner: E,
    slots: Option<Arc<Semaphore>>,
    overloaded: OnceCell<CannedAnswer>,
}

impl<E: Endpoint> Endpoint for LoadSheddingEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let _slot = match &self.slots {
            None => None,
            Some(slots) => match slots.try_acquire() {
                Ok(slot) => Some(slot),
                Err(_) => {
                    let answer = self
                        .overloaded
                        .get_or_init(|| {
                            CannedAnswer::render(ApiError::new(
                                StatusCode::SERVICE_UNAVAILABLE,
                                ErrorCode::Overloaded,
                                "the node is serving as many requests as it can; retry shortly",
                            ))
                        })
                        .await;
                    return Ok(answer.response_retry_after(1));
                }
            },
        };
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use poem::endpoint::make;
    use poem::test::TestClient;
    use poem::{EndpointExt, get};

    use super::*;

    #[tokio::test]
    async fn a_request_past_the_cap_is_answered_503_at_once() {
        let (entered_tx, entered_rx) = tokio::sync::oneshot::channel::<()>();
        let entered_tx = std::sync::Mutex::new(Some(entered_tx));
        let release = Arc::new(tokio::sync::Notify::new());
        let held = release.clone();
        let app = get(make(move |_| {
            if let Some(tx) = entered_tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
            let held = held.clone();
            async move {
                held.notified().await;
                "done"
            }
        }))
        .with(LoadShedding(1));
        let client = Arc::new(TestClient::new(app));
        let first = tokio::spawn({
            let client = client.clone();
            async move { client.get("/").send().await.0.status() }
        });
        entered_rx.await.unwrap();
        let second = client.get("/").send().await;
        second.assert_status(StatusCode::SERVICE_UNAVAILABLE);
        second.assert_header("retry-after", "1");
        let content_type = second.0.headers().get("content-type").unwrap();
        assert!(
            content_type
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );
        release.notify_one();
        assert_eq!(first.await.unwrap(), StatusCode::OK);
    }
}
