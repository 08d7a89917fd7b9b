//! The node's Prometheus metrics, served at `/metrics` in the Prometheus text format. Names are
//! `seckiller_<thing>_<unit>`, and every label takes a bounded set of values: route templates,
//! never raw paths; outcomes and dependencies from fixed lists; never a buyer.
//!
//! Request figures are recorded by the outermost HTTP layer ([`http`]); breaker states are read
//! at scrape time; the order writer's figures and the queue lag are recorded by the binary's
//! workers. The application layer knows nothing of this module.

mod breakers;
mod connections;
mod dependencies;
mod http;
mod outcome;
mod process;
mod routes;
mod sales;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use poem::endpoint::make;
use poem::{Endpoint, EndpointExt, Response, Route};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use seckiller_application::sale_figures::SaleFigure;
use seckiller_domain::ActivityId;

use crate::app::BreakerStates;
use breakers::BreakerCollector;
use connections::ConnectionCollector;
pub use connections::{ConnectionFigures, ConnectionReading};
use dependencies::DependencyFamilies;
pub use dependencies::{CallOutcome, DependencyMetrics};
pub(crate) use http::HttpMetrics;
use process::ProcessCollector;
pub use process::{ProcessFigures, ProcessReading};
pub(crate) use routes::RouteTemplates;
use sales::SaleSeries;

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
struct VersionLabel {
    version: &'static str,
}

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

/// The order writer's figures.
#[derive(Clone)]
struct WriterFigures {
    batches: Counter,
    orders: Counter,
    rejected: Counter,
    failures: Counter,
    batch_size: Histogram,
    commit: Histogram,
}

/// What became of orders and stock on this node.
#[derive(Clone)]
struct LifecycleFigures {
    paid: Counter,
    cancelled: Counter,
    expired: Counter,
    stock_returned: Counter,
    republished: Counter,
    gate_rebuilds: Counter,
}

/// The node's metrics: cheap to clone, all clones recording into one registry.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    sales: SaleSeries,
    in_flight: Gauge,
    max_in_flight: Gauge,
    writer: WriterFigures,
    lifecycle: LifecycleFigures,
    queue_lag: Gauge,
    dependencies: DependencyFamilies,
    breakers: Arc<OnceLock<BreakerStates>>,
    connections: Arc<OnceLock<ConnectionReading>>,
}

/// Registers a counter under `name` (the client library appends `_total`).
fn counter(registry: &mut Registry, name: &str, help: &str) -> Counter {
    let counter = Counter::default();
    registry.register(name, help, counter.clone());
    counter
}

