//! What only the database order adapter has to prove about recording: a failed batch keeps
//! nothing, a purchase naming something not stored is rejected instead of failing its batch,
//! corrupt rows are reported, and order writers on several nodes recording overlapping batches at
//! once make one order per purchase and keep the ledger balanced.

use chrono::Duration;
use seckiller_contract::a_purchase_of;
use seckiller_contract::fixtures::{a_product, a_user, an_activity, whole_second_now};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, OrderRepository, OrderTotals, ProductRepository,
    RecordOutcome, UserRepository,
};
use seckiller_domain::{ActivityId, Order, OrderId, Role, StockLedger, UserId};
use seckiller_persistence::{SeaOrderRepository, connect};
use uuid::Uuid;

use crate::harness::{self, Store};

on_both_backends!(
    a_large_batch_is_recorded_whole,
    a_large_batch_the_ledger_cannot_cover_sells_exactly_the_stock,
    a_failed_batch_keeps_nothing,
    a_purchase_naming_an_unknown_activity_or_buyer_is_rejected,
    corrupt_order_rows_are_reported_not_trusted,
);

pub(crate) async fn a_sale(store: &Store, stock: StockLedger) -> (ActivityRecord, UserId) {
    let product = a_product(whole_second_now());
    store
        .products
        .insert(&product)
        .await
        .expect("store a product");
    let mut record = an_activity(product.id, whole_second_now());
    record.stock = stock;
    store
        .activities
        .insert(&record)
        .await
        .expect("store an activity");
    let buyer = a_user(Role::Buyer);
    store.users.insert(&buyer).await.expect("store a buyer");
    (record, buyer.id)
}

pub(crate) fn an_order(activity: ActivityId, buyer: UserId, quantity: u32) -> Order {
    let now = whole_second_now();
    let purchase = a_purchase_of(activity, buyer, quantity, now);
    Order::from_purchase(
        OrderId::from_uuid(Uuid::now_v7()),
        &purchase,
        now + Duration::minutes(10),
        now,
    )
}

pub(crate) async fn stock(store: &Store, activity: ActivityId) -> StockLedger {
    store
        .activities
        .by_id(activity)
        .await
        .expect("lookup")
        .expect("stored")
        .stock
}

/// A batch larger than one multi-row insert takes (several inserts in one transaction), from
/// many buyers: every order made, the ledger moved by the sum.
async fn a_large_batch_is_recorded_whole(store: Store) {
    let (sale, _) = a_sale(&store, StockLedger::new(1000)).await;
    let mut orders = Vec::new();
    for _ in 0..450 {
        let buyer = a_user(Role::Buyer);
        store.users.insert(&buyer).await.expect("store a buyer");
        orders.push(an_order(sale.activity.id, buyer.id, 2));
    }
    let outcomes = store.orders.record(&orders).await.expect("recorded");
    assert!(outcomes.iter().all(|o| *o == RecordOutcome::Created));
    let ledger = stock(&store, sale.activity.id).await;
    assert_eq!((ledger.available(), ledger.held()), (100, 900));
}

/// A batch asking more than the ledger has: the first orders that fit are made, in batch order,
/// the rest rejected, and the ledger ends at zero, never below.
async fn a_large_batch_the_ledger_cannot_cover_sells_exactly_the_stock(store: Store) {
    let (sale, buyer) = a_sale(&store, StockLedger::new(250)).await;
    let orders: Vec<Order> = (0..300)
        .map(|_| an_order(sale.activity.id, buyer, 1))
        .collect();
    let outcomes = store.orders.record(&orders).await.expect("recorded");
    let created = outcomes
        .iter()
        .take_while(|o| **o == RecordOutcome::Created)
        .count();
    assert_eq!(created, 250);
    assert!(
        outcomes[250..]
            .iter()
            .all(|o| matches!(o, RecordOutcome::Rejected { .. }))
    );
    let ledger = stock(&store, sale.activity.id).await;
    assert_eq!((ledger.available(), ledger.held()), (0, 250));
}

