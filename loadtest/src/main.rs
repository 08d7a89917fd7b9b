//! `seckiller-crowd`: sets up a sale on a running SecKiller (one node or several), lets a crowd of
//! buyers rush it at the opening second — token, purchase, order, payment or not — waits for the
//! unpaid orders to expire, and reports throughput, latency percentiles and whether the sale
//! stayed correct. It talks to the service only through its public HTTP API: the timed journey
//! on a raw client of its own ([`api`]), everything else through the generated client
//! ([`client`]).

mod api;
mod audit;
mod cli;
mod client;
mod metrics;
mod progress;
mod report;
mod rng;
mod rush;
mod setup;
mod stats;
mod timeline;
mod verdict;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

use crate::api::Nodes;
use crate::cli::Args;
use crate::metrics::Recorder;
use crate::progress::Progress;
use crate::report::{Config, ExpiryPhase, Report, Run, SetupPhase};
use crate::rush::{Crowd, PaymentOutcome, Plan, Resolution};
use crate::setup::{BuyerSource, SaleSpec};
use crate::stats::{Monitor, StatsSample, StatsSource};
use crate::verdict::Evidence;

/// How long after its deadline an unpaid order is given to be swept.
const SWEEP_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let args = Args::parse();
    let report = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(run(&args)))
        .and_then(|report| {
            write(&args, &report)?;
            Ok(report)
        });
    match report {
        Ok(r) if r.verdict.correct => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("seckiller-crowd: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes the report where asked (after the runtime is gone: this is blocking file IO).
fn write(args: &Args, report: &Report) -> anyhow::Result<()> {
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(report)?;
        if path.as_os_str() == "-" {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{json}")?;
        } else {
            std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if let Some(path) = &args.html {
        std::fs::write(path, report::html::render(report))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

async fn run(args: &Args) -> anyhow::Result<Report> {
    args.check()?;
    let nodes = Arc::new(Nodes::new(&args.nodes(), args.connections)?);
    let progress = Progress::new(!args.quiet && std::io::stdout().is_terminal());
    let token = sign_in(&nodes, args).await?;
    let admin = client::at(nodes.admin().base(), Some(&token))?;

    let n = usize::try_from(args.buyers)?;
    let started = Instant::now();
    let bar = progress.setup_buyers(args.buyers);
    let buyers = setup::buyers(&admin, n, args.buyer_source(), &bar).await?;
    let took = started.elapsed().as_secs_f64();
    let setup = SetupPhase {
        buyers: buyers.len(),
        seconds: took,
        per_second: if took > 0.0 {
            buyers.len() as f64 / took
        } else {
            0.0
        },
    };

    let spec = SaleSpec {
        stock: args.stock,
        limit: args.limit,
        opens_in: Duration::from_secs(args.opens_in),
        payment_window: args.payment_window(),
    };
    let sale = setup::sale(&admin, &spec).await?;
    let recorder = Arc::new(Recorder::new(sale.opens_at)?);
    let source = StatsSource {
        admins: nodes
            .round_from(0)
            .map(|node| client::at(node.base(), Some(&token)))
            .collect::<anyhow::Result<_>>()?,
        activity: sale.id,
        opening: sale.opens_at,
        answered_last: Arc::default(),
    };
    let monitor = Monitor::start(source.clone());
    let settle_timeout = Duration::from_secs(args.settle_timeout);
    let until = sale.opens_at + Duration::from_secs(args.seconds);
    let plan = Plan {
        activity: sale.id.to_string(),
        quantity: args.quantity,
        pay_probability: args.pay_probability,
        seed: args.seed,
        opens_at: sale.opens_at,
        until,
        settle_until: until + settle_timeout,
        follow_after_rush: args.follow_after_rush,
    };
    let crowd = rush::rush(plan, nodes.clone(), recorder.clone(), &buyers, &progress).await;

    let waited = args.wait_expiry();
    let (expiry, final_stats) = after_the_rush(args, &crowd, &source, &progress).await;
    let samples = monitor.stop();

    let who: BTreeSet<usize> = crowd
        .accepted
        .iter()
        .map(|a| a.buyer)
        .chain(crowd.purchase_unknown.iter().copied())
        .collect();
    let orders = audit::orders(&nodes, &buyers, &who, sale.id).await?;
    let verdict = verdict::judge(&Evidence {
        stock: u64::from(args.stock),
        limit: u64::from(args.limit),
        quantity: u64::from(args.quantity),
        demand: args.demand(),
        told_sold_out: crowd.sold_out,
        payment_window: chrono::Duration::from_std(args.payment_window())?,
        accepted: &crowd.accepted,
        orders: &orders,
        payments: &crowd.payments,
        purchase_unknown: crowd.purchase_unknown.len() as u64,
        samples: &samples,
        final_stats: final_stats.as_ref(),
        waited_for_expiry: waited,
    });
    progress.clear();

    let report = Report::new(Run {
        nodes: nodes.urls(),
        config: Config {
            buyers: n,
            stock: args.stock,
            limit: args.limit,
            quantity: args.quantity,
            seconds: args.seconds,
            opens_in_seconds: args.opens_in,
            pay_probability: args.pay_probability,
            seed: args.seed,
            payment_window_seconds: args.payment_window,
            wait_expiry: waited,
            bulk_buyers: args.buyer_source() == BuyerSource::Bulk,
        },
        setup,
        crowd,
        measured: recorder.measured(),
        expiry,
        samples,
        final_stats,
        verdict,
    });
    report.print();
    Ok(report)
}

/// Signs the admin in. Sessions are verified by every node alike, so a node that does not answer
/// is skipped for the next; the error is the first node's when none answers.
async fn sign_in(nodes: &Nodes, args: &Args) -> anyhow::Result<String> {
    let mut first_error = None;
    for node in nodes.round_from(0) {
        let tried = client::sign_in(
            &client::at(node.base(), None)?,
            &args.admin_username,
            &args.admin_password,
        )
        .await;
        match tried {
            Ok(token) => return Ok(token),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| anyhow::anyhow!("no --url given")))
}

/// Waits for the last unpaid order to expire (when asked to), then for the books to settle.
/// Returns how that went and the last stats reading.
async fn after_the_rush(
    args: &Args,
    crowd: &Crowd,
    source: &StatsSource,
    progress: &Progress,
) -> (ExpiryPhase, Option<StatsSample>) {
    let waited = args.wait_expiry();
    let started = Instant::now();
    let paid: BTreeSet<&str> = crowd
        .payments
        .iter()
        .filter(|p| p.outcome == PaymentOutcome::Paid)
        .map(|p| p.order_id.as_str())
        .collect();
    let last_unpaid = crowd
        .accepted
        .iter()
        .filter(|a| {
            matches!(&a.resolution, Resolution::Ordered { order_id }
                if !paid.contains(order_id.as_str()))
        })
        .map(|a| a.at)
        .max();
    let deadline = last_unpaid
        .filter(|_| waited)
        .map(|at| at + args.payment_window() + SWEEP_GRACE);
    let bar = progress.expiry(deadline.map_or(0, |d| {
        d.saturating_duration_since(Instant::now()).as_secs().max(1)
    }));
    if let Some(deadline) = deadline {
        stats::wait_for_expiry(deadline, &bar).await;
    }
    let timeout = Duration::from_secs(args.settle_timeout);
    let (last, settled) = stats::settle(source, waited, timeout, &bar).await;
    let phase = ExpiryPhase {
        waited_for_expiry: waited,
        seconds: started.elapsed().as_secs_f64(),
        settled,
    };
    (phase, last)
}
