//! The command line: `seckiller [serve]`, `seckiller migrate`, `seckiller openapi`,
//! `seckiller check`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// SecKiller: flash sales that sell exactly their stock.
#[derive(Debug, Parser)]
#[command(name = "seckiller", version, about)]
pub struct Cli {
    /// TOML configuration file (environment variables SECKILLER_… override it).
    #[arg(long, global = true, env = "SECKILLER_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve {
        /// Do not apply database migrations at start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Print the OpenAPI document and exit.
    Openapi,
    /// Verify every sale's stock ledger (total = available + held + sold, held and sold match
    /// the orders, the gate matches the database once the queue is drained), print each sale's
    /// books, and exit non-zero when any is out of balance.
    Check,
}
