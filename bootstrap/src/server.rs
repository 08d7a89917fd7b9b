//! The server lifecycle: bind, serve until SIGINT/SIGTERM (or a test's signal), then shut down
//! in order within `shutdown_grace_seconds`: stop accepting, let in-flight requests finish
//! (two thirds of the grace), stop the workers (the order writer finishing its batch), close
//! the database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::Server;
use poem::listener::{Acceptor, Listener, TcpListener};
use seckiller_interfaces::{HttpSettings, Metrics, build_app};
use seckiller_memory::SimulatedPaymentProvider;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::connections::{ConnectionLimits, GuardedAcceptor};
use crate::flow::{
    flow_limits, load_sale_limits, sale_limit_store, spawn_eviction, spawn_sale_limit_refresh,
};
use crate::metrics_listener::serve_metrics;
use crate::open_files::{connection_cap, raise_open_file_limit};
use crate::process_figures::read_process_figures;
use crate::wiring::{WiringError, build_node};
use crate::workers::Workers;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The node could not be wired.
    #[error(transparent)]
    Wiring(#[from] WiringError),
    /// A background worker could not start.
    #[error("background workers: {0}")]
    Workers(String),
    /// The listen address could not be bound, or serving failed.
    #[error("http server: {0}")]
    Io(#[from] std::io::Error),
}

/// A server running in the background, as started by [`start`].
pub struct RunningServer {
    /// The bound address (the real port when 0 was asked).
    pub addr: SocketAddr,
    /// Where `/metrics` is served when `metrics_listen` is set (else on `addr`).
    pub metrics_addr: Option<SocketAddr>,
    /// The node's simulated payment provider, so tests can switch its behaviour and count
    /// charges and refunds.
    pub payments: SimulatedPaymentProvider,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), ServeError>>,
}

impl RunningServer {
    /// Signals shutdown and waits until requests are drained and the database is closed.
    ///
    /// # Errors
    /// [`ServeError`] when serving had failed.
    pub async fn stop(self) -> Result<(), ServeError> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|e| ServeError::Io(std::io::Error::other(e)))?
    }
}

/// Wires the node, binds the listen address and serves in the background until [`RunningServer::stop`].
///
/// # Errors
/// [`ServeError`] when wiring or binding fails.
pub async fn start(settings: &Settings, migrate: bool) -> Result<RunningServer, ServeError> {
    let open_files = raise_open_file_limit();
    let limits = ConnectionLimits {
        max_connections: connection_cap(settings.max_connections, open_files),
        header_read_timeout: (settings.header_read_timeout_millis > 0)
            .then(|| Duration::from_millis(settings.header_read_timeout_millis)),
        idle_timeout: (settings.idle_timeout_seconds > 0)
            .then(|| Duration::from_secs(settings.idle_timeout_seconds)),
    };
    tracing::info!(
        open_files,
        max_connections = limits.max_connections,
        "open-file limit"
    );
    let metrics = Metrics::new(Arc::new(read_process_figures));
    let node = build_node(settings, migrate, &metrics).await?;
    metrics.watch_breakers(node.services.breakers.clone());
    metrics.set_max_in_flight(settings.max_in_flight_requests);
    let workers = Workers::start(&node, settings, &metrics)
        .await
        .map_err(ServeError::Workers)?;
    let listener = TcpListener::bind(settings.listen).into_acceptor().await?;
    let addr = listener
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no address"))?;
    let metrics_listener = match settings.metrics_listen {
        Some(at) => Some(serve_metrics(at, &metrics).await?),
        None => None,
    };
    let metrics_addr = metrics_listener.as_ref().map(|(bound, _)| *bound);
    let http = HttpSettings {
        max_body_bytes: settings.max_body_bytes,
        public_url: settings.public_url.as_str().to_owned(),
        body_read_timeout: Duration::from_millis(settings.body_read_timeout_millis.max(1)),
        max_in_flight_requests: settings.max_in_flight_requests,
        flow: flow_limits(settings),
        sale_limits: sale_limit_store(node.database.clone()),
        serve_metrics: metrics_addr.is_none(),
        metrics,
    };
    if let Err(error) = load_sale_limits(&node.database, &http.flow).await {
        tracing::warn!(%error, "reading sale rate limits failed; they apply once readable");
    }
    let background: Vec<JoinHandle<()>> = [
        spawn_eviction(http.flow.clone()),
        spawn_sale_limit_refresh(
            node.database.clone(),
            http.flow.clone(),
            Duration::from_millis(settings.activity_cache_millis.max(1_000)),
        ),
    ]
    .into_iter()
    .chain(metrics_listener.map(|(_, task)| task))
    .collect();
    let payments = node.adapters.payment_provider().clone();
    let app = build_app(node.services, node.readiness, &http);
    let (stop, stopped) = oneshot::channel::<()>();
    let database = node.database;
    let grace = Duration::from_secs(settings.shutdown_grace_seconds);
    let acceptor = GuardedAcceptor::new(listener, limits);
    http.metrics.watch_connections(acceptor.reading());
    let task = tokio::spawn(async move {
        let shutdown = Shutdown::default();
        // The idle timeout is the acceptor's (see `connections`), not poem's, which wakes a
        // task on every read and write and would cut off a long poll.
        let served = Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                    shutdown.begin();
                },
                Some(drain_budget(grace)),
            )
            .await;
        for task in background {
            task.abort();
        }
        let remaining = shutdown.remaining(grace);
        if tokio::time::timeout(remaining, workers.stop())
            .await
            .is_err()
        {
            tracing::warn!("the workers did not stop within the shutdown grace");
        }
        let remaining = shutdown.remaining(grace);
        match tokio::time::timeout(remaining, database.close()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "closing the database"),
            Err(_) => tracing::warn!("the database did not close within the shutdown grace"),
        }
        tracing::info!(
            took_ms = grace.saturating_sub(shutdown.remaining(grace)).as_millis(),
            "shut down"
        );
        served.map_err(ServeError::from)
    });
    tracing::info!(%addr, "seckiller listening; API docs at http://{addr}/docs");
    Ok(RunningServer {
        addr,
        metrics_addr,
        payments,
        stop,
        task,
    })
}

/// The share of the grace in-flight requests get; the rest is the workers' and the database's.
fn drain_budget(grace: Duration) -> Duration {
    grace * 2 / 3
}

/// When shutdown began, so each step gets what the grace has left.
#[derive(Default)]
struct Shutdown(std::sync::OnceLock<Instant>);

impl Shutdown {
    fn begin(&self) {
        let _ = self.0.set(Instant::now());
    }

    /// What is left of `grace` (all of it when shutdown has not begun: serving failed).
    fn remaining(&self, grace: Duration) -> Duration {
        self.0
            .get()
            .map_or(grace, |began| grace.saturating_sub(began.elapsed()))
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Serves until SIGINT or SIGTERM, then drains and exits.
///
/// # Errors
/// [`ServeError`] when wiring, binding or serving fails.
pub async fn serve(settings: &Settings, migrate: bool) -> Result<(), ServeError> {
    let running = start(settings, migrate).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await
}
