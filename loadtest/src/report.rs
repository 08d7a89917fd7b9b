//! The report: one model, serialised as JSON (`--json`), printed for people, and rendered as a
//! self-contained HTML page (`--html`, see [`html`]).

mod chart;
pub mod html;

use serde::Serialize;

use crate::metrics::{Endpoint, Measured, Percentiles};
use crate::rush::{Crowd, PaymentOutcome, Resolution};
use crate::stats::StatsSample;
use crate::timeline::Bucket;
use crate::verdict::Verdict;

/// How the run was set up.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub buyers: usize,
    pub stock: u32,
    pub limit: u32,
    pub quantity: u32,
    pub seconds: u64,
    pub opens_in_seconds: u64,
    pub pay_probability: f64,
    pub seed: u64,
    pub payment_window_seconds: u64,
    pub wait_expiry: bool,
    pub bulk_buyers: bool,
}

/// Making the buyers.
#[derive(Debug, Clone, Serialize)]
pub struct SetupPhase {
    pub buyers: usize,
    pub seconds: f64,
    pub per_second: f64,
}

/// Purchase attempts from the opening to the last answer.
#[derive(Debug, Clone, Serialize)]
pub struct RushPhase {
    pub seconds: f64,
    pub attempts: u64,
    pub accepted: usize,
    pub attempts_per_second: f64,
    pub accepted_per_second: f64,
    /// Buyers told `sold_out`, `limit_reached`, or something else that ended their journey.
    pub sold_out: u64,
    pub limit_reached: u64,
    pub gave_up: u64,
    /// Attempts that got no answer even after retrying.
    pub unanswered: usize,
}

/// From the first 202 to the last purchase resolved.
#[derive(Debug, Clone, Serialize)]
pub struct SettlePhase {
    pub seconds: f64,
    pub ordered: usize,
    pub rejected: usize,
    pub unresolved: usize,
    pub per_second: f64,
}

/// From the first payment to the last one answered 200.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentPhase {
    pub seconds: f64,
    pub attempted: usize,
    pub paid: usize,
    pub expired: usize,
    pub refused: usize,
    pub per_second: f64,
}

/// Waiting for unpaid orders to expire and the books to settle.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiryPhase {
    pub waited_for_expiry: bool,
    pub seconds: f64,
    pub settled: bool,
}

/// One endpoint's latency.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointLatency {
    pub endpoint: Endpoint,
    #[serde(flatten)]
    pub latency: Percentiles,
}

/// How often an endpoint answered with a status and code (status 0: no answer).
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeCount {
    pub endpoint: Endpoint,
    pub status: u16,
    pub code: String,
    pub count: u64,
}

/// The time series.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub bucket_ms: u64,
    pub buckets: Vec<Bucket>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub nodes: Vec<String>,
    pub config: Config,
    pub setup: SetupPhase,
    pub rush: RushPhase,
    pub settle: SettlePhase,
    pub payments: PaymentPhase,
    pub expiry: ExpiryPhase,
    pub latency: Vec<EndpointLatency>,
    pub outcomes: Vec<OutcomeCount>,
    pub timeline: Series,
    pub stats_samples: Vec<StatsSample>,
    pub final_stats: Option<StatsSample>,
    pub verdict: Verdict,
}

/// What the run produced, for [`Report::new`].
pub struct Run {
    pub nodes: Vec<String>,
    pub config: Config,
    pub setup: SetupPhase,
    pub crowd: Crowd,
    pub measured: Measured,
    pub expiry: ExpiryPhase,
    pub samples: Vec<StatsSample>,
    pub final_stats: Option<StatsSample>,
    pub verdict: Verdict,
}