impl Metrics {
    /// A fresh registry with every metric of the node; the process figures are read from
    /// `process` at each scrape, and the breakers and connections once they are watched.
    pub fn new(process: ProcessReading) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::new_with_constructor(duration_histogram as fn() -> Histogram);
        let in_flight = Gauge::default();
        let max_in_flight = Gauge::default();
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
            "seckiller_http_in_flight_requests",
            "HTTP requests being served now",
            in_flight.clone(),
        );
        registry.register(
            "seckiller_http_max_in_flight_requests",
            "Requests served at once past which the node sheds load (0: no cap)",
            max_in_flight.clone(),
        );
        let sales = SaleSeries::register(&mut registry);
        let breakers = Arc::new(OnceLock::new());
        let connections = Arc::new(OnceLock::new());
        registry.register_collector(Box::new(BreakerCollector(breakers.clone())));
        registry.register_collector(Box::new(ConnectionCollector(connections.clone())));
        registry.register_collector(Box::new(ProcessCollector(process)));
        let writer = WriterFigures {
            batches: counter(
                &mut registry,
                "seckiller_order_writer_batches",
                "Batches of purchases the order writer committed",
            ),
            orders: counter(
                &mut registry,
                "seckiller_order_writer_orders",
                "Orders the order writer created (redeliveries not counted)",
            ),
            rejected: counter(
                &mut registry,
                "seckiller_order_writer_rejected",
                "Accepted purchases the database ledger refused to turn into orders (their buyers are told)",
            ),
            failures: counter(
                &mut registry,
                "seckiller_order_writer_failures",
                "Batches the order writer could not write; they are delivered again",
            ),
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 11)),
            commit: duration_histogram(),
        };
        registry.register(
            "seckiller_order_writer_batch_size",
            "Purchases in each batch the order writer committed",
            writer.batch_size.clone(),
        );
        registry.register(
            "seckiller_order_writer_commit_duration_seconds",
            "Time the order writer took to write and commit one batch",
            writer.commit.clone(),
        );
        let queue_lag = Gauge::default();
        registry.register(
            "seckiller_queue_lag_purchases",
            "Published purchases not yet written as orders, all sales, as last read (every second)",
            queue_lag.clone(),
        );
        let lifecycle = LifecycleFigures {
            paid: counter(
                &mut registry,
                "seckiller_orders_paid",
                "Orders this node moved to paid",
            ),
            cancelled: counter(
                &mut registry,
                "seckiller_orders_cancelled",
                "Orders this node cancelled (by their buyer, or with their sale)",
            ),
            expired: counter(
                &mut registry,
                "seckiller_orders_expired",
                "Unpaid orders this node expired at their payment deadline",
            ),
            stock_returned: counter(
                &mut registry,
                "seckiller_stock_returned_items",
                "Items put back on sale by the cancellations and expiries of this node",
            ),
            republished: counter(
                &mut registry,
                "seckiller_reconciler_republished",
                "Purchases the gate took but the queue never got, published again by the reconciler",
            ),
            gate_rebuilds: counter(
                &mut registry,
                "seckiller_gate_rebuilds",
                "Running sales loaded into the stock gate from the database (after the gate lost or distrusted them)",
            ),
        };
        let dependencies = DependencyFamilies::register(&mut registry);
        registry.register(
            "seckiller_build",
            "The running version",
            Info::new(VersionLabel {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            durations,
            sales,
            in_flight,
            max_in_flight,
            writer,
            lifecycle,
            queue_lag,
            dependencies,
            breakers,
            connections,
        }
    }

    /// Metrics nobody scrapes, for a one-shot command that wires a node to do one thing.
    pub fn unscraped() -> Self {
        Self::new(Arc::new(ProcessFigures::default))
    }

    /// Reports the node's circuit breakers from now on (the first call wins).
    pub fn watch_breakers(&self, states: BreakerStates) {
        let _ = self.breakers.set(states);
    }

    /// Reports the API listener's connections from now on (the first call wins).
    pub fn watch_connections(&self, reading: ConnectionReading) {
        let _ = self.connections.set(reading);
    }

    /// The cap of requests in flight (0: none).
    pub fn set_max_in_flight(&self, cap: usize) {
        self.max_in_flight
            .set(i64::try_from(cap).unwrap_or(i64::MAX));
    }

    /// The recorder of the calls to `dependency`.
    pub fn dependency(&self, dependency: &'static str) -> DependencyMetrics {
        DependencyMetrics::new(dependency, &self.dependencies)
    }

    /// The live sales now, with their figures; a sale not among them stops being a label.
    pub fn set_sales(&self, figures: &[SaleFigure]) {
        self.sales.update(figures);
    }

    /// An order moved to paid.
    pub fn order_paid(&self) {
        self.lifecycle.paid.inc();
    }

    /// `orders` orders cancelled, `items` items back on sale.
    pub fn orders_cancelled(&self, orders: usize, items: u64) {
        self.lifecycle.cancelled.inc_by(as_count(orders));
        self.lifecycle.stock_returned.inc_by(items);
    }

    /// `orders` orders expired, `items` items back on sale.
    pub fn orders_expired(&self, orders: usize, items: u64) {
        self.lifecycle.expired.inc_by(as_count(orders));
        self.lifecycle.stock_returned.inc_by(items);
    }

    /// Purchases published again by the reconciler.
    pub fn republished(&self, purchases: usize) {
        self.lifecycle.republished.inc_by(as_count(purchases));
    }

    /// Sales loaded afresh into the gate.
    pub fn gate_rebuilt(&self, sales: usize) {
        self.lifecycle.gate_rebuilds.inc_by(as_count(sales));
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

    /// One batch of `purchases` committed by the order writer in `took`, creating `orders`
    /// orders and refusing `rejected` purchases.
    pub fn order_batch(&self, purchases: usize, orders: usize, rejected: usize, took: Duration) {
        self.writer.batches.inc();
        self.writer.orders.inc_by(as_count(orders));
        self.writer.rejected.inc_by(as_count(rejected));
        self.writer.batch_size.observe(purchases as f64);
        self.writer.commit.observe(took.as_secs_f64());
    }

    /// A batch the order writer could not write.
    pub fn order_batch_failed(&self) {
        self.writer.failures.inc();
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

    fn purchase(&self, sale: Option<ActivityId>, outcome: &'static str) {
        self.sales.purchase(sale, outcome);
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

fn as_count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// An application serving only `GET /metrics` from `metrics`, for a listener of its own.
pub fn metrics_app(metrics: &Metrics) -> impl Endpoint + 'static {
    Route::new()
        .at("/metrics", metrics.endpoint())
        .map_to_response()
}
