//! A private `nats-server` with JetStream on a store directory of its own: killed, and started
//! again on the same port with the same store, as a crashed broker comes back.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use super::{ScratchDir, ServerProcess, find_program, free_port, wait_until_ready};

/// A running (or killed) private NATS JetStream server.
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    monitor_port: u16,
    scratch: ScratchDir,
    process: Option<ServerProcess>,
}

impl NatsServer {
    /// Finds `nats-server`; `None` when it is not installed.
    pub fn binary() -> Option<PathBuf> {
        find_program("nats-server", &["/usr/sbin", "/usr/bin", "/usr/local/bin"])
    }

    /// Starts a server with JetStream on free ports and waits until its health check (which
    /// covers JetStream) passes.
    ///
    /// # Errors
    /// When `nats-server` is missing or does not start.
    pub async fn start() -> anyhow::Result<Self> {
        let binary = Self::binary().context("nats-server is not installed")?;
        let mut server = Self {
            binary,
            port: free_port()?,
            monitor_port: free_port()?,
            scratch: ScratchDir::create("nats")?,
            process: None,
        };
        server.start_again().await?;
        Ok(server)
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The running process, if any.
    pub fn process(&self) -> Option<&ServerProcess> {
        self.process.as_ref()
    }

    /// `kill -9`.
    ///
    /// # Errors
    /// When the process cannot be killed.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(process) = self.process.take() {
            process.kill9()?;
        }
        Ok(())
    }

    /// Starts the (killed) server on the same ports with the same store directory, and waits
    /// until JetStream has recovered its streams.
    ///
    /// # Errors
    /// When it is still running or does not start.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        if self.process.is_some() {
            bail!("the NATS server is still running");
        }
        let mut command = Command::new(&self.binary);
        command
            .args(["-js", "-a", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .arg("-m")
            .arg(self.monitor_port.to_string())
            .arg("-sd")
            .arg(self.scratch.path().join("store"));
        let log = self.scratch.path().join("nats.log");
        let process = ServerProcess::spawn(command, "nats-server", &log)?;
        self.process = Some(process.clone());
        let health = format!("http://127.0.0.1:{}/healthz", self.monitor_port);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        wait_until_ready("nats-server", Some(&process), &log, || {
            let (client, health) = (client.clone(), health.clone());
            async move {
                matches!(client.get(&health).send().await, Ok(answer) if answer.status().is_success())
            }
        })
        .await
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            process.ensure_dead();
        }
    }
}
