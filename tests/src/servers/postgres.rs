//! A private Postgres cluster in a scratch directory: `initdb`, then `pg_ctl start`, crashed with
//! `pg_ctl stop -m immediate` (every backend killed, crash recovery on the next start) and
//! started again. Postgres refuses to run as root, so as root every command runs as the
//! `postgres` user (`runuser`), with the directory handed to it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use super::{ScratchDir, find_program, free_port};

/// A private Postgres, trusting local connections as `postgres`.
#[derive(Debug)]
pub struct PostgresServer {
    bin_dir: PathBuf,
    port: u16,
    scratch: ScratchDir,
    as_postgres: bool,
    running: bool,
}

impl PostgresServer {
    /// The directory holding `initdb` and `pg_ctl`; `None` when Postgres is not installed.
    pub fn bin_dir() -> Option<PathBuf> {
        let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|version| version.path().join("bin"))
            .collect();
        // The newest installed version first.
        candidates.sort();
        candidates.reverse();
        candidates
            .into_iter()
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
            .or_else(|| find_program("initdb", &[]).and_then(|p| p.parent().map(Path::to_owned)))
    }

    /// Creates a cluster on a free port, starts it and waits until it accepts connections.
    ///
    /// # Errors
    /// When Postgres is missing, or `initdb` or the start fails.
    pub async fn start() -> anyhow::Result<Self> {
        let bin_dir = Self::bin_dir().context("initdb and pg_ctl are not installed")?;
        let as_postgres = running_as_root()?;
        let scratch = ScratchDir::create("postgres")?;
        if as_postgres {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(scratch.path()))?;
        }
        let mut server = Self {
            bin_dir,
            port: free_port()?,
            scratch,
            as_postgres,
            running: false,
        };
        let mut initdb = server.command("initdb");
        initdb.arg("-D").arg(server.data_dir()).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        blocking(initdb).await?;
        server.start_again().await?;
        Ok(server)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`, the maintenance database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Crashes the server: `pg_ctl stop -m immediate` kills every backend without a checkpoint,
    /// so the next start runs crash recovery.
    ///
    /// # Errors
    /// When `pg_ctl` fails.
    pub async fn crash(&mut self) -> anyhow::Result<()> {
        let mut stop = self.pg_ctl();
        stop.args(["stop", "-m", "immediate"]);
        blocking(stop).await?;
        self.running = false;
        Ok(())
    }

    /// Starts the (crashed) server on the same port and data, and waits until it accepts
    /// connections. `fsync` is off: a crashed process loses nothing the kernel already has, and
    /// the tests never crash the machine.
    ///
    /// # Errors
    /// When `pg_ctl` fails.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.scratch.path().display()
        );
        let mut start = self.pg_ctl();
        start
            .args(["-w", "-t", "30", "-l"])
            .arg(self.scratch.path().join("postgres.log"))
            .arg("-o")
            .arg(options)
            .arg("start");
        blocking(start).await?;
        self.running = true;
        Ok(())
    }

    fn data_dir(&self) -> PathBuf {
        self.scratch.path().join("data")
    }

    fn pg_ctl(&self) -> Command {
        let mut command = self.command("pg_ctl");
        command.arg("-D").arg(self.data_dir());
        command
    }

    /// `program` from the Postgres binaries, as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let program = self.bin_dir.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        if self.running {
            let mut stop = self.pg_ctl();
            stop.args(["stop", "-m", "immediate"]);
            let _ = run(&mut stop);
        }
    }
}

fn running_as_root() -> anyhow::Result<bool> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .context("running id -u")?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// [`run`] off the async executor.
async fn blocking(mut command: Command) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || run(&mut command))
        .await
        .context("the command's thread")?
}
