//! `seckiller`: runs the flash-sale service (embedded SQLite by default), applies migrations, or
//! prints the OpenAPI document.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use seckiller::cli::{Cli, Command};
use seckiller::config::Settings;
use seckiller::server::serve;
use seckiller::telemetry::init_telemetry;
use seckiller::wiring::{build_node, open_database};

/// mimalloc instead of the system allocator: the request path allocates many small short-lived
/// buffers, and glibc kept hundreds of MiB of freed password-hashing buffers resident.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "seckiller stopped");
            let _ = writeln!(std::io::stderr(), "seckiller: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    init_telemetry(&settings.log, settings.log_format);
    match cli.command.unwrap_or(Command::Serve { no_migrate: false }) {
        Command::Serve { no_migrate } => {
            serve(&settings, settings.migrate_on_start && !no_migrate).await?
        }
        Command::Migrate => {
            open_database(&settings, true).await?.close().await?;
            tracing::info!("migrations applied");
        }
        Command::Openapi => {
            let node = build_node(
                &Settings {
                    seed_demo: false,
                    ..settings.clone()
                },
                true,
            )
            .await?;
            let spec = seckiller_interfaces::openapi_spec(
                node.services,
                &format!("http://{}", settings.listen),
            );
            node.database.close().await?;
            writeln!(std::io::stdout(), "{spec}")?;
        }
    }
    Ok(())
}
