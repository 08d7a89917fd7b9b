//! `kill -9` mid-sale: the real binary over Postgres, Redis and JetStream is killed while a crowd
//! is buying, started again, and must then keep every promise it made — each 202 becomes exactly
//! one order — and its books must balance by the same `seckiller check` an operator would run.

// clippy.toml allows unwrap in `#[test]` functions only; the helpers below are test code too.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU64;
use std::time::Duration;

use reqwest::StatusCode;
use seckiller_e2e::environment::{ADMIN, ADMIN_PASSWORD};
use seckiller_e2e::{
    Answer, Api, Buyer, Environment, Node, PurchaseState, SaleSpec, check_until_balanced,
    insert_buyers, orders_of_sale, rush, seckiller_binary,
};
use tokio::task::JoinSet;
use uuid::Uuid;

/// Items for sale.
const STOCK: u32 = 300;
/// Buyers in the crowd: five per item, so the sale would sell out without the kill.
const CROWD: usize = 1500;
/// Requests the crowd keeps in flight, so plenty are cut off by the kill.
const IN_FLIGHT: usize = 300;
/// Acceptances after which the node is killed: a third of the stock, with up to `IN_FLIGHT`
/// purchases still on their way through the gate and the queue.
const KILL_AFTER: usize = 100;
/// How long a node may take to become ready.
const READY: Duration = Duration::from_secs(30);
/// How long accepted purchases may take to become orders, and the books to settle: purchases the
/// killed node had taken from the queue come back only when JetStream's 30 s ack wait runs out.
const PATIENCE: Duration = Duration::from_secs(45);
/// How long `seckiller check` may keep failing once the books have settled.
const CHECK_PATIENCE: Duration = Duration::from_secs(10);

/// What a rush got, by kind of answer.
#[derive(Default)]
struct Tally {
    accepted: Vec<(Buyer, Uuid)>,
    refused: Vec<(StatusCode, String)>,
    no_answer: Vec<String>,
    malformed: Vec<String>,
}

impl Tally {
    fn add(&mut self, buyer: Buyer, answer: Answer) {
        match answer {
            Answer::Accepted { purchase_id } => self.accepted.push((buyer, purchase_id)),
            Answer::Refused { status, code } => self.refused.push((status, code)),
            Answer::NoAnswer { error } => self.no_answer.push(error),
            Answer::Malformed { error } => self.malformed.push(error),
        }
    }

    /// Asserts that every answer fit the document, kill or no kill.
    fn assert_all_well_formed(&self) {
        assert!(
            self.malformed.is_empty(),
            "{} exchanges outside the API document: {:?}",
            self.malformed.len(),
            &self.malformed[..self.malformed.len().min(5)]
        );
    }
}

/// Runs the crowd and kills `node` the moment the `KILL_AFTER`th purchase is accepted; answers
/// still in flight then are whatever the dying node managed to send.
async fn rush_and_kill(api: &Api, activity: Uuid, crowd: &[Buyer], node: &Node) -> Tally {
    let switch = node.kill_switch();
    let killer = switch.clone();
    let mut outcomes = rush(
        api.clone(),
        activity,
        crowd.to_vec(),
        NonZeroU64::MIN,
        IN_FLIGHT,
        move |accepted| {
            if accepted == KILL_AFTER {
                killer.pull().unwrap();
            }
        },
    );
    let mut tally = Tally::default();
    while let Some(outcome) = outcomes.recv().await {
        if let (false, Answer::NoAnswer { error }) = (switch.pulled(), &outcome.answer) {
            panic!(
                "the node stopped answering before it was killed ({} accepted so far): {error}\n\
                 node log (TEST_LOG=info shows each request): {}",
                tally.accepted.len(),
                node.log_tail()
            );
        }
        tally.add(outcome.buyer, outcome.answer);
    }
    tally.assert_all_well_formed();
    assert!(
        switch.pulled() && node.has_exited().unwrap(),
        "only {} purchases were accepted: the node was never killed mid-sale (refused: {:?})",
        tally.accepted.len(),
        &tally.refused[..tally.refused.len().min(5)],
    );
    tally
}

/// Runs the crowd to the end.
async fn rush_all(api: &Api, activity: Uuid, crowd: Vec<Buyer>) -> Tally {
    let mut outcomes = rush(
        api.clone(),
        activity,
        crowd,
        NonZeroU64::MIN,
        IN_FLIGHT,
        |_| {},
    );
    let mut tally = Tally::default();
    while let Some(outcome) = outcomes.recv().await {
        tally.add(outcome.buyer, outcome.answer);
    }
    tally.assert_all_well_formed();
    tally
}

/// Waits (all at once, long polling) until each accepted purchase names its order, and asserts
/// it does; returns purchase → order.
async fn orders_of(api: &Api, accepted: &[(Buyer, Uuid)]) -> HashMap<Uuid, Uuid> {
    let mut polls = JoinSet::new();
    for (buyer, purchase) in accepted.iter().cloned() {
        let api = api.clone();
        polls.spawn(async move {
            let state = api
                .await_order(&buyer.token, purchase, PATIENCE)
                .await
                .unwrap();
            (purchase, state)
        });
    }
    let mut orders = HashMap::new();
    while let Some(done) = polls.join_next().await {
        let (purchase, state) = done.unwrap();
        match state {
            PurchaseState::Ordered { order_id } => {
                orders.insert(purchase, order_id);
            }
            other => panic!("accepted purchase {purchase} has no order: {other:?}"),
        }
    }
    orders
}

