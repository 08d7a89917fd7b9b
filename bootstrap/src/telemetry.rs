//! Logging and tracing through `tracing`: log lines readable by default, JSON lines when
//! configured, always on stderr (so commands that print a result — `openapi`, `check`,
//! `status` — keep stdout clean for pipes); and, when an OTLP endpoint is configured, spans
//! exported over OTLP/HTTP with their own filter. Without an endpoint no exporter exists and the
//! debug-level spans around port calls are disabled at their call sites, so tracing costs what
//! it cost before.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::LogFormat;

/// The path OTLP/HTTP receivers take traces on.
const TRACES_PATH: &str = "/v1/traces";

/// Where spans are exported, if anywhere.
#[derive(Debug, Clone)]
pub struct TraceExport {
    /// The receiver's base address (`http://host:4318`) or its traces address.
    pub endpoint: String,
    /// Which spans are exported.
    pub filter: String,
}

/// The installed telemetry; [`Telemetry::shutdown`] sends the spans still buffered.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Flushes and stops the exporter, if there is one. Blocks: call it outside the runtime.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing the trace exporter failed");
        }
    }
}

/// The traces address for `endpoint`: taken as it is when it names the traces path already.
fn traces_url(endpoint: &str) -> String {
    let base = endpoint.trim_end_matches('/');
    if base.ends_with(TRACES_PATH) {
        base.to_owned()
    } else {
        format!("{base}{TRACES_PATH}")
    }
}

fn exporter(export: &TraceExport) -> Result<SdkTracerProvider, String> {
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(traces_url(&export.endpoint))
        .build()
        .map_err(|e| e.to_string())?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name("seckiller")
                .with_attribute(opentelemetry::KeyValue::new(
                    "service.version",
                    env!("CARGO_PKG_VERSION"),
                ))
                .build(),
        )
        .build())
}

/// Installs the global subscriber. Calling it twice is harmless (the second call is ignored),
/// so tests may start several servers in one process. Build the exporter outside the async
/// runtime: its HTTP client is a blocking one, run on the exporter's own thread.
pub fn init_telemetry(filter: &str, format: LogFormat, export: Option<&TraceExport>) -> Telemetry {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    let (provider, failed) = match export.map(exporter) {
        Some(Ok(provider)) => (Some(provider), None),
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };
    let spans = match (&provider, export) {
        (Some(provider), Some(export)) => {
            let filter =
                EnvFilter::try_new(&export.filter).unwrap_or_else(|_| EnvFilter::new("info"));
            Some(
                tracing_opentelemetry::layer()
                    .with_tracer(provider.tracer("seckiller"))
                    .with_filter(filter),
            )
        }
        _ => None,
    };
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(spans)
        .try_init();
    if let Some(error) = failed {
        tracing::error!(%error, "the OTLP trace exporter could not be built; traces are not exported");
    } else if let Some(export) = export {
        tracing::info!(endpoint = %traces_url(&export.endpoint), "exporting traces over OTLP");
    }
    Telemetry { provider }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_added_once() {
        assert_eq!(traces_url("http://c:4318"), "http://c:4318/v1/traces");
        assert_eq!(traces_url("http://c:4318/"), "http://c:4318/v1/traces");
        assert_eq!(
            traces_url("http://c:4318/v1/traces"),
            "http://c:4318/v1/traces"
        );
    }
}
