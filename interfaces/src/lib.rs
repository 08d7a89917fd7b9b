//! The HTTP face of SecKiller: the JSON API under `/api/v1` (poem-openapi), its Swagger UI and
//! spec, health probes, Prometheus metrics, and the landing page. Every error leaves as `application/problem+json`
//! with a stable `code`, mapped from the use cases' errors in one place.
//!
//! Depends on the application and domain only; adapters are chosen by the binary that wires it.

mod allowed_methods;
mod api;
mod app;
mod auth;
mod authentication;
mod body_limit;
mod canned_answer;
#[cfg(test)]
mod captured_log;
mod compression;
mod content_security;
pub mod contract;
mod dto;
mod error_code;
mod error_mapping;
mod flow_control;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod hot_answers;
mod idempotency;
mod load_shedding;
mod metrics;
mod no_sniff;
mod openapi_document;
mod order_events;
mod problem;
mod problem_catcher;
mod request_id;
mod retry_after;
mod static_answer;
mod web;

pub use app::{
    BreakerStates, DependencyReport, HttpSettings, ReadinessCheck, SaleLimitStore, Services,
    build_app, openapi_spec,
};
pub use error_code::ErrorCode;
pub use flow_control::{FlowLimits, FlowSettings};
pub use metrics::{
    CallOutcome, ConnectionFigures, ConnectionReading, DependencyMetrics, Metrics, ProcessFigures,
    ProcessReading, metrics_app,
};
pub use order_events::OrderEvents;
pub use problem::{ApiError, Problem};
