//! The verdict and the report: throughput, latency percentiles and correctness.

use std::collections::HashSet;

use hdrhistogram::Histogram;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::Value;

use crate::api::Api;
use crate::rush::Outcome;
use crate::setup::Sale;

/// Whether the sale stayed correct.
#[derive(Debug, Serialize)]
pub struct Verdict {
    /// Every check passed.
    pub correct: bool,
    /// What was checked and found.
    pub findings: Vec<String>,
}

/// Checks the invariants after the rush: each accepted purchase became exactly one order, no
/// more was sold than the stock, and the database and gate agree once the queue is drained.
pub async fn verify(
    api: &Api,
    admin: &str,
    sale: &Sale,
    outcome: &Outcome,
    limit: u32,
) -> anyhow::Result<Verdict> {
    let mut findings = Vec::new();
    let mut correct = true;
    let mut orders = HashSet::new();
    let mut checks = tokio::task::JoinSet::new();
    let mut pending = outcome.accepted.iter().cloned();
    loop {
        while checks.len() < 200 {
            let Some((buyer, purchase)) = pending.next() else {
                break;
            };
            let api = api.clone();
            checks.spawn(async move {
                let mut answer = Value::Null;
                for _ in 0..6 {
                    answer = api
                        .get(
                            &format!("/api/v1/purchases/{purchase}?wait=10"),
                            Some(&buyer),
                        )
                        .await?
                        .body;
                    if answer["status"] != "pending" {
                        break;
                    }
                }
                anyhow::Ok((purchase, answer))
            });
        }
        let Some(done) = checks.join_next().await else {
            break;
        };
        let (purchase, answer) = done??;
        match answer["order_id"].as_str() {
            Some(order) if answer["status"] == "ordered" => {
                orders.insert(order.to_owned());
            }
            _ => {
                correct = false;
                findings.push(format!(
                    "purchase {purchase} did not become an order: {answer}"
                ));
            }
        }
    }
    let mut per_buyer: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    for (buyer, _) in &outcome.accepted {
        *per_buyer.entry(buyer.as_str()).or_default() += 1;
    }
    let over = per_buyer.values().filter(|n| **n > limit).count();
    if over > 0 {
        correct = false;
    }
    findings.push(format!("buyers over the limit of {limit}: {over}"));
    if orders.len() != outcome.accepted.len() {
        correct = false;
    }
    findings.push(format!(
        "{} accepted purchases became {} distinct orders",
        outcome.accepted.len(),
        orders.len()
    ));
    let stats = api
        .get(
            &format!("/api/v1/admin/activities/{}/stats", sale.id),
            Some(admin),
        )
        .await?;
    anyhow::ensure!(stats.status == StatusCode::OK, "stats: {}", stats.body);
    let s = stats.body;
    let total = s["total"].as_u64().unwrap_or(0);
    let live_items = s["live_items"].as_u64().unwrap_or(u64::MAX);
    if live_items > total {
        correct = false;
        findings.push(format!(
            "OVERSOLD: {live_items} items in orders, stock {total}"
        ));
    }
    let ledger_ok = s["available"].as_u64().unwrap_or(0)
        + s["held"].as_u64().unwrap_or(0)
        + s["sold"].as_u64().unwrap_or(0)
        == total;
    if !ledger_ok {
        correct = false;
    }
    findings.push(format!(
        "ledger total = available + held + sold: {ledger_ok} ({s})"
    ));
    if s["queue_lag"] == 0 && s["gate_available"] != s["available"] {
        correct = false;
        findings.push("the gate and the database disagree after the queue drained".into());
    }
    Ok(Verdict { correct, findings })
}

/// Percentiles of one kind of answer, in milliseconds.
#[derive(Debug, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl From<&Histogram<u64>> for Percentiles {
    fn from(h: &Histogram<u64>) -> Self {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Self {
            count: h.len(),
            p50_ms: ms(0.5),
            p90_ms: ms(0.9),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: h.max() as f64 / 1000.0,
        }
    }
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct Report {
    pub target: String,
    pub buyers: usize,
    pub stock: u32,
    pub limit: u32,
    pub seconds: f64,
    pub accepted: usize,
    pub sold_out: u64,
    pub limit_reached: u64,
    pub other: usize,
    pub purchase_answers_per_second: f64,
    pub accepted_per_second: f64,
    pub token: Percentiles,
    pub purchase_accepted: Percentiles,
    pub purchase_refused: Percentiles,
    pub verdict: Verdict,
}

impl Report {
    pub fn new(
        target: &str,
        buyers: usize,
        stock: u32,
        limit: u32,
        o: &Outcome,
        verdict: Verdict,
    ) -> Self {
        let seconds = o.elapsed.as_secs_f64().max(f64::EPSILON);
        let answers = o.latencies.accepted.len() + o.latencies.refused.len();
        Self {
            target: target.to_owned(),
            buyers,
            stock,
            limit,
            seconds,
            accepted: o.accepted.len(),
            sold_out: o.sold_out,
            limit_reached: o.limit_reached,
            other: o.other.len(),
            purchase_answers_per_second: answers as f64 / seconds,
            accepted_per_second: o.accepted.len() as f64 / seconds,
            token: (&o.latencies.token).into(),
            purchase_accepted: (&o.latencies.accepted).into(),
            purchase_refused: (&o.latencies.refused).into(),
            verdict,
        }
    }

    /// A human summary on standard error (standard output stays free for the JSON).
    pub fn print(&self) {
        let line = |name: &str, p: &Percentiles| {
            eprintln!(
                "  {name:<18} n={:<7} p50={:>7.2}ms p90={:>7.2}ms p99={:>7.2}ms p99.9={:>7.2}ms max={:>7.2}ms",
                p.count, p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms
            )
        };
        eprintln!(
            "seckiller-crowd: {} buyers, stock {}, limit {} against {}",
            self.buyers, self.stock, self.limit, self.target
        );
        eprintln!(
            "  {:.2}s: {} accepted ({:.0}/s), {} sold out, {} at limit, {} other; {:.0} purchase answers/s",
            self.seconds,
            self.accepted,
            self.accepted_per_second,
            self.sold_out,
            self.limit_reached,
            self.other,
            self.purchase_answers_per_second
        );
        line("purchase token", &self.token);
        line("purchase accepted", &self.purchase_accepted);
        line("purchase refused", &self.purchase_refused);
        for f in &self.verdict.findings {
            eprintln!("  - {f}");
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
