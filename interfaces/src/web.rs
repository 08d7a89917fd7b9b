//! Plain endpoints outside the API: liveness, readiness and the landing page.

use std::time::Duration;

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde_json::{Map, Value, json};

use crate::app::{DependencyReport, ReadinessCheck};
use crate::error_code::ErrorCode;
use crate::problem::Problem;

/// A readiness probe answers within this, whatever its dependencies do.
const READINESS_DEADLINE: Duration = Duration::from_secs(1);

/// Liveness: the process is up and serving.
#[handler]
pub(crate) fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

fn dependencies(reports: &[DependencyReport]) -> Value {
    let mut map = Map::new();
    for report in reports {
        let mut entry = Map::new();
        entry.insert(
            "status".into(),
            json!(if report.up { "up" } else { "down" }),
        );
        if let Some(breaker) = report.breaker {
            entry.insert("breaker".into(), json!(breaker));
        }
        if let Some(detail) = &report.detail {
            entry.insert("detail".into(), json!(detail));
        }
        map.insert(report.name.into(), Value::Object(entry));
    }
    Value::Object(map)
}

/// Readiness: every dependency of the wiring answers (the database; Redis and NATS when
/// configured). 200 with each dependency's state, else 503 problem+json naming the failing
/// ones, so load balancers stop sending. Answers within a second even when a dependency hangs.
#[handler]
pub(crate) async fn readyz(check: Data<&ReadinessCheck>) -> Response {
    let reports = match tokio::time::timeout(READINESS_DEADLINE, (check.0)()).await {
        Ok(reports) => reports,
        Err(_) => vec![DependencyReport {
            name: "readiness",
            up: false,
            breaker: None,
            detail: Some("the dependencies did not answer within a second".into()),
        }],
    };
    let down: Vec<&str> = reports.iter().filter(|r| !r.up).map(|r| r.name).collect();
    if down.is_empty() {
        return Json(json!({ "status": "ready", "dependencies": dependencies(&reports) }))
            .into_response();
    }
    let p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
        format!("not ready: {} unavailable", down.join(", ")),
    );
    let body = json!({
        "type": p.problem_type, "title": p.title, "status": p.status, "detail": p.detail, "code": p.code.as_str(),
        "dependencies": dependencies(&reports),
    });
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .content_type("application/problem+json")
        .body(body.to_string())
}

/// The landing page: what is on sale now, and where the API lives. Served as a
/// [`crate::static_answer::StaticAnswer`] with a policy naming its inline script and style.
pub(crate) const LANDING_PAGE: &str = include_str!("web/index.html");
