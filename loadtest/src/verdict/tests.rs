use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;

const WINDOW: i64 = 10;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_900_000_000 + seconds, 0)
        .single()
        .unwrap_or_default()
}

/// Buyer `buyer`'s order number `n`, accepted at second `accepted`.
fn order(buyer: usize, n: usize, accepted: i64, status: &str) -> SeenOrder {
    SeenOrder {
        buyer,
        id: format!("o{buyer}-{n}"),
        purchase_id: format!("p{buyer}-{n}"),
        quantity: 1,
        status: status.to_owned(),
        pay_deadline: at(accepted + WINDOW),
        cancelled_at: None,
    }
}

fn told(o: &SeenOrder) -> Accepted {
    Accepted {
        buyer: o.buyer,
        purchase_id: o.purchase_id.clone(),
        quantity: o.quantity,
        at: Instant::now(),
        resolution: Resolution::Ordered {
            order_id: o.id.clone(),
        },
    }
}

fn paid(o: &SeenOrder) -> Payment {
    Payment {
        order_id: o.id.clone(),
        outcome: PaymentOutcome::Paid,
    }
}

fn stats(total: u64, held: u64, sold: u64) -> StatsSample {
    StatsSample {
        t_ms: 0,
        total,
        available: total - held - sold,
        held,
        sold,
        gate_available: Some(total - held - sold),
        live_orders: held + sold,
        live_items: held + sold,
        queue_lag: 0,
        balanced: true,
        problems: Vec::new(),
    }
}

/// A sale of `stock` to buyers 0..stock, the even ones paying, the odd ones letting it expire.
struct Sale {
    orders: Vec<SeenOrder>,
    accepted: Vec<Accepted>,
    payments: Vec<Payment>,
    samples: Vec<StatsSample>,
    last: StatsSample,
}

fn sale(stock: usize) -> Sale {
    let orders: Vec<SeenOrder> = (0..stock)
        .map(|b| order(b, 0, 0, if b % 2 == 0 { "paid" } else { "expired" }))
        .collect();
    let payments = orders
        .iter()
        .filter(|o| o.status == "paid")
        .map(paid)
        .collect();
    let sold = stock.div_ceil(2) as u64;
    Sale {
        accepted: orders.iter().map(told).collect(),
        payments,
        samples: vec![stats(stock as u64, stock as u64, 0)],
        last: stats(stock as u64, 0, sold),
        orders,
    }
}

impl Sale {
    /// One more order its buyer was told about and paid.
    fn add_paid(&mut self, order: SeenOrder) {
        self.accepted.push(told(&order));
        self.payments.push(paid(&order));
        self.orders.push(order);
    }
}

fn judge_sale(s: &Sale, demand: u64) -> Verdict {
    judge_unanswered(s, demand, 0)
}

/// Judges `s` as if `unanswered` purchase attempts had got no answer.
fn judge_unanswered(s: &Sale, demand: u64, unanswered: u64) -> Verdict {
    judge(&Evidence {
        purchase_unknown: unanswered,
        ..evidence(s, demand)
    })
}

/// The evidence of `s` with a crowd that wanted `demand` items.
fn evidence(s: &Sale, demand: u64) -> Evidence<'_> {
    Evidence {
        stock: s.last.total,
        limit: 1,
        quantity: 1,
        demand,
        told_sold_out: u64::from(demand >= s.last.total),
        payment_window: Duration::seconds(WINDOW),
        accepted: &s.accepted,
        orders: &s.orders,
        payments: &s.payments,
        purchase_unknown: 0,
        samples: &s.samples,
        final_stats: Some(&s.last),
        waited_for_expiry: true,
    }
}

fn failed(v: &Verdict) -> Vec<&'static str> {
    v.checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.name)
        .collect()
}

#[test]
fn a_sale_that_sells_exactly_its_stock_is_correct() {
    let v = judge_sale(&sale(10), 40);
    assert!(v.correct, "{v:#?}");
    assert_eq!(v.checks.len(), 6);
}

#[test]
fn spans_that_touch_do_not_overlap() {
    assert_eq!(peak([]), 0);
    assert_eq!(peak([(0, 10, 1), (10, 20, 1)]), 1);
    assert_eq!(peak([(0, 10, 1), (9, 20, 2), (5, i64::MAX, 1)]), 4);
}

#[test]
fn an_order_lives_from_acceptance_until_it_expires_or_is_cancelled() {
    let window = Duration::seconds(WINDOW);
    let expired = order(0, 0, 5, "expired");
    assert_eq!(
        live_span(&expired, window),
        (at(5).timestamp_millis(), at(15).timestamp_millis(), 1)
    );
    let mut cancelled = order(0, 1, 5, "cancelled_by_buyer");
    cancelled.cancelled_at = Some(at(7));
    assert_eq!(live_span(&cancelled, window).1, at(7).timestamp_millis());
    assert_eq!(live_span(&order(0, 2, 5, "paid"), window).1, i64::MAX);
}

#[test]
fn one_more_live_order_than_the_stock_is_oversold() {
    let mut s = sale(10);
    let extra = order(99, 0, 1, "paid");
    s.add_paid(extra);
    s.last = stats(10, 0, 6);
    let v = judge_sale(&s, 40);
    assert!(failed(&v).contains(&"never more than the stock"), "{v:#?}");
}

#[test]
fn an_oversold_stats_reading_fails_even_when_the_orders_look_right() {
    let mut s = sale(10);
    s.samples.push(StatsSample {
        live_items: 11,
        ..stats(10, 10, 0)
    });
    assert_eq!(
        failed(&judge_sale(&s, 40)),
        vec!["never more than the stock"]
    );
}