/// Asserts that each accepted purchase has exactly one stored order, the one the API named, and
/// that no more than the stock was ever ordered.
async fn assert_one_stored_order_each(
    environment: &Environment,
    activity: Uuid,
    orders: &HashMap<Uuid, Uuid>,
) {
    let stored = orders_of_sale(environment, activity).await.unwrap();
    let promised: HashSet<Uuid> = orders.keys().copied().collect();
    let kept: Vec<_> = stored
        .iter()
        .filter(|o| promised.contains(&o.purchase_id))
        .collect();
    assert_eq!(
        kept.len(),
        promised.len(),
        "stored orders of accepted purchases"
    );
    for order in kept {
        assert_eq!(
            orders[&order.purchase_id], order.id,
            "the API names the stored order"
        );
    }
    let items: i64 = stored.iter().map(|o| o.quantity).sum();
    assert!(
        stored.len() <= STOCK as usize && items <= i64::from(STOCK),
        "{} orders of {items} items for a stock of {STOCK}",
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_sale_keeps_every_accepted_purchase() {
    let binary = tokio::task::spawn_blocking(seckiller_binary)
        .await
        .unwrap()
        .unwrap();
    let environment = Environment::create().await.unwrap();

    // 1. A node, and a sale of 300 that opened a second ago.
    let mut node = Node::start(&binary, &environment).unwrap();
    node.wait_ready(READY).await.unwrap();
    let api = Api::new(&node.base_url());
    let admin = api.sign_in(ADMIN, ADMIN_PASSWORD).await.unwrap();
    let sale = SaleSpec {
        total_stock: STOCK,
        per_user_limit: 1,
        starts_in: chrono::Duration::seconds(-1),
        lasts: chrono::Duration::hours(1),
    };
    let activity = api.open_sale(&admin, sale).await.unwrap();
    let crowd = insert_buyers(&environment, CROWD).await.unwrap();

    // 2. The crowd rushes; after the hundredth 202, kill -9.
    let first = rush_and_kill(&api, activity, &crowd, &node).await;

    // 3. The same node comes back over the same database, gate and queue.
    node = Node::start(&binary, &environment).unwrap();
    node.wait_ready(READY).await.unwrap();
    let api = Api::new(&node.base_url());

    // 4. Every 202 became exactly one order, each its own.
    let orders = orders_of(&api, &first.accepted).await;
    let distinct: HashSet<&Uuid> = orders.values().collect();
    assert_eq!(
        distinct.len(),
        first.accepted.len(),
        "one order per accepted purchase"
    );
    assert_one_stored_order_each(&environment, activity, &orders).await;

    // 5. Once settled, the books balance.
    let books = api.await_settled(&admin, activity, PATIENCE).await.unwrap();
    assert_eq!(books.queue_lag, 0, "the queue drains: {books:?}");
    let verdict = check_until_balanced(&binary, &environment, CHECK_PATIENCE)
        .await
        .unwrap();
    assert!(
        verdict.balanced,
        "seckiller check after the restart:\n{}",
        verdict.report
    );

    // 6. The buyers who got no 202 come back and the sale sells out: exactly its stock, no more.
    let promised: HashSet<Uuid> = first.accepted.iter().map(|(b, _)| b.id).collect();
    let rest: Vec<Buyer> = crowd
        .iter()
        .filter(|b| !promised.contains(&b.id))
        .cloned()
        .collect();
    let second = rush_all(&api, activity, rest).await;
    assert!(
        second.no_answer.is_empty(),
        "the restarted node answers everyone: {:?}",
        &second.no_answer[..second.no_answer.len().min(5)]
    );
    assert!(
        second
            .refused
            .iter()
            .all(|(status, code)| *status == StatusCode::CONFLICT
                && (code == "sold_out" || code == "limit_reached")),
        "every refusal is sold_out, or limit_reached for a purchase the kill cut off: {:?}",
        second.refused
    );
    let mut all_orders = orders_of(&api, &second.accepted).await;
    all_orders.extend(orders);
    let books = api.await_settled(&admin, activity, PATIENCE).await.unwrap();
    assert_eq!(
        (books.queue_lag, books.available, books.live_items),
        (0, 0, u64::from(STOCK)),
        "the sale sells exactly its stock: {books:?}"
    );
    assert_one_stored_order_each(&environment, activity, &all_orders).await;
    let verdict = check_until_balanced(&binary, &environment, CHECK_PATIENCE)
        .await
        .unwrap();
    assert!(
        verdict.balanced,
        "seckiller check after the sell-out:\n{}",
        verdict.report
    );
    let live = orders_of_sale(&environment, activity)
        .await
        .unwrap()
        .iter()
        .filter(|o| o.is_live())
        .map(|o| o.quantity)
        .sum::<i64>();
    assert_eq!(live, i64::from(STOCK), "stored live items");
    eprintln!(
        "before the kill: {} accepted, {} refused, {} without answer; after: {} accepted, {} refused; \
         checks took {} runs",
        first.accepted.len(),
        first.refused.len(),
        first.no_answer.len(),
        second.accepted.len(),
        second.refused.len(),
        verdict.runs
    );

    node.kill9().unwrap();
    environment.remove().await;
}
