//! Plain endpoints outside the API: liveness, readiness and the landing page.

use poem::http::StatusCode;
use poem::web::{Data, Html, Json};
use poem::{IntoResponse, Response, handler};

use crate::app::ReadinessCheck;
use crate::problem::Problem;

/// Liveness: the process is up and serving.
#[handler]
pub(crate) fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database answers. 503 problem+json otherwise, so load balancers stop sending.
#[handler]
pub(crate) async fn readyz(check: Data<&ReadinessCheck>) -> Response {
    match (check.0)().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            let p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is not reachable",
            );
            let body = serde_json::json!({
                "type": p.problem_type, "title": p.title, "status": p.status, "detail": p.detail, "code": p.code,
            });
            Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .content_type("application/problem+json")
                .body(body.to_string())
        }
    }
}

/// The landing page: what is on sale now, and where the API lives.
#[handler]
pub(crate) fn landing_page() -> Html<&'static str> {
    Html(include_str!("web/index.html"))
}
