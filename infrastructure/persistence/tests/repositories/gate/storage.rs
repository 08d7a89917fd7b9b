//! What only the database gate has to prove: it keeps its own tables (the ledger is not its
//! stock), nodes with their own pools on one database share one gate and never oversell racing
//! each other, the database itself refuses stock below zero, and bad stored data is reported.

use seckiller_contract::gate::fixtures::{a_buyer, a_purchase, an_activity_id, items};
use seckiller_domain::ports::{GateDecision, StockGate};
use seckiller_persistence::{DatabaseStockGate, connect};
use tokio::task::JoinSet;

use crate::harness::Store;

on_both_backends!(
    the_gate_keeps_its_own_tables_apart_from_the_ledger,
    nodes_sharing_the_database_share_one_gate,
    nodes_racing_on_one_database_never_oversell_nor_pass_the_limit,
    the_database_refuses_gate_stock_below_zero,
    corrupt_gate_rows_are_reported_not_trusted,
    stock_beyond_what_the_database_stores_is_refused,
);

async fn the_gate_keeps_its_own_tables_apart_from_the_ledger(store: Store) {
    let gate = DatabaseStockGate::new(&store.db);
    // An activity the catalogue has never heard of: the gate decides for what it was given.
    let activity = an_activity_id();
    gate.preheat(activity, 5, items(2), &[])
        .await
        .expect("preheat");
    let purchase = a_purchase(activity, a_buyer(), 2);
    assert_eq!(
        gate.try_take(&purchase).await.expect("try_take"),
        GateDecision::Accepted
    );
    assert_eq!(
        store
            .number("SELECT CAST(available AS BIGINT) FROM gate_stock")
            .await,
        3
    );
    assert_eq!(
        store
            .number("SELECT CAST(per_user_limit AS BIGINT) FROM gate_stock")
            .await,
        2
    );
    assert_eq!(
        store
            .number("SELECT COUNT(*) FROM gate_purchases WHERE returned = FALSE")
            .await,
        1
    );
    assert_eq!(
        store.number("SELECT COUNT(*) FROM stock_ledgers").await,
        0,
        "the ledger is not the gate's stock"
    );

    assert!(gate.give_back(&purchase).await.expect("give_back"));
    assert_eq!(
        store
            .number("SELECT COUNT(*) FROM gate_purchases WHERE returned = TRUE")
            .await,
        1,
        "a given-back purchase stays on record, marked returned"
    );
    assert_eq!(
        store
            .number("SELECT CAST(available AS BIGINT) FROM gate_stock")
            .await,
        5
    );
}

async fn nodes_sharing_the_database_share_one_gate(store: Store) {
    let first = DatabaseStockGate::new(&store.db);
    let node = connect(&store.url).await.expect("another node connects");
    let second = DatabaseStockGate::new(&node);

    let activity = an_activity_id();
    first
        .preheat(activity, 3, items(1), &[])
        .await
        .expect("preheat");
    second
        .preheat(activity, 100, items(10), &[])
        .await
        .expect("preheat on another node");
    assert_eq!(
        second.available(activity).await.expect("available"),
        Some(3),
        "the first load wins on every node"
    );

    let buyer = a_buyer();
    let purchase = a_purchase(activity, buyer, 1);
    assert_eq!(
        first.try_take(&purchase).await.expect("try_take"),
        GateDecision::Accepted
    );
    assert_eq!(
        second
            .try_take(&a_purchase(activity, buyer, 1))
            .await
            .expect("try_take on another node"),
        GateDecision::LimitReached
    );
    assert_eq!(
        second
            .find_purchase(purchase.id)
            .await
            .expect("find_purchase"),
        Some(purchase.clone())
    );
    assert!(second.give_back(&purchase).await.expect("give_back"));
    assert!(!first.give_back(&purchase).await.expect("give back again"));
    assert_eq!(first.available(activity).await.expect("available"), Some(3));
}

