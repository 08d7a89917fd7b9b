//! A test's own servers — Redis, NATS JetStream, Postgres — started as child processes on free
//! ports in scratch directories, so an outage scenario can kill, freeze or restart them without
//! touching the shared servers (or another test's). Each is signalled only by the pid (or, for
//! Postgres, the data directory) it started, and dropping it kills the process and removes its
//! directory, so a panicking test leaves nothing behind.
//!
//! [`ServerUrls`](crate::environment::ServerUrls) built from them go to
//! [`Environment::create_on`](crate::Environment::create_on).

mod nats;
mod postgres;
mod process;
mod redis;

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::Instant;
use uuid::Uuid;

pub use nats::NatsServer;
pub use postgres::PostgresServer;
pub use process::ServerProcess;
pub use redis::{RedisPersistence, RedisServer, RedisSnapshot};

/// How long a server may take to start (or to load its data when restarted).
const START_PATIENCE: Duration = Duration::from_secs(20);
/// How often readiness is asked.
const READY_POLL: Duration = Duration::from_millis(50);

/// A program the servers need, looked up on `PATH` and then in `extra` directories; `None` when
/// it is nowhere, so a scenario can skip with a clear message instead of failing.
pub fn find_program(name: &str, extra: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A TCP port nothing listens on right now (bound and released).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    Ok(listener.local_addr().context("the free port")?.port())
}

/// A directory of its own under the system's temporary directory, removed (with everything in
/// it) on drop.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `<tmp>/seckiller-<what>-<uuid>`.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn create(what: &str) -> anyhow::Result<Self> {
        let path =
            std::env::temp_dir().join(format!("seckiller-{what}-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path })
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Polls `ready` until it says yes; fails after [`START_PATIENCE`] or as soon as `process` (when
/// given) has exited, with the end of `log` in the message.
async fn wait_until_ready<F, Fut>(
    what: &str,
    process: Option<&ServerProcess>,
    log: &Path,
    mut ready: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + START_PATIENCE;
    loop {
        if let Some(process) = process
            && let Some(status) = process.exited()?
        {
            bail!(
                "{what} exited before it was ready ({status}); its log:\n{}",
                crate::node::log_tail(log)
            );
        }
        if ready().await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "{what} was not ready within {START_PATIENCE:?}; its log:\n{}",
                crate::node::log_tail(log)
            );
        }
        tokio::time::sleep(READY_POLL).await;
    }
}
