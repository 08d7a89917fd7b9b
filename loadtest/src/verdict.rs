//! The verdict: was the sale correct? Pure judgement over the evidence: what the crowd was told,
//! the orders its buyers can see, and the sale's own stats sampled through the run.
//!
//! An order is *live* from its acceptance (its `pay_deadline` minus the payment window, on the
//! service's clock) until it expires (its deadline), is cancelled (`cancelled_at`), or forever
//! once paid or pending. The service releases stock only after those instants, so counting the
//! release that early can never make a correct sale look oversold.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::audit::SeenOrder;
use crate::rush::{Accepted, Payment, PaymentOutcome, Resolution};
use crate::stats::StatsSample;

#[cfg(test)]
mod tests;

/// What the verdict weighs.
pub struct Evidence<'a> {
    pub stock: u64,
    pub limit: u64,
    /// Items per purchase.
    pub quantity: u64,
    /// Items the crowd wanted in all: buyers × the most each may buy.
    pub demand: u64,
    /// Buyers told `sold_out`: the claim that the stock ran out, which this check holds the
    /// service to. Zero when the rush ended by time with stock left (a throughput run).
    pub told_sold_out: u64,
    pub payment_window: chrono::Duration,
    pub accepted: &'a [Accepted],
    pub orders: &'a [SeenOrder],
    pub payments: &'a [Payment],
    /// Purchase attempts that got no answer (each may have bought).
    pub purchase_unknown: u64,
    /// Stats read through the run.
    pub samples: &'a [StatsSample],
    /// Stats read last, after the books were given time to settle.
    pub final_stats: Option<&'a StatsSample>,
    /// Whether the crowd waited for unpaid orders to expire.
    pub waited_for_expiry: bool,
}

/// One check and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// Whether the sale was correct, check by check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub correct: bool,
    pub checks: Vec<Check>,
}

/// Judges the evidence.
pub fn judge(e: &Evidence<'_>) -> Verdict {
    let peak = peak(e.orders.iter().map(|o| live_span(o, e.payment_window)));
    let checks = vec![
        one_order_each(e),
        never_oversold(e, peak),
        sold_out_fills_stock(e, peak),
        within_limit(e),
        payments_hold(e),
        ledger_balances(e),
    ];
    Verdict {
        correct: checks.iter().all(|c| c.passed),
        checks,
    }
}

/// The most items held at once by `spans` of (from, until, items), in milliseconds; a span
/// ending at the instant another starts does not overlap it.
pub fn peak(spans: impl IntoIterator<Item = (i64, i64, u64)>) -> u64 {
    let mut events: Vec<(i64, bool, u64)> = spans
        .into_iter()
        .flat_map(|(from, until, items)| [(from, true, items), (until, false, items)])
        .collect();
    // Ends (false) sort before starts (true) at the same instant.
    events.sort_unstable();
    let (mut now, mut most) = (0u64, 0u64);
    for (_, start, items) in events {
        if start {
            now += items;
            most = most.max(now);
        } else {
            now = now.saturating_sub(items);
        }
    }
    most
}

/// When `o` held stock, in milliseconds since the epoch (see the module's doc).
pub fn live_span(o: &SeenOrder, window: chrono::Duration) -> (i64, i64, u64) {
    let deadline = o.pay_deadline.timestamp_millis();
    let from = (o.pay_deadline - window).timestamp_millis();
    let until = match o.status.as_str() {
        "expired" => deadline,
        "cancelled_by_buyer" | "cancelled_by_admin" => o
            .cancelled_at
            .map_or(deadline, |t| t.timestamp_millis())
            .min(deadline),
        _ => i64::MAX,
    };
    (from, until, u64::from(o.quantity))
}

fn few<T: std::fmt::Display>(items: &[T]) -> String {
    let shown: Vec<String> = items.iter().take(3).map(ToString::to_string).collect();
    let more = items.len().saturating_sub(3);
    match more {
        0 => shown.join(", "),
        n => format!("{} and {n} more", shown.join(", ")),
    }
}

