//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::api::split_urls;
use crate::setup::BuyerSource;

/// Rush a flash sale with a crowd of buyers, measure it, and judge whether it stayed correct.
///
/// Exits 0 when the sale was correct, 1 when the verdict found a fault, 2 when the run itself
/// failed (the service unreachable, setup refused, a report not written).
#[derive(Debug, Parser)]
#[command(name = "seckiller-crowd", version, about)]
pub struct Args {
    /// A node's base address. Repeat the flag or separate addresses with commas to spread the
    /// buyers round-robin over several nodes; the sale is set up on the first.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080")]
    pub urls: Vec<String>,
    /// An admin account, to set up the sale, create buyers and read the stats.
    #[arg(long, default_value = "admin")]
    pub admin_username: String,
    /// Its password.
    #[arg(long, env = "SECKILLER_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: String,
    /// Buyers rushing at once.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub buyers: u64,
    /// Stock of the sale.
    #[arg(long, default_value_t = 100)]
    pub stock: u32,
    /// Per-buyer limit.
    #[arg(long, default_value_t = 1)]
    pub limit: u32,
    /// Items per purchase (at most the limit).
    #[arg(long, default_value_t = 1)]
    pub quantity: u32,
    /// Seconds each buyer keeps trying after the opening (a buyer stops when told sold out or
    /// at its limit).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds from the end of setup to the opening.
    #[arg(long, default_value_t = 3)]
    pub opens_in: u64,
    /// Chance that a buyer pays an order it won (0 to 1).
    #[arg(long, default_value_t = 0.7, value_parser = probability)]
    pub pay_probability: f64,
    /// Seed of the crowd's choices: with the same number of orders won, the same seed pays the
    /// same number of them.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The sale's payment window in seconds: unpaid orders expire after it.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub payment_window: u64,
    /// Wait for unpaid orders to expire and the books to settle before judging (the default
    /// when the pay probability is below 1).
    #[arg(long, overrides_with = "no_wait_expiry")]
    pub wait_expiry: bool,
    /// Judge as soon as the queue drains, with unpaid orders still held.
    #[arg(long, overrides_with = "wait_expiry")]
    pub no_wait_expiry: bool,
    /// Most requests in flight at once over all nodes (each needs a connection, and one machine
    /// has about 28,000 ephemeral ports per node address); buyers beyond it wait their turn.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Buy back to back during the rush and follow each purchase to its order (and pay) only
    /// after it: measures the purchase path alone instead of whole journeys.
    #[arg(long)]
    pub follow_after_rush: bool,
    /// Seconds to wait for purchases to settle and for the books to balance.
    #[arg(long, default_value_t = 60)]
    pub settle_timeout: u64,
    /// Create the buyers with the admin's bulk endpoint (the default).
    #[arg(long, overrides_with = "register_buyers")]
    pub bulk_buyers: bool,
    /// Register each buyer and sign it in instead (slow: one password hash per buyer).
    #[arg(long, overrides_with = "bulk_buyers")]
    pub register_buyers: bool,
    /// Write the report as JSON here (`-` for standard output).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as a self-contained HTML page here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// No progress bars (they are also hidden when standard output is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

fn probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{s} is not a probability between 0 and 1")),
    }
}

impl Args {
    /// Refuses combinations the sale would refuse later, before anything is set up.
    ///
    /// # Errors
    /// No address, or a quantity of zero or over the limit.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.nodes().is_empty(), "give at least one --url");
        anyhow::ensure!(self.limit >= 1, "--limit must be at least 1");
        anyhow::ensure!(
            (1..=self.limit).contains(&self.quantity),
            "--quantity must be between 1 and the limit ({})",
            self.limit
        );
        Ok(())
    }

    /// The nodes' addresses.
    pub fn nodes(&self) -> Vec<String> {
        split_urls(&self.urls)
    }

    /// Whether to wait for unpaid orders to expire.
    pub fn wait_expiry(&self) -> bool {
        match (self.wait_expiry, self.no_wait_expiry) {
            (true, _) => true,
            (_, true) => false,
            _ => self.pay_probability < 1.0,
        }
    }

    /// How the buyers are made.
    pub fn buyer_source(&self) -> BuyerSource {
        if self.register_buyers {
            BuyerSource::Register
        } else {
            BuyerSource::Bulk
        }
    }

    /// Items the crowd wants in all: each buyer buys whole purchases up to its limit.
    pub fn demand(&self) -> u64 {
        let per_buyer = u64::from(self.limit / self.quantity.max(1) * self.quantity);
        self.buyers.saturating_mul(per_buyer)
    }

    pub fn payment_window(&self) -> Duration {
        Duration::from_secs(self.payment_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &[&str]) -> Result<Args, clap::Error> {
        let base = ["seckiller-crowd", "--admin-password", "pw"];
        Args::try_parse_from(base.iter().chain(extra))
    }

    #[test]
    fn defaults_wait_for_expiry_only_when_some_buyers_do_not_pay() -> anyhow::Result<()> {
        assert!(parse(&[])?.wait_expiry());
        assert!(!parse(&["--pay-probability", "1"])?.wait_expiry());
        assert!(parse(&["--pay-probability", "1", "--wait-expiry"])?.wait_expiry());
        assert!(!parse(&["--wait-expiry", "--no-wait-expiry"])?.wait_expiry());
        assert!(parse(&["--no-wait-expiry", "--wait-expiry"])?.wait_expiry());
        Ok(())
    }

    #[test]
    fn buyers_come_in_bulk_unless_registering_is_asked_for() -> anyhow::Result<()> {
        assert_eq!(parse(&[])?.buyer_source(), BuyerSource::Bulk);
        assert_eq!(
            parse(&["--register-buyers"])?.buyer_source(),
            BuyerSource::Register
        );
        assert_eq!(
            parse(&["--register-buyers", "--bulk-buyers"])?.buyer_source(),
            BuyerSource::Bulk
        );
        Ok(())
    }

    #[test]
    fn several_urls_and_bad_values_are_understood() -> anyhow::Result<()> {
        let a = parse(&["--url", "http://a,http://b", "--url", "http://c"])?;
        assert_eq!(a.nodes(), vec!["http://a", "http://b", "http://c"]);
        assert!(parse(&["--pay-probability", "1.5"]).is_err());
        assert!(
            parse(&["--limit", "2", "--quantity", "3"])?
                .check()
                .is_err()
        );
        assert_eq!(
            parse(&["--buyers", "10", "--limit", "5", "--quantity", "2"])?.demand(),
            40
        );
        Ok(())
    }
}
