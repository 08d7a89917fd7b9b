//! The order lifecycle end to end: paying, cancelling, expiry with exact stock return, payments
//! racing expiry, several nodes' sweepers, and a gate that loses its data mid-sale.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_wirings;
use crate::crowd::{Buyer, buyers, orders_of, rush};
use crate::helpers::{TestApp, Wiring, assert_problem, spawn_app, spawn_app_with};
use crate::purchases::{published_sale, stats};

/// Sweeps and reconciles fast, so a 2-second payment window expires on cue.
fn quick_sweeps(s: &mut seckiller::config::Settings) {
    s.sweep_interval_millis = 100;
    s.reconcile_interval_millis = 200;
}

/// Creates and publishes a sale that opened a second ago; returns its id.
async fn sale(app: &TestApp, admin: &str, stock: u32, limit: u32, pay_within: u32) -> String {
    published_sale(app, admin, stock, limit, -1, Some(pay_within)).await
}

/// The crowd rushes the sale; returns each winner with its order id (waiting for the orders).
async fn winners(app: &TestApp, activity: &str, crowd: &[Buyer]) -> Vec<(Buyer, String)> {
    let accepted: Vec<(Buyer, String)> = rush(app, activity, crowd, 1)
        .await
        .into_iter()
        .filter(|a| a.status == StatusCode::ACCEPTED)
        .map(|a| {
            let buyer = crowd.iter().find(|b| b.id == a.buyer).unwrap().clone();
            (buyer, a.body["purchase_id"].as_str().unwrap().to_owned())
        })
        .collect();
    let orders = orders_of(app, &accepted).await;
    accepted
        .into_iter()
        .map(|(buyer, purchase)| {
            let order = orders[&purchase].clone();
            (buyer, order)
        })
        .collect()
}

async fn pay(app: &TestApp, buyer: &str, order: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/orders/{order}/payment"),
        Some(buyer),
        &json!({}),
    )
    .await
}

async fn cancel(app: &TestApp, buyer: &str, order: &str) -> reqwest::Response {
    app.post(
        &format!("/api/v1/orders/{order}/cancellation"),
        Some(buyer),
        &json!({}),
    )
    .await
}

async fn order(app: &TestApp, buyer: &str, order: &str) -> Value {
    app.get(&format!("/api/v1/orders/{order}"), Some(buyer))
        .await
        .json()
        .await
        .unwrap()
}

/// Polls the sale's stats until `done` holds (at most 15 s); returns the last stats.
async fn stats_until(
    app: &TestApp,
    admin: &str,
    activity: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = stats(app, admin, activity).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("stats never settled: {last}");
}

fn settled(s: &Value) -> bool {
    s["queue_lag"] == 0 && s["balanced"] == true
}

async fn paying_is_once_and_only_for_the_buyer(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 5, 1, 900).await;
    let crowd = buyers(&app, 2).await;
    let won = winners(&app, &activity, &crowd).await;
    let (alice, alice_order) = &won[0];
    let (bob, bob_order) = &won[1];

    // Another buyer's order is nobody else's business.
    assert_problem(
        pay(&app, &bob.token, alice_order).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.payments().charges(), 0);

    let resp = pay(&app, &alice.token, alice_order).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let paid: Value = resp.json().await.unwrap();
    assert_eq!(paid["status"], "paid");
    assert!(paid["payment_ref"].is_string());
    let again: Value = pay(&app, &alice.token, alice_order)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, paid);
    assert_eq!(app.payments().charges(), 1);
    assert_problem(
        cancel(&app, &alice.token, alice_order).await,
        StatusCode::CONFLICT,
        "order_paid",
    )
    .await;

    // Bob withdraws: his item is back on sale at once; he can neither pay nor re-cancel it away.
    let resp = cancel(&app, &bob.token, bob_order).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cancelled: Value = resp.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled_by_buyer");
    assert_eq!(
        cancel(&app, &bob.token, bob_order).await.status(),
        StatusCode::OK
    );
    assert_problem(
        pay(&app, &bob.token, bob_order).await,
        StatusCode::CONFLICT,
        "order_cancelled",
    )
    .await;

    let s = stats_until(&app, &admin, &activity, settled).await;
    assert_eq!(
        (
            s["available"].as_u64(),
            s["held"].as_u64(),
            s["sold"].as_u64()
        ),
        (Some(4), Some(0), Some(1))
    );
    assert_eq!(s["gate_available"], 4);
    assert_eq!(app.payments().charges(), 1);
    app.stop().await;
}