/// Starts `attempts` purchases of one item each at once, alternating between the two nodes,
/// with buyers from `buyer`; answers how many were accepted.
async fn race(
    nodes: [&DatabaseStockGate; 2],
    activity: seckiller_domain::ActivityId,
    attempts: usize,
    buyer: impl Fn() -> seckiller_domain::UserId,
) -> usize {
    let mut running = JoinSet::new();
    for attempt in 0..attempts {
        let gate = nodes[attempt % 2].clone();
        let purchase = a_purchase(activity, buyer(), 1);
        running.spawn(async move { gate.try_take(&purchase).await });
    }
    let mut accepted = 0;
    while let Some(done) = running.join_next().await {
        match done.expect("the attempt finished").expect("try_take") {
            GateDecision::Accepted => accepted += 1,
            GateDecision::SoldOut | GateDecision::LimitReached => {}
            GateDecision::NotLoaded => panic!("the activity was loaded"),
            GateDecision::GivenBack => panic!("a fresh purchase was never given back"),
            GateDecision::Held { .. } => panic!("a fresh purchase held nothing before"),
        }
    }
    accepted
}

async fn nodes_racing_on_one_database_never_oversell_nor_pass_the_limit(store: Store) {
    let first = DatabaseStockGate::new(&store.db);
    let node = connect(&store.url).await.expect("another node connects");
    let second = DatabaseStockGate::new(&node);

    let crowded = an_activity_id();
    first
        .preheat(crowded, 40, items(1), &[])
        .await
        .expect("preheat");
    assert_eq!(race([&first, &second], crowded, 160, a_buyer).await, 40);
    assert_eq!(second.available(crowded).await.expect("available"), Some(0));
    assert_eq!(first.holdings(crowded).await.expect("holdings").len(), 40);

    let greedy = an_activity_id();
    first
        .preheat(greedy, 100, items(2), &[])
        .await
        .expect("preheat");
    let buyer = a_buyer();
    assert_eq!(race([&first, &second], greedy, 40, || buyer).await, 2);
    assert_eq!(first.available(greedy).await.expect("available"), Some(98));
}

async fn the_database_refuses_gate_stock_below_zero(store: Store) {
    let gate = DatabaseStockGate::new(&store.db);
    let activity = an_activity_id();
    gate.preheat(activity, 5, items(1), &[])
        .await
        .expect("preheat");
    assert!(
        store
            .sql("UPDATE gate_stock SET available = available - 6")
            .await
            .is_err(),
        "the CHECK constraint refuses it"
    );
    assert!(
        store
            .sql("UPDATE gate_stock SET per_user_limit = 0")
            .await
            .is_err()
    );
    assert_eq!(gate.available(activity).await.expect("available"), Some(5));
}

async fn corrupt_gate_rows_are_reported_not_trusted(store: Store) {
    let gate = DatabaseStockGate::new(&store.db);
    let activity = an_activity_id();
    gate.preheat(activity, 5, items(1), &[])
        .await
        .expect("preheat");
    let purchase = a_purchase(activity, a_buyer(), 1);
    assert_eq!(
        gate.try_take(&purchase).await.expect("try_take"),
        GateDecision::Accepted
    );

    store
        .sql("UPDATE gate_purchases SET currency = 'eur'")
        .await
        .expect("corrupt the currency");
    let found = gate.find_purchase(purchase.id).await;
    assert!(
        found
            .as_ref()
            .is_err_and(|e| e.0.to_string().contains("corrupt")),
        "{found:?}"
    );
    let listed = gate.holdings(activity).await;
    assert!(
        listed.is_err(),
        "a listing with a bad row fails: {listed:?}"
    );
}

async fn stock_beyond_what_the_database_stores_is_refused(store: Store) {
    let gate = DatabaseStockGate::new(&store.db);
    let activity = an_activity_id();
    assert!(
        gate.preheat(activity, u32::MAX, items(1), &[])
            .await
            .is_err()
    );
    assert_eq!(gate.available(activity).await.expect("available"), None);
}
