//! `seckiller`: runs the flash-sale service (embedded SQLite by default), applies migrations, or
//! prints the OpenAPI document.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use seckiller::cli::{AdminCommand, Cli, Command};
use seckiller::config::Settings;
use seckiller::operator::{NEW_PASSWORD_VARIABLE, read_new_password, set_password};
use seckiller::server::serve;
use seckiller::spec::openapi_document;
use seckiller::status;
use seckiller::telemetry::{TraceExport, init_telemetry};
use seckiller::wiring::{build_node, open_database};
use seckiller_application::ledger_check::{LedgerCheck, LedgerReport};
use seckiller_interfaces::Metrics;

/// mimalloc instead of the system allocator: the request path allocates many small short-lived
/// buffers, and glibc kept hundreds of MiB of freed password-hashing buffers resident.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How many half-second waits `seckiller check` allows the queue to drain.
const DRAIN_POLLS: u32 = 20;

/// Telemetry is set up before the async runtime starts and shut down after it stops: the trace
/// exporter's HTTP client is a blocking one.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => return failed(&e.into()),
    };
    let export = settings.otlp_endpoint.clone().map(|endpoint| TraceExport {
        endpoint,
        filter: settings.otlp_filter.clone(),
    });
    let telemetry = init_telemetry(&settings.log, settings.log_format, export.as_ref());
    let ran = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(cli, settings)));
    let code = match ran {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => failed(&e),
    };
    telemetry.shutdown();
    code
}

fn failed(e: &anyhow::Error) -> ExitCode {
    tracing::error!(error = %e, "seckiller stopped");
    let _ = writeln!(std::io::stderr(), "seckiller: {e:#}");
    ExitCode::FAILURE
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve { no_migrate: false }) {
        Command::Serve { no_migrate } => {
            serve(&settings, settings.migrate_on_start && !no_migrate).await?
        }
        Command::Migrate => {
            open_database(&settings, true).await?.close().await?;
            tracing::info!("migrations applied");
        }
        Command::Admin {
            command: AdminCommand::SetPassword { username },
        } => {
            let password = read_new_password(
                std::env::var(NEW_PASSWORD_VARIABLE).ok(),
                &mut std::io::stdin().lock(),
            )?;
            let said = set_password(&settings, &username, &password).await?;
            writeln!(std::io::stdout(), "{said}")?;
        }
        Command::Status { url, watch, every } => {
            let url = url.unwrap_or_else(|| status::default_url(&settings));
            let every = watch.then(|| std::time::Duration::from_secs(every));
            status::run(&url, every, &mut std::io::stdout()).await?;
        }
        Command::Openapi => {
            write!(std::io::stdout(), "{}", openapi_document().await?)?;
        }
        Command::Check => {
            let node = build_node(
                &Settings {
                    seed_demo: false,
                    ..settings.clone()
                },
                true,
                &Metrics::unscraped(),
            )
            .await?;
            let check = LedgerCheck::new(node.adapters.clone());
            let mut reports = check.all().await?;
            // The gate is compared only once the queue is drained: give the order writers a
            // moment to get there.
            for _ in 0..DRAIN_POLLS {
                if reports.iter().all(|r| r.queue_lag == 0) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                reports = check.all().await?;
            }
            node.database.close().await?;
            let mut out = std::io::stdout().lock();
            for report in &reports {
                writeln!(out, "{}", describe(report))?;
            }
            let broken = reports.iter().filter(|r| !r.balanced()).count();
            writeln!(
                out,
                "{} sales checked, {broken} out of balance",
                reports.len()
            )?;
            if broken > 0 {
                anyhow::bail!("{broken} sales out of balance");
            }
        }
    }
    Ok(())
}

/// One line per sale: its books, then any broken invariant.
fn describe(r: &LedgerReport) -> String {
    let gate = r
        .gate_available
        .map_or_else(|| "not loaded".to_owned(), |g| g.to_string());
    let gate = match r.queue_lag {
        0 => gate,
        lag => format!("{gate} (not compared: {lag} purchases still queued)"),
    };
    let verdict = match r.balanced() {
        true => "ok".to_owned(),
        false => format!("OUT OF BALANCE: {}", r.problems.join("; ")),
    };
    format!(
        "{} {:?}: total {} = available {} + held {} + sold {}; orders pending {} paid {} \
         cancelled {}; gate {gate}; queue lag {}; {verdict}",
        r.activity_id,
        r.title,
        r.total,
        r.available,
        r.held,
        r.sold,
        r.orders.pending_items,
        r.orders.paid_items,
        r.orders.cancelled_items,
        r.queue_lag,
    )
}