async fn a_declined_payment_charges_nothing_and_can_be_retried(w: Wiring) {
    let app = spawn_app(w).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 5, 1, 900).await;
    let won = winners(&app, &activity, &buyers(&app, 1).await).await;
    let (alice, id) = &won[0];
    app.payments()
        .set_mode(seckiller_memory::PaymentMode::Decline);
    assert_problem(
        pay(&app, &alice.token, id).await,
        StatusCode::PAYMENT_REQUIRED,
        "payment_declined",
    )
    .await;
    assert_eq!(
        order(&app, &alice.token, id).await["status"],
        "pending_payment"
    );
    app.payments()
        .set_mode(seckiller_memory::PaymentMode::Approve);
    assert_eq!(pay(&app, &alice.token, id).await.status(), StatusCode::OK);
    assert_eq!(app.payments().charges(), 1);
    app.stop().await;
}

/// 100 stock, 100 winners, 60 pay and 40 do not: the 40 expire, their units sell again to new
/// buyers, and in the end exactly 100 orders are paid or pending.
async fn unpaid_orders_expire_and_their_stock_sells_again(w: Wiring) {
    let app = spawn_app_with(w, quick_sweeps).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 100, 1, 2).await;
    let first = buyers(&app, 100).await;
    let accepted: Vec<(Buyer, String)> = rush(&app, &activity, &first, 1)
        .await
        .into_iter()
        .filter(|a| a.status == StatusCode::ACCEPTED)
        .map(|a| {
            let buyer = first.iter().find(|b| b.id == a.buyer).unwrap().clone();
            (buyer, a.body["purchase_id"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(accepted.len(), 100);
    // Each winner waits for its order; the first 60 pay the moment it exists, well within the
    // 2-second window however loaded the machine is.
    let mut journeys = tokio::task::JoinSet::new();
    for (i, (buyer, purchase)) in accepted.into_iter().enumerate() {
        let (client, base) = (app.client.clone(), app.base.clone());
        journeys.spawn(async move {
            let order = loop {
                let answer: Value = client
                    .get(format!("{base}/api/v1/purchases/{purchase}?wait=10"))
                    .bearer_auth(&buyer.token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if answer["status"] == "ordered" {
                    break answer["order_id"].as_str().unwrap().to_owned();
                }
                assert_eq!(answer["status"], "pending", "{answer}");
            };
            let paid = match i < 60 {
                true => Some(
                    client
                        .post(format!("{base}/api/v1/orders/{order}/payment"))
                        .bearer_auth(&buyer.token)
                        .send()
                        .await
                        .unwrap()
                        .status(),
                ),
                false => None,
            };
            (buyer, order, paid)
        });
    }
    let journeys = journeys.join_all().await;
    let paid: Vec<_> = journeys.iter().filter_map(|(_, _, p)| *p).collect();
    assert_eq!(paid.len(), 60);
    assert!(paid.iter().all(|s| *s == StatusCode::OK), "{paid:?}");
    let unpaid: Vec<(Buyer, String)> = journeys
        .into_iter()
        .filter(|(_, _, p)| p.is_none())
        .map(|(b, o, _)| (b, o))
        .collect();

    let s = stats_until(&app, &admin, &activity, |s| {
        s["available"] == 40 && s["gate_available"] == 40 && settled(s)
    })
    .await;
    assert_eq!(
        (s["held"].as_u64(), s["sold"].as_u64()),
        (Some(0), Some(60))
    );
    let (late, late_order) = &unpaid[0];
    let expired = order(&app, &late.token, late_order).await;
    assert_eq!(expired["status"], "expired");
    assert!(expired["expired_at"].is_string(), "{expired}");
    assert!(expired["cancelled_at"].is_null(), "{expired}");
    assert_problem(
        pay(&app, &late.token, late_order).await,
        StatusCode::CONFLICT,
        "order_expired",
    )
    .await;

    let second = buyers(&app, 100).await;
    let resold = winners(&app, &activity, &second).await;
    assert_eq!(resold.len(), 40, "exactly the expired units sell again");
    let s = stats_until(&app, &admin, &activity, settled).await;
    assert_eq!(s["live_orders"], 100);
    assert_eq!(s["live_items"], 100);
    assert_eq!(s["available"], 0);
    app.stop().await;
}

/// 200 orders whose deadline falls in the middle of a burst of slow payments for them: each ends
/// paid or expired, never both; every charge that lost is refunded; the books balance.
async fn payments_racing_expiry_end_one_way(w: Wiring) {
    let app = spawn_app_with(w, |s| {
        quick_sweeps(s);
        s.payment_latency_millis = 200;
    })
    .await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 200, 1, 2).await;
    let won = winners(&app, &activity, &buyers(&app, 200).await).await;
    assert_eq!(won.len(), 200);
    let first_deadline = won
        .iter()
        .map(|(b, id)| (b.token.clone(), id.clone()))
        .next()
        .unwrap();
    let deadline: chrono::DateTime<chrono::Utc> = order(&app, &first_deadline.0, &first_deadline.1)
        .await["pay_deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Payments start from 0.6 s before the first deadline, one every 4 ms, and each charge
    // takes 0.2 s: early ones land in time, later ones are charged but lose to the deadline and
    // the sweeper (running every 0.1 s), the last ones come too late to be charged at all.
    let start = deadline - chrono::Duration::milliseconds(600);
    if let Ok(wait) = (start - chrono::Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    let mut paying = tokio::task::JoinSet::new();
    for (i, (buyer, id)) in won.iter().cloned().enumerate() {
        let (client, base) = (app.client.clone(), app.base.clone());
        paying.spawn(async move {
            tokio::time::sleep(Duration::from_millis(4 * i as u64)).await;
            let resp = client
                .post(format!("{base}/api/v1/orders/{id}/payment"))
                .bearer_auth(&buyer.token)
                .send()
                .await
                .unwrap();
            (buyer, id, resp.status())
        });
    }
    let answers = paying.join_all().await;
    let s = stats_until(&app, &admin, &activity, |s| s["held"] == 0 && settled(s)).await;

    let mut paid = 0;
    for (buyer, id, status) in &answers {
        let stored = order(&app, &buyer.token, id).await;
        match stored["status"].as_str().unwrap() {
            "paid" => {
                paid += 1;
                assert_eq!(*status, StatusCode::OK, "{stored}");
            }
            "expired" => assert_ne!(
                *status,
                StatusCode::OK,
                "an expired order was reported paid: {stored}"
            ),
            other => panic!("order ended {other}"),
        }
    }
    let p = app.payments();
    eprintln!(
        "{paid} of 200 paid; {} charged, {} refunded",
        p.charges(),
        p.refunds()
    );
    assert_eq!(
        p.charges() - p.refunds(),
        paid,
        "every charge that lost the race was refunded"
    );
    assert_eq!(s["sold"].as_u64(), Some(paid as u64));
    assert_eq!(s["available"].as_u64(), Some(200 - paid as u64));
    app.stop().await;
}

both_wirings!(
    paying_is_once_and_only_for_the_buyer,
    a_declined_payment_charges_nothing_and_can_be_retried,
    unpaid_orders_expire_and_their_stock_sells_again,
    payments_racing_expiry_end_one_way,
);

/// Two nodes over one Postgres, Redis and stream: both sweep the same overdue orders, and each
/// unit comes back exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sweeping_return_each_unit_once() {
    let app = spawn_app_with(Wiring::Production, quick_sweeps).await;
    let (_, second) = app.another_node().await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 50, 1, 2).await;
    let won = winners(&app, &activity, &buyers(&app, 50).await).await;
    assert_eq!(won.len(), 50);
    let s = stats_until(&app, &admin, &activity, |s| {
        s["available"] == 50 && settled(s)
    })
    .await;
    assert_eq!(s["gate_available"], 50, "no unit returned twice: {s}");
    // Wait a few more sweeps: nothing moves further.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = stats(&app, &admin, &activity).await;
    assert_eq!(
        (s["gate_available"].as_u64(), s["balanced"].as_bool()),
        (Some(50), Some(true))
    );
    second.stop().await.unwrap();
    app.stop().await;
}

/// Redis loses the gate mid-sale: sales pause until the gate is rebuilt from the database, then
/// resume without overselling and with every buyer's limit intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_gate_is_rebuilt_without_overselling() {
    let app = spawn_app_with(Wiring::Production, quick_sweeps).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 100, 1, 900).await;
    let first = buyers(&app, 60).await;
    assert_eq!(winners(&app, &activity, &first).await.len(), 60);
    stats_until(&app, &admin, &activity, settled).await;

    let rebuilds = || async {
        let text = app.get("/metrics", None).await.text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("seckiller_gate_rebuilds_total "))
            .map_or(0.0, |v| v.parse::<f64>().unwrap())
    };
    let rebuilt_before = rebuilds().await;
    app.lose_gate_data().await;
    assert_eq!(
        stats(&app, &admin, &activity).await["gate_available"],
        Value::Null
    );

    // A first buyer again: still at the limit after the rebuild.
    let again = rush(&app, &activity, &first[..1], 1).await;
    assert_eq!(again[0].status, StatusCode::CONFLICT, "{}", again[0].body);
    assert_eq!(again[0].body["code"], "limit_reached");

    let second = buyers(&app, 100).await;
    let attempts = rush(&app, &activity, &second, 1).await;
    let accepted = attempts
        .iter()
        .filter(|a| a.status == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 40, "exactly the remaining stock sells");
    assert!(
        rebuilds().await - rebuilt_before >= 1.0,
        "the lost sale was rebuilt"
    );
    let codes: HashSet<String> = attempts
        .iter()
        .filter(|a| a.status != StatusCode::ACCEPTED)
        .map(|a| a.body["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(codes.iter().all(|c| c == "sold_out"), "{codes:?}");
    let s = stats_until(&app, &admin, &activity, settled).await;
    assert_eq!(
        (s["live_items"].as_u64(), s["available"].as_u64()),
        (Some(100), Some(0))
    );
    app.stop().await;
}

/// Redis loses the gate while a crowd is buying: purchases pause (503) until the gate is rebuilt
/// from the database, then the rest sells, and never one item more than the stock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_lost_during_a_rush_never_oversells() {
    let app = spawn_app_with(Wiring::Production, quick_sweeps).await;
    let admin = app.admin_token().await;
    let activity = sale(&app, &admin, 100, 1, 900).await;
    let first = buyers(&app, 400).await;
    let (mut attempts, ()) = tokio::join!(rush(&app, &activity, &first, 1), async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        app.lose_gate_data().await;
    });
    stats_until(&app, &admin, &activity, |s| s["queue_lag"] == 0).await;
    let second = buyers(&app, 200).await;
    attempts.extend(rush(&app, &activity, &second, 1).await);

    let refusals: HashSet<String> = attempts
        .iter()
        .filter(|a| a.status != StatusCode::ACCEPTED)
        .map(|a| a.body["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        refusals
            .iter()
            .all(|c| c == "sold_out" || c == "unavailable"),
        "{refusals:?}"
    );
    let s = stats_until(&app, &admin, &activity, settled).await;
    assert_eq!(
        s["live_items"], 100,
        "the whole stock sold, and no more: {s}"
    );
    assert_eq!(s["available"], 0);
    let per_buyer = crate::crowd::orders_per_buyer(&app, &activity).await;
    assert!(
        per_buyer.values().all(|(n, _)| *n == 1),
        "one order per buyer"
    );
    app.stop().await;
}