fn one_order_each(e: &Evidence<'_>) -> Check {
    let mut by_purchase: HashMap<&str, Vec<&SeenOrder>> = HashMap::new();
    for o in e.orders {
        by_purchase
            .entry(o.purchase_id.as_str())
            .or_default()
            .push(o);
    }
    let told: BTreeSet<&str> = e.accepted.iter().map(|a| a.purchase_id.as_str()).collect();
    let (mut ordered, mut rejected, mut unresolved, mut wrong) = (0, 0, Vec::new(), Vec::new());
    let mut order_ids = BTreeSet::new();
    for a in e.accepted {
        let listed = by_purchase
            .get(a.purchase_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        match &a.resolution {
            Resolution::Ordered { order_id } => {
                ordered += 1;
                order_ids.insert(order_id.as_str());
                if !matches!(listed, [o] if &o.id == order_id && o.quantity == a.quantity) {
                    wrong.push(format!(
                        "{} ({} orders listed)",
                        a.purchase_id,
                        listed.len()
                    ));
                }
            }
            Resolution::Rejected { reason } => {
                rejected += 1;
                if !listed.is_empty() {
                    wrong.push(format!("{} rejected ({reason}) yet ordered", a.purchase_id));
                }
            }
            Resolution::Unresolved { last } => {
                unresolved.push(format!("{} ({last})", a.purchase_id));
            }
        }
    }
    let shared = ordered - order_ids.len();
    let untold: Vec<&str> = by_purchase
        .keys()
        .filter(|p| !told.contains(*p))
        .copied()
        .collect();
    let untold_ok = untold.len() as u64 <= e.purchase_unknown;
    let mut detail = format!(
        "{} accepted: {ordered} ordered as {} distinct orders, {rejected} rejected, {} unresolved",
        e.accepted.len(),
        order_ids.len(),
        unresolved.len()
    );
    if !unresolved.is_empty() {
        detail += &format!(" ({})", few(&unresolved));
    }
    if !wrong.is_empty() {
        detail += &format!("; not matching the buyers' orders: {}", few(&wrong));
    }
    if !untold.is_empty() {
        detail += &format!(
            "; {} orders for purchases never answered 202 ({} attempts got no answer)",
            untold.len(),
            e.purchase_unknown
        );
    }
    Check {
        name: "every 202 became exactly one order",
        passed: unresolved.is_empty() && wrong.is_empty() && shared == 0 && untold_ok,
        detail,
    }
}

fn never_oversold(e: &Evidence<'_>, peak: u64) -> Check {
    let sampled = e
        .samples
        .iter()
        .chain(e.final_stats)
        .map(|s| s.live_items)
        .max()
        .unwrap_or(0);
    Check {
        name: "never more than the stock",
        passed: peak <= e.stock && sampled <= e.stock,
        detail: format!(
            "at most {peak} items in live orders at once by the orders' own times, at most \
             {sampled} in {} stats readings; stock {}",
            e.samples.len() + usize::from(e.final_stats.is_some()),
            e.stock
        ),
    }
}

fn sold_out_fills_stock(e: &Evidence<'_>, peak: u64) -> Check {
    let name = "live orders reach the stock";
    let sampled = e.samples.iter().map(|s| s.live_items).max().unwrap_or(0);
    let most = peak.max(sampled);
    let spans: Vec<(i64, i64, u64)> = e
        .orders
        .iter()
        .map(|o| live_span(o, e.payment_window))
        .collect();
    let taken: u64 = spans.iter().map(|s| s.2).sum();
    if e.told_sold_out == 0 && e.demand >= e.stock {
        return Check {
            name,
            passed: true,
            detail: format!(
                "nobody was told sold out: the rush ended by time ({taken} of {} items ordered)",
                e.stock
            ),
        };
    }
    if e.demand < e.stock {
        return Check {
            name,
            passed: true,
            detail: format!(
                "demand of {} items is below the stock of {}: not expected to sell out ({taken} \
                 items ordered, at most {most} live at once)",
                e.demand, e.stock
            ),
        };
    }
    // With quantity q, up to q - 1 items may stay unsold: no purchase fits them.
    let enough = e.stock.saturating_sub(e.quantity.max(1) - 1);
    let last_taken = spans.iter().map(|s| s.0).max().unwrap_or(0);
    let released_early = spans.iter().filter(|s| s.1 < last_taken).count();
    if released_early == 0 {
        return Check {
            name,
            passed: most >= enough,
            detail: format!(
                "demand {} ≥ stock {}: at most {most} items were in live orders at once",
                e.demand, e.stock
            ),
        };
    }
    // Orders expired (or were cancelled) while the sale was still selling, so the stock was
    // never all held at once; then every item must at least have been taken once.
    Check {
        name,
        passed: taken >= enough,
        detail: format!(
            "demand {} ≥ stock {}: {released_early} orders gave their stock back while the sale \
             was selling, so the {taken} items ordered in all must cover the stock (at most \
             {most} were live at once)",
            e.demand, e.stock
        ),
    }
}

fn within_limit(e: &Evidence<'_>) -> Check {
    let mut by_buyer: BTreeMap<usize, Vec<(i64, i64, u64)>> = BTreeMap::new();
    for o in e.orders {
        by_buyer
            .entry(o.buyer)
            .or_default()
            .push(live_span(o, e.payment_window));
    }
    let peaks: Vec<(usize, u64)> = by_buyer.into_iter().map(|(b, s)| (b, peak(s))).collect();
    let most = peaks.iter().map(|(_, p)| *p).max().unwrap_or(0);
    let over: Vec<String> = peaks
        .iter()
        .filter(|(_, p)| *p > e.limit)
        .map(|(b, p)| format!("buyer {b} held {p}"))
        .collect();
    let mut detail = format!(
        "{} buyers with orders held at most {most} items at once (limit {})",
        peaks.len(),
        e.limit
    );
    if !over.is_empty() {
        detail += &format!("; over the limit: {}", few(&over));
    }
    Check {
        name: "no buyer over the limit",
        passed: over.is_empty(),
        detail,
    }
}

fn payments_hold(e: &Evidence<'_>) -> Check {
    let status: HashMap<&str, &SeenOrder> = e.orders.iter().map(|o| (o.id.as_str(), o)).collect();
    let paid: Vec<&str> = e
        .payments
        .iter()
        .filter(|p| p.outcome == PaymentOutcome::Paid)
        .map(|p| p.order_id.as_str())
        .collect();
    let not_paid: Vec<&str> = paid
        .iter()
        .filter(|id| status.get(*id).is_none_or(|o| o.status != "paid"))
        .copied()
        .collect();
    let count =
        |f: fn(&PaymentOutcome) -> bool| e.payments.iter().filter(|p| f(&p.outcome)).count();
    let expired = count(|o| *o == PaymentOutcome::Expired);
    let refused = count(|o| matches!(o, PaymentOutcome::Refused { .. }));
    let paid_items: u64 = e
        .orders
        .iter()
        .filter(|o| o.status == "paid")
        .map(|o| u64::from(o.quantity))
        .sum();
    let pending = e
        .orders
        .iter()
        .filter(|o| o.status == "pending_payment")
        .count();
    let sold = e.final_stats.map(|s| s.sold);
    let mut passed = not_paid.is_empty() && sold.is_none_or(|s| s == paid_items);
    let mut detail = format!(
        "{} payments answered 200, {} of them paid in the buyers' orders; {paid_items} paid items, \
         stats say sold {}; {expired} answered order_expired, {refused} refused",
        paid.len(),
        paid.len() - not_paid.len(),
        sold.map_or("?".to_owned(), |s| s.to_string()),
    );
    if e.waited_for_expiry {
        passed &= pending == 0;
        detail += &format!("; {pending} still pending_payment after the window");
    }
    if !not_paid.is_empty() {
        detail += &format!("; paid but not so in the orders: {}", few(&not_paid));
    }
    Check {
        name: "every payment holds",
        passed,
        detail,
    }
}

fn ledger_balances(e: &Evidence<'_>) -> Check {
    let name = "the ledger balances";
    let Some(s) = e.final_stats else {
        return Check {
            name,
            passed: false,
            detail: "the stats could not be read".into(),
        };
    };
    let sums = s.available + s.held + s.sold == s.total && s.live_items == s.held + s.sold;
    let passed = sums && s.settled(e.waited_for_expiry) && s.problems.is_empty();
    let mut detail = format!(
        "balanced {}, queue lag {}, total {} = available {} + held {} + sold {}, gate {}, live \
         items {}",
        s.balanced,
        s.queue_lag,
        s.total,
        s.available,
        s.held,
        s.sold,
        s.gate_available
            .map_or("not loaded".to_owned(), |g| g.to_string()),
        s.live_items,
    );
    if !s.problems.is_empty() {
        detail += &format!("; problems: {}", s.problems.join("; "));
    }
    Check {
        name,
        passed,
        detail,
    }
}
