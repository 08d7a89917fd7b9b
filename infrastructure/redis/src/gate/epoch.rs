//! Which Redis server the gate talks to. Every server start gets a new `run_id`, and a promoted
//! replica has its own: the gate writes it with each activity it loads and every take checks it,
//! so data this server did not load itself — a snapshot restored after a crash, a replica that
//! lagged — is never trusted, but loaded afresh from the database.
//!
//! The identity is read once and forgotten whenever a connection fails or reconnects, so the
//! next call reads it again before deciding anything. On a cluster each shard has its own
//! identity; there every load and take carries one fixed value and only lost data is detected.

use std::sync::{Arc, PoisonError, RwLock};

use fred::prelude::{ClientLike, EventInterface, Pool};
use fred::types::InfoKind;
use seckiller_domain::ports::GateError;

use super::unavailable;

/// The epoch of data no server vouches for any longer (see `StockGate::distrust`): no server's
/// identity, so every take finds it stale.
pub(crate) const DISTRUSTED: &str = "distrusted";

/// The epoch every load and take carries on a cluster.
const CLUSTER_EPOCH: &str = "cluster";

/// The identity of the server behind a pool, as last read.
#[derive(Debug, Clone)]
pub(crate) struct ServerEpoch {
    known: Arc<RwLock<Option<String>>>,
    clustered: bool,
}

impl ServerEpoch {
    /// Forgets the identity whenever a connection of `pool` fails or comes back.
    pub(crate) fn watch(pool: &Pool, clustered: bool) -> Self {
        let known: Arc<RwLock<Option<String>>> = Arc::default();
        for client in pool.clients() {
            let on_reconnect = known.clone();
            // The listeners end with the connections; nothing waits on them.
            let _reconnect = client.on_reconnect(move |_| {
                forget(&on_reconnect);
                async { Ok(()) }
            });
            let on_error = known.clone();
            let _error = client.on_error(move |_| {
                forget(&on_error);
                async { Ok(()) }
            });
        }
        Self { known, clustered }
    }

    /// The server's identity, read from it when not known.
    ///
    /// # Errors
    /// [`GateError`] when the server cannot be asked or its answer has no `run_id`.
    pub(crate) async fn current(&self, pool: &Pool) -> Result<String, GateError> {
        if self.clustered {
            return Ok(CLUSTER_EPOCH.to_owned());
        }
        if let Some(known) = self
            .known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Ok(known);
        }
        let info: String = pool
            .next()
            .info(Some(InfoKind::Server))
            .await
            .map_err(unavailable)?;
        let run_id = run_id(&info)
            .ok_or_else(|| GateError::from("redis: INFO server names no run_id".to_owned()))?
            .to_owned();
        *self.known.write().unwrap_or_else(PoisonError::into_inner) = Some(run_id.clone());
        Ok(run_id)
    }
}

fn forget(known: &RwLock<Option<String>>) {
    *known.write().unwrap_or_else(PoisonError::into_inner) = None;
}

/// The `run_id` line of an `INFO server` answer.
fn run_id(info: &str) -> Option<&str> {
    info.lines()
        .find_map(|line| line.strip_prefix("run_id:"))
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_id_is_read_from_the_server_section() {
        let info =
            "# Server\r\nredis_version:7.0.15\r\nrun_id:5382cdf1435385c5fdb9\r\ntcp_port:6379\r\n";
        assert_eq!(run_id(info), Some("5382cdf1435385c5fdb9"));
        assert_eq!(run_id("# Server\r\nrun_id:\r\n"), None);
        assert_eq!(run_id(""), None);
    }
}
