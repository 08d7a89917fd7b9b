//! The verdict: `seckiller check` run as its own process over the environment, the same command an
//! operator runs after an incident. It exits 0 only when every sale balances (total equals
//! available plus held plus sold, held and sold match the orders, the gate matches the database
//! once the queue is drained), so right after a crash it may fail until the restarted node has
//! caught up; the scenario therefore asks again until it passes or patience runs out.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use anyhow::Context;
use tokio::time::Instant;

use crate::environment::Environment;

/// How long to wait between two checks.
const RECHECK: Duration = Duration::from_millis(500);

/// The last check's result.
#[derive(Debug, Clone)]
pub struct LedgerVerdict {
    /// True when the last run exited 0.
    pub balanced: bool,
    /// Its exit status, standard output and standard error, for failure messages.
    pub report: String,
    /// How many runs it took.
    pub runs: u32,
}

/// Runs `seckiller check` until it exits 0 or `patience` runs out, and returns the last run's
/// verdict.
///
/// # Errors
/// When the command cannot be started at all.
pub async fn check_until_balanced(
    binary: &Path,
    environment: &Environment,
    patience: Duration,
) -> anyhow::Result<LedgerVerdict> {
    let deadline = Instant::now() + patience;
    let mut runs = 0;
    loop {
        let output = check_once(environment.command(binary)).await?;
        runs += 1;
        let balanced = output.status.success();
        if balanced || Instant::now() >= deadline {
            return Ok(LedgerVerdict {
                balanced,
                report: format!(
                    "{}\nstdout:\n{}\nstderr:\n{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
                runs,
            });
        }
        tokio::time::sleep(RECHECK).await;
    }
}

/// One run, off the async executor: waiting for a process blocks.
async fn check_once(mut command: Command) -> anyhow::Result<Output> {
    tokio::task::spawn_blocking(move || {
        command
            .arg("check")
            .output()
            .context("running seckiller check")
    })
    .await
    .context("the check's thread")?
}
