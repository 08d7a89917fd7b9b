//! The outermost layer: counts every answer the node gives — including those given in front of
//! routing (sold out, activity details, load shedding, rate limits) — by route template, method
//! and status, times it, and keeps the number of requests in flight. A purchase is counted by
//! its sale too (see [`super::sales`]).

use std::time::Instant;

use poem::http::{Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::Metrics;
use super::outcome::{PURCHASE_ROUTE, purchase_outcome};
use super::routes::RouteTemplates;

/// Records request metrics into `metrics`, naming routes by `routes`.
pub(crate) struct HttpMetrics {
    /// Where the figures go.
    pub metrics: Metrics,
    /// The node's route templates.
    pub routes: RouteTemplates,
}

impl<E: Endpoint> Middleware<E> for HttpMetrics {
    type Output = HttpMetricsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        HttpMetricsEndpoint {
            inner,
            metrics: self.metrics.clone(),
            routes: self.routes.clone(),
        }
    }
}

/// The wrapped application.
pub(crate) struct HttpMetricsEndpoint<E> {
    inner: E,
    metrics: Metrics,
    routes: RouteTemplates,
}

/// The method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Lowers the in-flight gauge when the request is done, however it ends (a dropped connection
/// cancels the future).
struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight().dec();
    }
}

impl<E: Endpoint> Endpoint for HttpMetricsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let started = Instant::now();
        self.metrics.in_flight().inc();
        let _in_flight = InFlight(&self.metrics);
        let route = self.routes.of(req.uri().path());
        let method = method_label(req.method());
        // Only a purchase is counted by its sale: no other request pays for reading the id.
        let sale = (&*route == PURCHASE_ROUTE)
            .then(|| crate::hot_answers::purchase_of(&req))
            .flatten();
        let mut response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(error) => error.into_response(),
        };
        let status = response.status();
        if &*route == PURCHASE_ROUTE && method == "POST" {
            let outcome = if status == StatusCode::ACCEPTED {
                purchase_outcome(status, b"")
            } else {
                // Problem bodies are rendered in memory: taking and putting back the bytes
                // shares them, copying nothing.
                let body = response.take_body().into_bytes().await.unwrap_or_default();
                let outcome = purchase_outcome(status, &body);
                response.set_body(Body::from_bytes(body));
                outcome
            };
            self.metrics.purchase(sale, outcome);
        }
        self.metrics
            .request(route, method, status.as_u16(), started.elapsed());
        Ok(response)
    }
}
