//! One server process a test started: signalled by the pid it was given, never by name, so a
//! test can only ever kill, freeze or thaw what it started itself.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::{Context, anyhow, bail};

/// A started server. Clones share the process; dropping the last clone does not kill it —
/// the server type that owns it does, in its own `Drop`.
#[derive(Debug, Clone)]
pub struct ServerProcess {
    child: Arc<Mutex<Child>>,
    pid: u32,
    name: String,
}

impl ServerProcess {
    /// Starts `command` with its output appended to `log`.
    ///
    /// # Errors
    /// When the log cannot be opened or the process cannot be started.
    pub fn spawn(mut command: Command, name: &str, log: &std::path::Path) -> anyhow::Result<Self> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("sharing the server log")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Self {
            pid: child.id(),
            child: Arc::new(Mutex::new(child)),
            name: name.to_owned(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `SIGKILL` and reap: the server gets no chance to flush or save anything, and its port and
    /// connections are closed when this returns.
    ///
    /// # Errors
    /// When the signal cannot be sent or the process cannot be reaped.
    pub fn kill9(&self) -> anyhow::Result<()> {
        let mut child = self.lock()?;
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        child
            .kill()
            .with_context(|| format!("killing {}", self.name))?;
        child
            .wait()
            .with_context(|| format!("reaping {}", self.name))?;
        Ok(())
    }

    /// `SIGSTOP`: the server keeps its connections open and answers nothing, as a server stuck
    /// in a long pause (swapping, a fork on a huge heap, a hung disk) does.
    ///
    /// # Errors
    /// When the signal cannot be sent.
    pub fn freeze(&self) -> anyhow::Result<()> {
        self.signal("STOP")
    }

    /// `SIGCONT`: a frozen server goes on where it stopped.
    ///
    /// # Errors
    /// When the signal cannot be sent.
    pub fn thaw(&self) -> anyhow::Result<()> {
        self.signal("CONT")
    }

    /// The exit status, once the process has exited.
    ///
    /// # Errors
    /// When its state cannot be read.
    pub fn exited(&self) -> anyhow::Result<Option<ExitStatus>> {
        Ok(self.lock()?.try_wait()?)
    }

    /// Kills the process if it still runs (thawing it first, so a frozen one dies too); for
    /// clean-up, so errors are ignored.
    pub fn ensure_dead(&self) {
        let _ = self.thaw();
        let _ = self.kill9();
    }

    fn signal(&self, signal: &str) -> anyhow::Result<()> {
        if self.exited()?.is_some() {
            bail!("{} has exited: nothing to send SIG{signal} to", self.name);
        }
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid.to_string())
            .status()
            .with_context(|| format!("sending SIG{signal} to {}", self.name))?;
        if !status.success() {
            bail!("kill -{signal} {} failed ({status})", self.pid);
        }
        Ok(())
    }

    fn lock(&self) -> anyhow::Result<MutexGuard<'_, Child>> {
        self.child
            .lock()
            .map_err(|_| anyhow!("a thread panicked while holding {}", self.name))
    }
}
