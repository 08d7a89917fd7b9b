//! Assembles the HTTP application: the API service, docs, health probes and the page, behind the
//! rate limits, the body limits, tracing, the problem catcher, `nosniff` and the compression of
//! JSON lists; sold-out purchases and activity
//! details are answered in front of all of it, and past the in-flight cap nothing is served.
//! Outermost, every request gets its id and every answer is counted in the node's metrics.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use poem::http::Method;
use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApi, OpenApiService};
use seckiller_application::Adapters;
use seckiller_application::accounts::Accounts;
use seckiller_application::activities::Activities;
use seckiller_application::catalog::Catalog;
use seckiller_application::idempotency::Idempotency;
use seckiller_application::order_actions::OrderActions;
use seckiller_application::orders::Orders;
use seckiller_application::purchases::Purchases;
use seckiller_application::stats::Stats;
use seckiller_application::stock_returns::StockReturns;
use seckiller_domain::ActivityId;

use crate::allowed_methods::AllowedMethods;
use crate::api::{
    AccountsApi, ActivitiesApi, AdminActivitiesApi, AdminBuyersApi, AdminRateLimitsApi, CatalogApi,
    OrdersApi, PurchasesApi,
};
use crate::authentication::{Authentication, ProtectedRoutes};
use crate::body_limit::BodyLimit;
use crate::compression::JsonCompression;
use crate::content_security::{ConnectSources, DOCUMENT_POLICY, page_policy, security_headers};
use crate::flow_control::{FlowControl, FlowLimits, FlowSettings};
use crate::hot_answers::HotAnswers;
use crate::load_shedding::LoadShedding;
use crate::metrics::{HttpMetrics, Metrics, RouteTemplates};
use crate::no_sniff::NoSniff;
use crate::order_events::OrderEvents;
use crate::problem_catcher::ProblemCatcher;
use crate::request_id::RequestIds;
use crate::retry_after::RetryAfter;
use crate::static_answer::StaticAnswer;
use crate::{openapi_document, web};

/// The use cases the API serves.
pub struct Services<A: Adapters> {
    /// Accounts and sessions.
    pub accounts: Accounts<A>,
    /// The catalogue.
    pub catalog: Catalog<A>,
    /// Sales.
    pub activities: Activities<A>,
    /// The purchase path.
    pub purchases: Purchases<A>,
    /// Buyers' orders.
    pub orders: Orders<A>,
    /// Paying and cancelling orders.
    pub order_actions: OrderActions<A>,
    /// Sale statistics.
    pub stats: Stats<A>,
    /// State-changing requests under the client's `Idempotency-Key`.
    pub idempotency: Idempotency<A>,
    /// Settled purchases on this node, for long polls.
    pub order_events: OrderEvents,
    /// This node's circuit breakers and their states, for the admin stats.
    pub breakers: BreakerStates,
}

/// The node's circuit breakers, each as (dependency, state), read from memory.
pub type BreakerStates = Arc<dyn Fn() -> Vec<(&'static str, &'static str)> + Send + Sync>;

impl<A: Adapters> Clone for Services<A> {
    fn clone(&self) -> Self {
        Self {
            accounts: self.accounts.clone(),
            catalog: self.catalog.clone(),
            activities: self.activities.clone(),
            purchases: self.purchases.clone(),
            orders: self.orders.clone(),
            order_actions: self.order_actions.clone(),
            stats: self.stats.clone(),
            idempotency: self.idempotency.clone(),
            order_events: self.order_events.clone(),
            breakers: self.breakers.clone(),
        }
    }
}

impl<A: Adapters> Services<A> {
    /// All use cases over one set of adapters.
    pub fn new(
        adapters: Arc<A>,
        accounts: Accounts<A>,
        activities: Activities<A>,
        purchases: Purchases<A>,
        order_events: OrderEvents,
    ) -> Self {
        let returns = StockReturns::new(adapters.clone(), purchases.sold_out_flags().clone());
        Self {
            order_actions: OrderActions::new(adapters.clone(), returns),
            accounts,
            catalog: Catalog::new(adapters.clone()),
            activities,
            purchases,
            orders: Orders::new(adapters.clone()),
            idempotency: Idempotency::new(adapters.clone()),
            stats: Stats::new(adapters),
            order_events,
            breakers: Arc::new(Vec::new),
        }
    }

    /// The same services, reporting `breakers` in the admin stats.
    #[must_use]
    pub fn with_breakers(mut self, breakers: BreakerStates) -> Self {
        self.breakers = breakers;
        self
    }
}

/// One dependency as a readiness probe sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyReport {
    /// The dependency, e.g. `database`, `redis`, `nats`.
    pub name: &'static str,
    /// True when it answered now.
    pub up: bool,
    /// Its circuit breaker's state (`closed`, `open`, `half_open`), when it has one.
    pub breaker: Option<&'static str>,
    /// Why it is not up, for operators.
    pub detail: Option<String>,
}

/// Checks every dependency of the wiring and reports each; it must answer within a second.
pub type ReadinessCheck =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<DependencyReport>> + Send>> + Send + Sync>;

/// Stores a sale's own rate limit (0 = the node default) where every node reads it; `Err`
/// carries the reason for the log.
pub type SaleLimitStore = Arc<
    dyn Fn(ActivityId, u32) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
        + Send
        + Sync,
>;

