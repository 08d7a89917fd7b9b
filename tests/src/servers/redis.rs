//! A private `redis-server`: killed, frozen, and started again empty, from its append-only file,
//! or from an older snapshot — the ways a Redis comes back after an outage.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{ScratchDir, ServerProcess, find_program, free_port, wait_until_ready};

/// What the server writes to disk besides snapshots taken on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisPersistence {
    /// Nothing: a restart comes back empty (or from a snapshot it is given).
    None,
    /// An append-only file (`--appendonly yes`, fsync every second): a restart replays it.
    AppendOnly,
}

/// A snapshot taken with `SAVE` and put aside, to start a later server from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSnapshot {
    file_name: String,
}

/// A running (or killed, or frozen) private Redis on a port of its own.
#[derive(Debug)]
pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    persistence: RedisPersistence,
    scratch: ScratchDir,
    process: Option<ServerProcess>,
    snapshots: usize,
}

impl RedisServer {
    /// Finds `redis-server`; `None` when it is not installed.
    pub fn binary() -> Option<PathBuf> {
        find_program("redis-server", &["/usr/bin", "/usr/local/bin"])
    }

    /// Starts a server on a free port and waits until it answers `PING`.
    ///
    /// # Errors
    /// When `redis-server` is missing or does not start.
    pub async fn start(persistence: RedisPersistence) -> anyhow::Result<Self> {
        let binary = Self::binary().context("redis-server is not installed")?;
        let scratch = ScratchDir::create("redis")?;
        std::fs::create_dir_all(scratch.path().join("data"))?;
        let mut server = Self {
            binary,
            port: free_port()?,
            persistence,
            scratch,
            process: None,
            snapshots: 0,
        };
        server.launch(None).await?;
        Ok(server)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The running process, if any.
    pub fn process(&self) -> Option<&ServerProcess> {
        self.process.as_ref()
    }

    /// `kill -9`: whatever was not yet written to disk is lost.
    ///
    /// # Errors
    /// When the process cannot be killed.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(process) = self.process.take() {
            process.kill9()?;
        }
        Ok(())
    }

    /// `SIGSTOP`: connections stay open, nothing is answered.
    ///
    /// # Errors
    /// When the server is not running or the signal cannot be sent.
    pub fn freeze(&self) -> anyhow::Result<()> {
        self.running()?.freeze()
    }

    /// `SIGCONT` after [`RedisServer::freeze`].
    ///
    /// # Errors
    /// When the server is not running or the signal cannot be sent.
    pub fn thaw(&self) -> anyhow::Result<()> {
        self.running()?.thaw()
    }

    /// Starts the killed server again on the same port from what it left on disk: its
    /// append-only file with [`RedisPersistence::AppendOnly`], nothing otherwise.
    ///
    /// # Errors
    /// When it is still running or does not start.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        self.launch(None).await
    }

    /// Starts the killed server again on the same port with its data directory emptied.
    ///
    /// # Errors
    /// When it is still running, the directory cannot be emptied, or it does not start.
    pub async fn start_empty(&mut self) -> anyhow::Result<()> {
        let data = self.data_dir();
        std::fs::remove_dir_all(&data).with_context(|| format!("emptying {}", data.display()))?;
        std::fs::create_dir_all(&data)?;
        self.launch(None).await
    }

    /// Starts the killed server again on the same port from `snapshot` alone (no append-only
    /// file): the data as it was when the snapshot was taken.
    ///
    /// # Errors
    /// When it is still running or does not start.
    pub async fn start_from(&mut self, snapshot: &RedisSnapshot) -> anyhow::Result<()> {
        self.launch(Some(snapshot)).await
    }

    /// `SAVE` now, and puts the snapshot aside for [`RedisServer::start_from`].
    ///
    /// # Errors
    /// When the server refuses or the file cannot be copied.
    pub async fn snapshot(&mut self) -> anyhow::Result<RedisSnapshot> {
        let answer = self.command("SAVE").await?;
        if answer.trim_end() != "+OK" {
            bail!("SAVE answered {answer:?}");
        }
        self.snapshots += 1;
        let file_name = format!("snapshot-{}.rdb", self.snapshots);
        let data = self.data_dir();
        std::fs::copy(data.join("dump.rdb"), data.join(&file_name))
            .context("putting the snapshot aside")?;
        Ok(RedisSnapshot { file_name })
    }

    fn data_dir(&self) -> PathBuf {
        self.scratch.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.scratch.path().join("redis.log")
    }

    fn running(&self) -> anyhow::Result<&ServerProcess> {
        self.process
            .as_ref()
            .context("the Redis server is not running")
    }

    async fn launch(&mut self, snapshot: Option<&RedisSnapshot>) -> anyhow::Result<()> {
        if self.process.is_some() {
            bail!("the Redis server is still running");
        }
        let append_only = snapshot.is_none() && self.persistence == RedisPersistence::AppendOnly;
        let mut command = Command::new(&self.binary);
        command
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args(["--save", "", "--appendonly"])
            .arg(if append_only { "yes" } else { "no" })
            .arg("--dir")
            .arg(self.data_dir());
        if let Some(snapshot) = snapshot {
            command.args(["--dbfilename", &snapshot.file_name]);
        }
        let process = ServerProcess::spawn(command, "redis-server", &self.log())?;
        self.process = Some(process.clone());
        let port = self.port;
        wait_until_ready("redis-server", Some(&process), &self.log(), || async move {
            matches!(command_at(port, "PING").await, Ok(answer) if answer.starts_with("+PONG"))
        })
        .await
    }

    async fn command(&self, command: &str) -> anyhow::Result<String> {
        command_at(self.port, command).await
    }
}

/// One inline command, and the first chunk of its answer.
async fn command_at(port: u16, command: &str) -> anyhow::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .await?;
    let mut answer = vec![0; 512];
    let read = stream.read(&mut answer).await?;
    answer.truncate(read);
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            process.ensure_dead();
        }
    }
}