#[test]
fn stock_returned_by_expiry_may_be_sold_again_to_the_same_buyer() {
    let mut s = sale(2);
    // Buyer 1's first order expired at second 10; it bought again at second 12 and paid.
    let again = order(1, 1, 12, "paid");
    s.add_paid(again);
    s.last = stats(2, 0, 2);
    let v = judge_sale(&s, 8);
    assert!(v.correct, "{v:#?}");
}

#[test]
fn a_buyer_holding_two_orders_at_once_is_over_a_limit_of_one() {
    let mut s = sale(4);
    let second = order(0, 1, 2, "paid");
    s.add_paid(second);
    s.orders.retain(|o| o.buyer != 3);
    s.accepted.retain(|a| a.buyer != 3);
    s.last = stats(4, 0, 3);
    assert_eq!(failed(&judge_sale(&s, 16)), vec!["no buyer over the limit"]);
}

#[test]
fn two_purchases_sharing_one_order_fail() {
    let mut s = sale(4);
    if let Some(a) = s.accepted.get_mut(1) {
        a.resolution = Resolution::Ordered {
            order_id: "o0-0".into(),
        };
    }
    assert!(failed(&judge_sale(&s, 16)).contains(&"every 202 became exactly one order"));
}

#[test]
fn an_unresolved_purchase_fails_but_a_reported_rejection_does_not() {
    let mut s = sale(4);
    if let Some(a) = s.accepted.get_mut(1) {
        a.resolution = Resolution::Unresolved {
            last: "pending".into(),
        };
    }
    assert_eq!(
        failed(&judge_sale(&s, 16)),
        vec!["every 202 became exactly one order"]
    );
    let mut s = sale(4);
    s.orders.retain(|o| o.buyer != 1);
    if let Some(a) = s.accepted.get_mut(1) {
        a.resolution = Resolution::Rejected {
            reason: "ledger".into(),
        };
    }
    s.samples = vec![stats(4, 3, 0)];
    let v = judge_sale(&s, 3);
    assert!(v.correct, "{v:#?}");
}

#[test]
fn an_order_nobody_was_told_about_fails_unless_an_attempt_went_unanswered() {
    let mut s = sale(4);
    s.accepted.pop();
    assert_eq!(
        failed(&judge_sale(&s, 16)),
        vec!["every 202 became exactly one order"]
    );
    let v = judge_unanswered(&s, 16, 1);
    assert!(v.correct, "{v:#?}");
}

#[test]
fn a_sale_that_sold_out_with_stock_left_is_undersold() {
    let mut s = sale(10);
    s.orders.truncate(8);
    s.accepted.truncate(8);
    s.payments
        .retain(|p| s.orders.iter().any(|o| o.id == p.order_id));
    s.samples = vec![stats(10, 8, 0)];
    s.last = stats(10, 0, 4);
    assert_eq!(
        failed(&judge_sale(&s, 40)),
        vec!["live orders reach the stock"]
    );
    assert!(
        judge_sale(&s, 8).correct,
        "demand below the stock is not expected to sell out"
    );
}

#[test]
fn a_rush_that_ends_by_time_with_nobody_told_sold_out_is_not_undersold() {
    let mut s = sale(10);
    s.orders.truncate(8);
    s.accepted.truncate(8);
    s.payments
        .retain(|p| s.orders.iter().any(|o| o.id == p.order_id));
    s.samples = vec![stats(10, 8, 0)];
    s.last = stats(10, 0, 4);
    let mut verdict = judge_unanswered(&s, 40, 0);
    assert!(!verdict.correct);
    verdict = judge(&Evidence {
        told_sold_out: 0,
        ..evidence(&s, 40)
    });
    assert!(verdict.correct, "{:?}", failed(&verdict));
}

#[test]
fn unbalanced_books_or_a_lagging_queue_fail_the_ledger() {
    let mut s = sale(10);
    s.last.balanced = false;
    s.last.problems = vec!["held 1 but orders hold 0".into()];
    assert_eq!(failed(&judge_sale(&s, 40)), vec!["the ledger balances"]);
    let mut s = sale(10);
    s.last.queue_lag = 2;
    assert_eq!(failed(&judge_sale(&s, 40)), vec!["the ledger balances"]);
}

#[test]
fn a_payment_the_orders_do_not_show_fails() {
    let mut s = sale(4);
    if let Some(o) = s.orders.get_mut(0) {
        o.status = "expired".into();
    }
    s.last = stats(4, 0, 1);
    assert_eq!(failed(&judge_sale(&s, 16)), vec!["every payment holds"]);
}

#[test]
fn orders_expiring_while_the_sale_still_sells_need_only_cover_the_stock_in_all() {
    // Buyers 0..3 took three items at second 0; buyer 1's order expired at 10 and buyer 9 took
    // the fourth item at 12: never all four held at once, yet every item was taken.
    let mut s = sale(4);
    s.orders.retain(|o| o.buyer != 3);
    s.accepted.retain(|a| a.buyer != 3);
    let late = order(9, 0, 12, "paid");
    s.add_paid(late);
    s.samples = vec![stats(4, 3, 0)];
    s.last = stats(4, 0, 3);
    let v = judge_sale(&s, 16);
    assert!(v.correct, "{v:#?}");
    // Without buyer 2 only three items were ever taken: one stayed unsold.
    s.orders.retain(|o| o.buyer != 2);
    s.accepted.retain(|a| a.buyer != 2);
    s.payments.retain(|p| p.order_id != "o2-0");
    s.last = stats(4, 0, 2);
    assert_eq!(
        failed(&judge_sale(&s, 16)),
        vec!["live orders reach the stock"]
    );
}