impl Report {
    /// Summarises a run.
    pub fn new(run: Run) -> Self {
        let Run {
            crowd: c,
            measured: m,
            ..
        } = &run;
        let res =
            |f: fn(&Resolution) -> bool| c.accepted.iter().filter(|a| f(&a.resolution)).count();
        let ordered = res(|r| matches!(r, Resolution::Ordered { .. }));
        let pay =
            |f: fn(&PaymentOutcome) -> bool| c.payments.iter().filter(|p| f(&p.outcome)).count();
        let paid = pay(|o| *o == PaymentOutcome::Paid);
        let rush_seconds = m.rush.seconds();
        let per = |n: f64| {
            if rush_seconds > 0.0 {
                n / rush_seconds
            } else {
                0.0
            }
        };
        Self {
            rush: RushPhase {
                seconds: rush_seconds,
                attempts: m.rush.count,
                accepted: c.accepted.len(),
                attempts_per_second: per(m.rush.count as f64),
                accepted_per_second: per(c.accepted.len() as f64),
                sold_out: c.sold_out,
                limit_reached: c.limit_reached,
                gave_up: c.gave_up,
                unanswered: c.purchase_unknown.len(),
            },
            settle: SettlePhase {
                seconds: m.settle.seconds(),
                ordered,
                rejected: res(|r| matches!(r, Resolution::Rejected { .. })),
                unresolved: res(|r| matches!(r, Resolution::Unresolved { .. })),
                per_second: m.settle.rate(ordered as u64),
            },
            payments: PaymentPhase {
                seconds: m.payments.seconds(),
                attempted: c.payments.len(),
                paid,
                expired: pay(|o| *o == PaymentOutcome::Expired),
                refused: pay(|o| matches!(o, PaymentOutcome::Refused { .. })),
                per_second: m.payments.rate(paid as u64),
            },
            latency: m
                .latencies
                .iter()
                .map(|(endpoint, latency)| EndpointLatency {
                    endpoint: *endpoint,
                    latency: latency.clone(),
                })
                .collect(),
            outcomes: m
                .outcomes
                .iter()
                .map(|((endpoint, status, code), count)| OutcomeCount {
                    endpoint: *endpoint,
                    status: *status,
                    code: code.clone(),
                    count: *count,
                })
                .collect(),
            timeline: Series {
                bucket_ms: m.bucket_ms,
                buckets: m.timeline.clone(),
            },
            nodes: run.nodes,
            config: run.config,
            setup: run.setup,
            expiry: run.expiry,
            stats_samples: run.samples,
            final_stats: run.final_stats,
            verdict: run.verdict,
        }
    }

    /// A human summary on standard error (standard output stays free for `--json -`).
    pub fn print(&self) {
        let c = &self.config;
        eprintln!(
            "seckiller-crowd: {} buyers on {} node(s) ({}), stock {}, limit {}, quantity {}, \
             pay {:.0}% (seed {})",
            c.buyers,
            self.nodes.len(),
            self.nodes.join(", "),
            c.stock,
            c.limit,
            c.quantity,
            c.pay_probability * 100.0,
            c.seed
        );
        let (s, r, st, p, e) = (
            &self.setup,
            &self.rush,
            &self.settle,
            &self.payments,
            &self.expiry,
        );
        eprintln!(
            "  setup     {} buyers in {:.2}s ({:.0}/s, {})",
            s.buyers,
            s.seconds,
            s.per_second,
            if c.bulk_buyers { "bulk" } else { "registered" }
        );
        eprintln!(
            "  rush      {:.2}s: {} attempts ({:.0}/s), {} accepted ({:.0}/s); buyers told sold out \
             {}, at limit {}, other {}; {} unanswered",
            r.seconds,
            r.attempts,
            r.attempts_per_second,
            r.accepted,
            r.accepted_per_second,
            r.sold_out,
            r.limit_reached,
            r.gave_up,
            r.unanswered
        );
        eprintln!(
            "  settle    {:.2}s: {} ordered ({:.0}/s), {} rejected, {} unresolved",
            st.seconds, st.ordered, st.per_second, st.rejected, st.unresolved
        );
        eprintln!(
            "  payments  {:.2}s: {} of {} paid ({:.0}/s), {} expired first, {} refused",
            p.seconds, p.paid, p.attempted, p.per_second, p.expired, p.refused
        );
        eprintln!(
            "  expiry    {} {:.2}s, books {}",
            if e.waited_for_expiry {
                "waited"
            } else {
                "not waited;"
            },
            e.seconds,
            if e.settled { "settled" } else { "NOT settled" }
        );
        eprintln!(
            "  {:<16} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "latency (ms)", "n", "p50", "p90", "p99", "p99.9", "max"
        );
        for l in &self.latency {
            let p = &l.latency;
            eprintln!(
                "  {:<16} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                l.endpoint.name(),
                p.count,
                p.p50_ms,
                p.p90_ms,
                p.p99_ms,
                p.p999_ms,
                p.max_ms
            );
        }
        let outcomes: Vec<String> = self
            .outcomes
            .iter()
            .map(|o| format!("{} {} {}: {}", o.endpoint.name(), o.status, o.code, o.count))
            .collect();
        eprintln!("  answers   {}", outcomes.join(" · "));
        for check in &self.verdict.checks {
            let mark = if check.passed { "ok  " } else { "FAIL" };
            eprintln!("  {mark} {}: {}", check.name, check.detail);
        }
        eprintln!(
            "  verdict: {}",
            if self.verdict.correct {
                "CORRECT"
            } else {
                "WRONG"
            }
        );
    }
}
