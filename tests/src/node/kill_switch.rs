//! `kill -9` for a node, from wherever the moment comes: a crowd task pulls it on the very
//! answer that meets the condition, instead of the scenario noticing later while the node keeps
//! selling.

use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, anyhow};

/// A shared handle on a node's process. Clones kill the same process; only the first pull sends
/// the signal.
#[derive(Debug, Clone)]
pub struct KillSwitch {
    child: Arc<Mutex<Child>>,
    pulled: Arc<AtomicBool>,
}

impl KillSwitch {
    pub(super) fn new(child: Child) -> Self {
        Self {
            child: Arc::new(Mutex::new(child)),
            pulled: Arc::default(),
        }
    }

    /// Sends `SIGKILL` (`Child::kill` on Unix) and reaps the process, so its listening socket and
    /// connections are closed when this returns. The process gets no chance to flush, drain or
    /// say goodbye. Pulling again does nothing.
    ///
    /// # Errors
    /// When the signal cannot be sent or the process cannot be reaped.
    pub fn pull(&self) -> anyhow::Result<()> {
        // Marked before the signal: whoever sees a broken connection can tell it was the switch.
        if self.pulled.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let mut child = self.lock()?;
        child.kill().context("sending SIGKILL")?;
        child.wait().context("reaping the killed node")?;
        Ok(())
    }

    /// Sends `SIGTERM`, as an orchestrator stopping a node does: the node may drain and exit on
    /// its own (see [`KillSwitch::wait_exit`]). Marks the switch pulled, since connections cut
    /// by the shutdown are expected from then on.
    ///
    /// # Errors
    /// When `kill` cannot be run or refuses.
    pub fn terminate(&self) -> anyhow::Result<()> {
        self.pulled.store(true, Ordering::SeqCst);
        let pid = self.lock()?.id();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .context("running kill -TERM")?;
        anyhow::ensure!(status.success(), "kill -TERM {pid}: {status}");
        Ok(())
    }

    /// Waits up to `patience` for the process to exit by itself; its status, or `None` if it
    /// still runs.
    ///
    /// # Errors
    /// When its state cannot be read.
    pub async fn wait_exit(
        &self,
        patience: std::time::Duration,
    ) -> anyhow::Result<Option<std::process::ExitStatus>> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if let Some(status) = self.exited()? {
                return Ok(Some(status));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// True once [`KillSwitch::pull`] was called: connection errors after it are expected.
    pub fn pulled(&self) -> bool {
        self.pulled.load(Ordering::SeqCst)
    }

    /// Kills the process if it still runs, whether or not the switch was pulled; for clean-up,
    /// so errors are ignored.
    pub(super) fn ensure_dead(&self) {
        self.pulled.store(true, Ordering::SeqCst);
        if let Ok(mut child) = self.child.lock()
            && let Ok(None) = child.try_wait()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The process's exit status if it has exited (killed or on its own).
    pub(super) fn exited(&self) -> anyhow::Result<Option<std::process::ExitStatus>> {
        Ok(self.lock()?.try_wait()?)
    }

    fn lock(&self) -> anyhow::Result<std::sync::MutexGuard<'_, Child>> {
        self.child
            .lock()
            .map_err(|_| anyhow!("a thread panicked while holding the node's process"))
    }
}