/// HTTP settings that are not wiring.
#[derive(Clone)]
pub struct HttpSettings {
    /// Largest accepted request body in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// The API's public base address for the docs' "servers" entry: `/` (wherever the docs
    /// were loaded from) or an absolute address such as `https://shop.example.com`.
    pub public_url: String,
    /// How long a request body may take to arrive; slower ones get 408.
    pub body_read_timeout: Duration,
    /// Most requests served at once (0 = no cap); more get 503 `overloaded`.
    pub max_in_flight_requests: usize,
    /// The node's rate limits.
    pub flow: FlowLimits,
    /// Where admins' per-sale limits are kept.
    pub sale_limits: SaleLimitStore,
    /// The node's metrics, recorded by the outermost layer.
    pub metrics: Metrics,
    /// Whether this application serves `GET /metrics` (false when a listener of its own does).
    pub serve_metrics: bool,
}

fn api_service<A: Adapters>(
    services: Services<A>,
    rate_limits: (FlowLimits, SaleLimitStore),
    public_url: &str,
) -> OpenApiService<impl OpenApi, ()> {
    let (flow, store) = rate_limits;
    OpenApiService::new(
        (
            AccountsApi(services.clone()),
            CatalogApi(services.clone()),
            ActivitiesApi(services.clone()),
            PurchasesApi(services.clone()),
            OrdersApi(services.clone()),
            AdminActivitiesApi(services.clone()),
            AdminBuyersApi(services.clone()),
            AdminRateLimitsApi {
                services,
                flow,
                store,
            },
        ),
        "SecKiller",
        env!("CARGO_PKG_VERSION"),
    )
    .description("Flash sales that sell exactly their stock. Errors are application/problem+json with a stable `code`.")
    .server(public_url)
}

/// The finished document of `api` (see [`openapi_document`]) next to poem-openapi's own.
fn documents(api: &OpenApiService<impl OpenApi, ()>) -> (String, String) {
    let raw = api.spec();
    let finished = openapi_document::finish(&raw).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document could not be finished; serving it as generated");
        raw.clone()
    });
    (raw, finished)
}

/// Pages outside the API, each with the methods it answers (for `Allow` on 405 answers).
const PAGES: [(&str, &[Method]); 6] = [
    ("/docs", &[Method::GET]),
    ("/metrics", &[Method::GET]),
    ("/openapi.json", &[Method::GET]),
    ("/healthz", &[Method::GET]),
    ("/readyz", &[Method::GET]),
    ("/", &[Method::GET]),
];

/// The whole HTTP application.
pub fn build_app<A: Adapters>(
    services: Services<A>,
    readiness: ReadinessCheck,
    settings: &HttpSettings,
) -> impl Endpoint + 'static {
    let hot_answers = HotAnswers {
        sold_out: services.purchases.sold_out_flags().clone(),
        activities: services.activities.clone(),
        accounts: services.accounts.clone(),
    };
    let flow_control = FlowControl {
        limits: settings.flow.clone(),
    };
    let accounts = services.accounts.clone();
    let api = api_service(
        services,
        (settings.flow.clone(), settings.sale_limits.clone()),
        &settings.public_url,
    );
    let (raw, document) = documents(&api);
    // Swagger UI embeds the document it shows; show the finished one.
    let docs_page = api.swagger_ui_html().replacen(&raw, &document, 1);
    let connect = ConnectSources::for_public_url(&settings.public_url);
    let docs_policy = page_policy(&docs_page, &connect);
    let docs = StaticAnswer::new(
        docs_page,
        "text/html; charset=utf-8",
        security_headers(&docs_policy),
    );
    let landing = StaticAnswer::new(
        web::LANDING_PAGE,
        "text/html; charset=utf-8",
        security_headers(&page_policy(web::LANDING_PAGE, &connect)),
    );
    let pages: Vec<(&str, &[Method])> = PAGES
        .into_iter()
        .filter(|(path, _)| settings.serve_metrics || *path != "/metrics")
        .collect();
    let allowed = AllowedMethods::new(&document, &pages);
    let authentication = Authentication {
        accounts,
        routes: ProtectedRoutes::new(&document),
    };
    let http_metrics = HttpMetrics {
        metrics: settings.metrics.clone(),
        routes: RouteTemplates::new(&document, pages.iter().map(|(path, _)| *path)),
    };
    let mut routes = Route::new();
    if settings.serve_metrics {
        routes = routes.at("/metrics", settings.metrics.endpoint());
    }
    routes
        .nest_no_strip("/api/v1", api)
        .nest("/docs", Route::new().at("/", poem::get(docs.endpoint())))
        .at(
            "/openapi.json",
            poem::get(
                StaticAnswer::new(
                    document,
                    "application/json",
                    security_headers(DOCUMENT_POLICY),
                )
                .endpoint(),
            ),
        )
        .at("/healthz", poem::get(web::healthz))
        .at("/readyz", poem::get(web::readyz).data(readiness))
        .at("/", poem::get(landing.endpoint()))
        .with(flow_control)
        .with(BodyLimit {
            max_bytes: settings.max_body_bytes,
            read_timeout: settings.body_read_timeout,
        })
        // Who is calling is settled before the body is read or any rule about it applied.
        .with(authentication)
        .with(ProblemCatcher)
        .with(allowed)
        .with(RetryAfter)
        .with(JsonCompression)
        .with(NoSniff)
        .with(hot_answers)
        .with(LoadShedding(settings.max_in_flight_requests))
        .with(RequestIds::new())
        .with(http_metrics)
}

/// The OpenAPI document of the API, as served at `/openapi.json`.
pub fn openapi_spec<A: Adapters>(services: Services<A>, public_url: &str) -> String {
    let unlimited = FlowLimits::new(&FlowSettings::default());
    let unstored: SaleLimitStore =
        Arc::new(|_, _| Box::pin(async { Err("the document's node stores nothing".to_owned()) }));
    documents(&api_service(services, (unlimited, unstored), public_url)).1
}
