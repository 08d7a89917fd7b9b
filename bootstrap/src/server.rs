//! The server lifecycle: bind, serve until SIGINT/SIGTERM (or a test's signal), drain, close.

use std::net::SocketAddr;
use std::time::Duration;

use poem::Server;
use poem::listener::{Acceptor, Listener, TcpListener};
use seckiller_interfaces::{HttpSettings, build_app};
use seckiller_memory::SimulatedPaymentProvider;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::flow::{flow_limits, spawn_eviction};
use crate::wiring::{WiringError, build_node};
use crate::workers::Workers;

/// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

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
    let node = build_node(settings, migrate).await?;
    let workers = Workers::start(&node, settings)
        .await
        .map_err(ServeError::Workers)?;
    let acceptor = TcpListener::bind(settings.listen).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the listener has no address"))?;
    let http = HttpSettings {
        max_body_bytes: settings.max_body_bytes,
        public_url: format!("http://{addr}"),
        flow: flow_limits(settings),
    };
    let eviction = spawn_eviction(http.flow.clone());
    let payments = node.adapters.payment_provider().clone();
    let app = build_app(node.services, node.readiness, &http);
    let (stop, stopped) = oneshot::channel::<()>();
    let database = node.database;
    let task = tokio::spawn(async move {
        let served = Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async {
                    let _ = stopped.await;
                },
                Some(DRAIN_TIMEOUT),
            )
            .await;
        eviction.abort();
        workers.stop().await;
        if let Err(e) = database.close().await {
            tracing::warn!(error = %e, "closing the database");
        }
        served.map_err(ServeError::from)
    });
    tracing::info!(%addr, "seckiller listening; API docs at http://{addr}/docs");
    Ok(RunningServer {
        addr,
        payments,
        stop,
        task,
    })
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
