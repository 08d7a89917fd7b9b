//! The command line: `seckiller [serve]`, `seckiller migrate`, `seckiller openapi`,
//! `seckiller check`, `seckiller status [--watch]`, `seckiller admin set-password <username>`.

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
    /// Show a node's live sales, breakers, queue lag and load, read from its `/metrics`.
    Status {
        /// The node's metrics page; by default the configured node's (its metrics listener,
        /// else its API address).
        #[arg(long)]
        url: Option<String>,
        /// Redraw in place every few seconds, with rates, until interrupted.
        #[arg(long)]
        watch: bool,
        /// Seconds between refreshes with `--watch`.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
        every: u64,
    },
    /// Manage accounts on the configured database.
    Admin {
        /// What to do.
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// The `admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Set an account's password. The password is read from SECKILLER_NEW_PASSWORD when set,
    /// else from the first line of standard input — never from the command line. It must reach
    /// the account's floor (buyers: 8+ characters, zxcvbn score 2+; admins: 12+, score 4).
    SetPassword {
        /// The account.
        username: String,
    },
}
