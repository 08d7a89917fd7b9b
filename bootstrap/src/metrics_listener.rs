//! `SECKILLER_METRICS_LISTEN`: `GET /metrics` on an address of its own, so Prometheus can be let
//! in on an internal interface while the API listens publicly, and a scrape never waits behind
//! the crowd's connections.

use std::net::SocketAddr;

use poem::Server;
use poem::listener::{Acceptor, Listener, TcpListener};
use seckiller_interfaces::{Metrics, metrics_app};
use tokio::task::JoinHandle;

/// Binds `addr` and serves `metrics` there in the background until the task is aborted;
/// returns the bound address (the real port when 0 was asked).
///
/// # Errors
/// The address could not be bound.
pub async fn serve_metrics(
    addr: SocketAddr,
    metrics: &Metrics,
) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let acceptor = TcpListener::bind(addr).into_acceptor().await?;
    let bound = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("the metrics listener has no address"))?;
    let app = metrics_app(metrics);
    let task = tokio::spawn(async move {
        if let Err(error) = Server::new_with_acceptor(acceptor).run(app).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    tracing::info!(addr = %bound, "metrics at http://{bound}/metrics");
    Ok((bound, task))
}
