//! A `seckiller` node as a child process: started with an environment's settings on a free port,
//! ready once `/readyz` answers 200, and killed without warning (`SIGKILL`), as a crashed or
//! OOM-killed node would be.

use std::fs::OpenOptions;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::time::Instant;

use crate::environment::Environment;

mod kill_switch;

pub use kill_switch::KillSwitch;

/// How often readiness is asked while a node starts.
const READY_POLL: Duration = Duration::from_millis(100);

/// A running (or killed) node. Dropping it kills the process, so no test leaves one behind.
#[derive(Debug)]
pub struct Node {
    process: KillSwitch,
    addr: SocketAddr,
    log: std::path::PathBuf,
}

/// A port nothing listens on right now: bound and released, so another process could take it
/// before the node does, which on a test machine is rare enough.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    listener.local_addr().context("the free port's address")
}

impl Node {
    /// Starts `binary` (`seckiller serve`) with `environment`'s settings on a free port; its
    /// output is appended to the environment's log. Call [`Node::wait_ready`] before using it.
    ///
    /// # Errors
    /// When no port is free, the log cannot be opened or the process cannot be started.
    pub fn start(binary: &Path, environment: &Environment) -> anyhow::Result<Self> {
        Self::start_with(binary, environment, &[])
    }

    /// As [`Node::start`], with some `SECKILLER_…` settings of its own (name, value).
    ///
    /// # Errors
    /// As [`Node::start`].
    pub fn start_with(
        binary: &Path,
        environment: &Environment,
        settings: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let addr = free_port()?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(environment.log_path())
            .context("opening the node log")?;
        let child = environment
            .command(binary)
            .arg("serve")
            .env("SECKILLER_LISTEN", addr.to_string())
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("sharing the node log")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(Self {
            process: KillSwitch::new(child),
            addr,
            log: environment.log_path().to_owned(),
        })
    }

    /// The node's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port` of the node.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until `/readyz` answers 200. Plain `reqwest`, not the generated client: readiness
    /// is an operator's probe outside `/api/v1`, so the OpenAPI document (and the client made
    /// from it) does not have it.
    ///
    /// # Errors
    /// When the process exits first or `patience` runs out; the message ends with the node's log.
    pub async fn wait_ready(&self, patience: Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/readyz", self.base_url());
        let deadline = Instant::now() + patience;
        loop {
            if let Some(status) = self.process.exited()? {
                bail!(
                    "the node exited before it was ready ({status}); its log:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(resp) = client.get(&url).send().await
                && resp.status() == reqwest::StatusCode::OK
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the node was not ready within {patience:?}; its log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(READY_POLL).await;
        }
    }

    /// The end of the node's log (its output is shared with the other nodes of the
    /// environment), for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }

    /// A handle that kills this node from any task; see [`KillSwitch`].
    pub fn kill_switch(&self) -> KillSwitch {
        self.process.clone()
    }

    /// True once the process has exited (killed or on its own).
    ///
    /// # Errors
    /// When its state cannot be read.
    pub fn has_exited(&self) -> anyhow::Result<bool> {
        Ok(self.process.exited()?.is_some())
    }

    /// `kill -9`, now; see [`KillSwitch::pull`].
    ///
    /// # Errors
    /// When the signal cannot be sent or the process cannot be reaped.
    pub fn kill9(&self) -> anyhow::Result<()> {
        self.process.pull()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.process.ensure_dead();
    }
}

/// The end of a node log, for failure messages.
pub fn log_tail(path: &Path) -> String {
    const TAIL: usize = 4000;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let start = text.len().saturating_sub(TAIL);
            let start = (start..text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            format!("({})\n{}", path.display(), &text[start..])
        }
        Err(e) => format!("({} unreadable: {e})", path.display()),
    }
}
