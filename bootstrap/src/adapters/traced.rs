//! A span around one port call — its name (`gate.take`), the sale it is for and how it ended —
//! for the trace export. The spans are at `debug`: with no exporter configured they are
//! disabled where they are made, and the call runs as it would without them.

use std::future::Future;

use seckiller_domain::ActivityId;
use tracing::Instrument;
use tracing::field::{Empty, display};

/// Runs `call` inside a span named `name` (as the exported span's name) for `sale`, recording
/// the outcome `outcome` names for its result.
pub(crate) async fn traced<T, E, F>(
    name: &'static str,
    sale: Option<ActivityId>,
    call: F,
    outcome: impl FnOnce(&Result<T, E>) -> &'static str,
) -> Result<T, E>
where
    F: Future<Output = Result<T, E>>,
{
    let span = tracing::debug_span!(
        "port",
        otel.name = name,
        sale = Empty,
        outcome = Empty,
        otel.status_code = Empty
    );
    if span.is_disabled() {
        return call.await;
    }
    if let Some(sale) = sale {
        span.record("sale", display(sale));
    }
    let result = call.instrument(span.clone()).await;
    span.record("outcome", outcome(&result));
    if result.is_err() {
        span.record("otel.status_code", "ERROR");
    }
    result
}

/// `ok` or `error`, for calls whose answer says nothing more.
pub(crate) fn ok_or_error<T, E>(result: &Result<T, E>) -> &'static str {
    if result.is_ok() { "ok" } else { "error" }
}
