//! `seckiller-crowd`: sets up a sale on a running SecKiller, lets a crowd of buyers rush it at
//! the opening second, and reports throughput, latency percentiles and whether the sale stayed
//! correct (orders = stock, nobody over the limit, every accepted purchase became one order).

mod api;
mod report;
mod rush;
mod setup;

use std::time::Duration;

use clap::Parser;

/// Rush a flash sale and measure it.
#[derive(Debug, Parser)]
#[command(name = "seckiller-crowd", version, about)]
struct Args {
    /// The service's base address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An admin account, to set up the sale and read its stats.
    #[arg(long, default_value = "admin")]
    admin_username: String,
    /// Its password.
    #[arg(long, env = "SECKILLER_ADMIN_PASSWORD")]
    admin_password: String,
    /// Buyers rushing at once.
    #[arg(long, default_value_t = 500)]
    buyers: usize,
    /// Stock of the sale.
    #[arg(long, default_value_t = 100)]
    stock: u32,
    /// Per-buyer limit.
    #[arg(long, default_value_t = 1)]
    limit: u32,
    /// Seconds each buyer keeps trying after the opening (a buyer stops at its limit).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Write the report as JSON here too.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let api = api::Api::new(&args.url)?;
    let admin = api
        .sign_in(&args.admin_username, &args.admin_password)
        .await?;
    let sale = setup::sale(&api, &admin, args.stock, args.limit, Duration::from_secs(3)).await?;
    let buyers = setup::buyers(&api, args.buyers).await?;
    let outcome = rush::rush(&api, &sale, &buyers, Duration::from_secs(args.seconds)).await?;
    let verdict = report::verify(&api, &admin, &sale, &outcome, args.limit).await?;
    let report = report::Report::new(
        &args.url,
        args.buyers,
        args.stock,
        args.limit,
        &outcome,
        verdict,
    );
    report.print();
    if let Some(path) = args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    if !report.verdict.correct {
        anyhow::bail!("the sale was not correct");
    }
    Ok(())
}
