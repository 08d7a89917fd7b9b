//! Progress bars, one [`MultiProgress`] for the whole run: setting up buyers, the rush, orders
//! settling, payments and the expiry wait. Hidden when standard output is not a terminal or with
//! `--quiet`, so CI logs stay clean.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The run's bars.
pub struct Progress {
    multi: MultiProgress,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", s.per_sec());
        })
        .progress_chars("=> ")
}

const BAR: &str = "{prefix:>14} [{bar:30}] {pos}/{len} {rate:>8} {msg}";

impl Progress {
    /// Bars drawn on standard error when `visible`, else nowhere.
    pub fn new(visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self {
            multi: MultiProgress::with_draw_target(target),
        }
    }

    fn add(&self, prefix: &'static str, len: Option<u64>, template: &str) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::with_draw_target(
            len,
            ProgressDrawTarget::hidden(),
        ));
        bar.set_style(style(template));
        bar.set_prefix(prefix);
        bar
    }

    /// Buyers created or signed in, of `n`.
    pub fn setup_buyers(&self, n: u64) -> ProgressBar {
        self.add("setup buyers", Some(n), BAR)
    }

    /// Purchase attempts while the sale is open; see [`RushCounters`] for its message.
    pub fn rush(&self) -> ProgressBar {
        let bar = self.add(
            "rush",
            None,
            "{prefix:>14} {spinner} {pos} attempts {rate:>8} {elapsed:>4} {msg}",
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// Accepted purchases that became orders (its length grows with every 202).
    pub fn settled(&self) -> ProgressBar {
        self.add("orders settled", Some(0), BAR)
    }

    /// Payments answered (its length grows with every buyer who decides to pay).
    pub fn payments(&self) -> ProgressBar {
        self.add("payments", Some(0), BAR)
    }

    /// Seconds until the last unpaid order expires and the books settle.
    pub fn expiry(&self, seconds: u64) -> ProgressBar {
        self.add(
            "expiry wait",
            Some(seconds),
            "{prefix:>14} [{bar:30}] {pos}/{len}s {msg}",
        )
    }

    /// Removes every bar, before the report is printed.
    pub fn clear(&self) {
        let _ = self.multi.clear();
    }
}

/// The rush bar's counters, shown in its message.
#[derive(Default)]
pub struct RushCounters {
    accepted: AtomicU64,
    sold_out: AtomicU64,
    limit_reached: AtomicU64,
}

/// What a purchase attempt came to, for the counters.
pub enum Tally {
    Accepted,
    SoldOut,
    LimitReached,
    Other,
}

impl RushCounters {
    /// Counts one answer and refreshes `bar`, which moves only for purchase `attempt`s (a
    /// purchase-token refusal counts as sold out but is no attempt).
    pub fn count(&self, bar: &ProgressBar, tally: Tally, attempt: bool) {
        let counter = match tally {
            Tally::Accepted => Some(&self.accepted),
            Tally::SoldOut => Some(&self.sold_out),
            Tally::LimitReached => Some(&self.limit_reached),
            Tally::Other => None,
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        if attempt {
            bar.inc(1);
        }
        if !bar.is_hidden() {
            bar.set_message(format!(
                "accepted {} · sold out {} · at limit {}",
                self.accepted.load(Ordering::Relaxed),
                self.sold_out.load(Ordering::Relaxed),
                self.limit_reached.load(Ordering::Relaxed),
            ));
        }
    }
}