async fn a_failed_batch_keeps_nothing(store: Store) {
    let (sale, buyer) = a_sale(&store, StockLedger::new(2)).await;
    let fits = an_order(sale.activity.id, buyer, 2);
    let too_big = an_order(sale.activity.id, buyer, 1);

    // The second order needs the rejections table, which is away: the batch fails after the
    // first order was written and its stock moved.
    store
        .sql("ALTER TABLE purchase_rejections RENAME TO purchase_rejections_away")
        .await
        .expect("hide the rejections");
    let outcome = store.orders.record(&[fits.clone(), too_big.clone()]).await;
    store
        .sql("ALTER TABLE purchase_rejections_away RENAME TO purchase_rejections")
        .await
        .expect("restore the rejections");

    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(
        store
            .orders
            .by_purchase(fits.purchase_id)
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(stock(&store, sale.activity.id).await, StockLedger::new(2));
    assert_eq!(
        store
            .orders
            .record(&[fits, too_big])
            .await
            .expect("the retry is recorded")
            .len(),
        2
    );
}

async fn a_purchase_naming_an_unknown_activity_or_buyer_is_rejected(store: Store) {
    let (sale, buyer) = a_sale(&store, StockLedger::new(10)).await;
    let no_activity = an_order(ActivityId::from_uuid(Uuid::now_v7()), buyer, 1);
    let no_buyer = an_order(sale.activity.id, UserId::from_uuid(Uuid::now_v7()), 1);
    let fine = an_order(sale.activity.id, buyer, 1);

    let outcomes = store
        .orders
        .record(&[no_activity.clone(), no_buyer.clone(), fine])
        .await
        .expect("the batch is recorded");
    match &outcomes[..] {
        [
            RecordOutcome::Rejected { reason: activity },
            RecordOutcome::Rejected { reason: buyer },
            RecordOutcome::Created,
        ] => {
            assert!(activity.contains("activity"), "{activity}");
            assert!(buyer.contains("buyer"), "{buyer}");
        }
        other => panic!("expected two rejections and an order: {other:?}"),
    }
    for order in [&no_activity, &no_buyer] {
        let rejection = store
            .orders
            .rejection(order.purchase_id)
            .await
            .expect("lookup");
        assert!(rejection.is_some(), "the rejection is kept");
    }
    assert_eq!(stock(&store, sale.activity.id).await.held(), 1);
}

async fn corrupt_order_rows_are_reported_not_trusted(store: Store) {
    let (sale, buyer) = a_sale(&store, StockLedger::new(10)).await;
    let order = an_order(sale.activity.id, buyer, 1);
    store
        .orders
        .record(std::slice::from_ref(&order))
        .await
        .expect("record");

    for (corrupt, restore) in [
        ("status = 'lost'", "status = 'pending_payment'"),
        ("currency = 'eur'", "currency = 'EUR'"),
        ("unit_price_minor = -5", "unit_price_minor = 9990"),
    ] {
        store
            .sql(&format!("UPDATE orders SET {corrupt}"))
            .await
            .expect("corrupt the row");
        let found = store.orders.by_id(order.id).await;
        assert!(
            found
                .as_ref()
                .is_err_and(|e| e.0.to_string().contains("corrupt")),
            "{corrupt}: {found:?}"
        );
        let listed = store.orders.for_buyer(buyer, 10, 0).await;
        assert!(listed.is_err(), "{corrupt}: {listed:?}");
        store
            .sql(&format!("UPDATE orders SET {restore}"))
            .await
            .expect("restore the row");
    }
    assert_eq!(
        store.orders.by_id(order.id).await.expect("lookup"),
        Some(order)
    );
}

/// Two nodes' order writers (separate pools, separate tasks) record the same purchases in
/// different batches, in opposite orders, across two activities, at the same time. More is
/// bought than there is stock, so some purchases are rejected. Every purchase ends with exactly
/// one order or one rejection, neither writer fails (no deadlock), and each ledger adds up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_recording_overlapping_batches_make_one_order_per_purchase() {
    const STOCK: u32 = 150;
    const PER_ACTIVITY: usize = 200;
    let store = harness::postgres().await;
    let (first, buyer) = a_sale(&store, StockLedger::new(STOCK)).await;
    let (second, _) = a_sale(&store, StockLedger::new(STOCK)).await;
    let orders: Vec<Order> = (0..PER_ACTIVITY)
        .flat_map(|_| {
            [
                an_order(first.activity.id, buyer, 1),
                an_order(second.activity.id, buyer, 1),
            ]
        })
        .collect();
    let mut reversed: Vec<Order> = orders
        .iter()
        .rev()
        .map(|order| Order {
            id: OrderId::from_uuid(Uuid::now_v7()),
            ..order.clone()
        })
        .collect();
    reversed.rotate_left(7);

    let writer = |orders: Vec<Order>, batch: usize| {
        let url = store.url.clone();
        tokio::spawn(async move {
            let node = connect(&url).await.expect("a node connects");
            let repository = SeaOrderRepository::new(&node);
            let mut outcomes = Vec::new();
            for batch in orders.chunks(batch) {
                outcomes.extend(repository.record(batch).await.expect("no batch fails"));
            }
            node.close().await.expect("close");
            outcomes
        })
    };
    let (a, b) = tokio::join!(writer(orders.clone(), 25), writer(reversed, 32));
    let outcomes: Vec<RecordOutcome> = [a, b]
        .into_iter()
        .flat_map(|writer| writer.expect("the writer did not panic"))
        .collect();

    let created = outcomes
        .iter()
        .filter(|o| **o == RecordOutcome::Created)
        .count();
    assert_eq!(created, 2 * STOCK as usize, "one creation per sold item");
    for order in &orders {
        let made = store
            .orders
            .by_purchase(order.purchase_id)
            .await
            .expect("lookup");
        let rejected = store
            .orders
            .rejection(order.purchase_id)
            .await
            .expect("lookup");
        assert!(
            made.is_some() != rejected.is_some(),
            "purchase {}: order {made:?}, rejection {rejected:?}",
            order.purchase_id
        );
    }
    assert_eq!(
        store
            .number("SELECT COUNT(*) - COUNT(DISTINCT purchase_id) FROM orders")
            .await,
        0
    );
    for sale in [&first, &second] {
        let ledger = stock(&store, sale.activity.id).await;
        assert_eq!(
            (
                ledger.total(),
                ledger.available(),
                ledger.held(),
                ledger.sold()
            ),
            (STOCK, 0, STOCK, 0)
        );
        assert_eq!(
            store.orders.totals(sale.activity.id).await.expect("totals"),
            OrderTotals {
                pending_items: u64::from(STOCK),
                live_orders: u64::from(STOCK),
                ..OrderTotals::default()
            }
        );
    }
}
