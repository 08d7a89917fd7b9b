//! The node's Prometheus metrics, served at `/metrics` in the Prometheus text format. Names are
//! `seckiller_<thing>_<unit>`, and every label takes a bounded set of values: route templates,
//! never raw paths; outcomes and dependencies from fixed lists; never a buyer.
//!
//! Request figures are recorded by the outermost HTTP layer ([`http`]); breaker states are read
//! at scrape time; the order writer's figures and the queue lag are recorded by the binary's
//! workers. The application layer knows nothing of this module.

mod breakers;
mod http;
mod outcome;
mod process;
mod routes;

use std::sync::Arc;
use std::time::Duration;

use poem::endpoint::make;
use poem::{Endpoint, EndpointExt, Response, Route};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::app::BreakerStates;
use breakers::BreakerCollector;
pub(crate) use http::HttpMetrics;
use process::ProcessCollector;
pub use process::{ProcessFigures, ProcessReading};
pub(crate) use routes::RouteTemplates;

/// Upper bounds of the request duration buckets, in seconds: a sold-out answer takes
/// microseconds, a long poll up to ten seconds.
const DURATION_BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A route template as a label value, shared rather than copied per request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RouteLabel(Arc<str>);

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&&*self.0, encoder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: RouteLabel,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: RouteLabel,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// The node's metrics: cheap to clone, all clones recording into one registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    purchases: Family<OutcomeLabels, Counter>,
    in_flight: Gauge,
    batches: Counter,
    orders_written: Counter,
    queue_lag: Gauge,
}

impl Metrics {
    /// A fresh registry with the request, purchase, in-flight and worker metrics, and the
    /// node's circuit breakers and process figures read from `breakers` and `process` at each
    /// scrape.
    pub fn new(breakers: BreakerStates, process: ProcessReading) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::new_with_constructor(duration_histogram as fn() -> Histogram);
        let purchases = Family::<OutcomeLabels, Counter>::default();
        let in_flight = Gauge::default();
        // The client library appends `_total` to counters and the unit to names.
        registry.register(
            "seckiller_http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        registry.register(
            "seckiller_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            durations.clone(),
        );
        registry.register(
            "seckiller_purchases",
            "Purchase attempts answered, by outcome",
            purchases.clone(),
        );
        registry.register(
            "seckiller_http_in_flight_requests",
            "HTTP requests being served now",
            in_flight.clone(),
        );
        registry.register_collector(Box::new(BreakerCollector(breakers)));
        registry.register_collector(Box::new(ProcessCollector(process)));
        let batches = Counter::default();
        let orders_written = Counter::default();
        let queue_lag = Gauge::default();
        registry.register(
            "seckiller_order_writer_batches",
            "Batches of purchases the order writer committed",
            batches.clone(),
        );
        registry.register(
            "seckiller_order_writer_orders",
            "Orders the order writer created (redeliveries not counted)",
            orders_written.clone(),
        );
        registry.register(
            "seckiller_queue_lag",
            "Published purchases not yet written as orders, as last read (every second)",
            queue_lag.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            durations,
            purchases,
            in_flight,
            batches,
            orders_written,
            queue_lag,
        }
    }

    /// Every metric in the Prometheus text format (version 0.0.4). It reads the process
    /// figures, so call it off the async executor.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if let Err(error) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        {
            // Writing to a String cannot fail; a collector could, and then the scrape is partial.
            tracing::warn!(%error, "encoding the metrics failed");
        }
        text
    }

    /// One batch committed by the order writer, creating `orders` orders.
    pub fn order_batch(&self, orders: usize) {
        self.batches.inc();
        self.orders_written
            .inc_by(u64::try_from(orders).unwrap_or(u64::MAX));
    }

    /// The queue's lag as just read.
    pub fn set_queue_lag(&self, lag: u64) {
        self.queue_lag.set(i64::try_from(lag).unwrap_or(i64::MAX));
    }

    fn request(&self, route: Arc<str>, method: &'static str, status: u16, took: Duration) {
        let route = RouteLabel(route);
        self.durations
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
    }

    fn purchase(&self, outcome: &'static str) {
        self.purchases
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    fn in_flight(&self) -> &Gauge {
        &self.in_flight
    }

    /// `GET /metrics`, answering the current figures.
    pub(crate) fn endpoint(&self) -> impl Endpoint + 'static {
        let metrics = self.clone();
        poem::get(make(move |_| {
            let metrics = metrics.clone();
            async move {
                let text = tokio::task::spawn_blocking(move || metrics.render())
                    .await
                    .unwrap_or_default();
                Response::builder()
                    .content_type(prometheus_client::encoding::prometheus_text::CONTENT_TYPE)
                    .body(text)
            }
        }))
    }
}

/// An application serving only `GET /metrics` from `metrics`, for a listener of its own.
pub fn metrics_app(metrics: &Metrics) -> impl Endpoint + 'static {
    Route::new()
        .at("/metrics", metrics.endpoint())
        .map_to_response()
}
