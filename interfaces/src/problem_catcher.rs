//! The last line of defence: whatever error escapes the API (unknown route, wrong method, body
//! too large, a framework error outside a handler) leaves as problem+json, never as plain text.

use poem::http::header::CONTENT_TYPE;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use crate::problem::{Problem, code_for_status};

/// Wraps an endpoint so every error answer is problem+json.
pub(crate) struct ProblemCatcher;

impl<E: Endpoint> Middleware<E> for ProblemCatcher {
    type Output = ProblemCatcherEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ProblemCatcherEndpoint(ep)
    }
}

/// The wrapped endpoint.
pub(crate) struct ProblemCatcherEndpoint<E>(E);

fn is_problem(resp: &Response) -> bool {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

fn problem_response(status: poem::http::StatusCode, detail: String) -> Response {
    let detail = if status.is_server_error() {
        tracing::error!(%detail, %status, "unhandled error");
        "internal error".to_owned()
    } else {
        detail
    };
    let problem = Problem::new(status, code_for_status(status), detail);
    let body = serde_json::json!({
        "type": problem.problem_type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code.as_str(),
    });
    Response::builder()
        .status(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}

impl<E: Endpoint> Endpoint for ProblemCatcherEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Self::Output> {
        match self.0.call(req).await {
            Ok(output) => {
                let resp = output.into_response();
                let failed = resp.status().is_client_error() || resp.status().is_server_error();
                if failed && !is_problem(&resp) {
                    let status = resp.status();
                    let detail = resp.into_body().into_string().await.unwrap_or_default();
                    return Ok(problem_response(status, detail));
                }
                Ok(resp)
            }
            Err(err) => {
                let status = err.status();
                let detail = err.to_string();
                let resp = err.into_response();
                if is_problem(&resp) {
                    Ok(resp)
                } else {
                    Ok(problem_response(status, detail))
                }
            }
        }
    }
}
