//! What only the database order adapter has to prove about moving orders on: a move the ledger
//! cannot cover is rolled back whole, and nodes recording, paying, cancelling and sweeping the
//! same sales at once never deadlock. (The contract suite races sweepers and payments on both
//! backends already; this adds order writers and several ledgers to the mix, on Postgres, where
//! rows are locked one by one.)

use chrono::{DateTime, Duration, Utc};
use seckiller_contract::a_purchase_of;
use seckiller_contract::fixtures::whole_second_now;
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, MoveOutcome, OrderRepository, UpdateActivityError,
};
use seckiller_domain::{ActivityId, CancelReason, Order, OrderId, StockLedger};
use seckiller_persistence::{SeaOrderRepository, connect};
use uuid::Uuid;

use crate::harness::{self, Store};
use crate::orders::{a_sale, an_order, stock};

on_both_backends!(a_move_the_ledger_cannot_cover_changes_nothing);

/// When the ledger holds less than an order being paid, cancelled or expired (the ledger and the
/// orders disagree, which only SQL written by hand can cause), the move fails and nothing of it
/// is kept: the order stays pending and the ledger as it was.
async fn a_move_the_ledger_cannot_cover_changes_nothing(store: Store) {
    let (sale, buyer) = a_sale(&store, StockLedger::new(10)).await;
    let order = an_order(sale.activity.id, buyer, 2);
    store
        .orders
        .record(std::slice::from_ref(&order))
        .await
        .expect("record");
    store
        .sql("UPDATE stock_ledgers SET available = available + held, held = 0")
        .await
        .expect("empty the held bucket");
    let in_time = order.pay_deadline - Duration::seconds(1);

    let failures = [
        store.orders.pay(order.id, "ch_1", in_time).await,
        store
            .orders
            .cancel(order.id, CancelReason::ByBuyer, in_time)
            .await,
        store
            .orders
            .cancel(order.id, CancelReason::ByAdmin, in_time)
            .await,
    ];
    for failure in failures {
        assert!(
            failure
                .as_ref()
                .is_err_and(|e| e.0.to_string().contains("ledger out of balance")),
            "{failure:?}"
        );
    }
    let expiry = store.orders.expire_due(order.pay_deadline, 10).await;
    assert!(expiry.is_err(), "{expiry:?}");
    let calling_off = call_off(&store, &sale, in_time).await;
    assert!(calling_off.is_err(), "{calling_off:?}");
    assert_eq!(
        store
            .activities
            .by_id(sale.activity.id)
            .await
            .expect("lookup")
            .map(|r| r.activity),
        Some(sale.activity.clone()),
        "the sale's cancellation is rolled back with its orders'"
    );
    assert_eq!(
        store.orders.by_id(order.id).await.expect("lookup"),
        Some(order.clone())
    );
    assert_eq!(store.orders.unreleased(10).await.expect("outbox"), vec![]);
    assert_eq!(stock(&store, sale.activity.id).await, StockLedger::new(10));

    store
        .sql("UPDATE stock_ledgers SET available = available - 2, held = 2")
        .await
        .expect("restore the held bucket");
    assert!(matches!(
        store.orders.pay(order.id, "ch_1", in_time).await,
        Ok(MoveOutcome::Moved(_))
    ));
}

/// Two nodes work the same two sales at once: one records new orders in batches spanning both
/// sales and sweeps what is due, the other pays and cancels orders, some of them the very ones
/// being swept. No call fails (no deadlock, no lock timeout); afterwards one sale is called off,
/// and each ledger agrees with its orders.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_recording_paying_cancelling_and_sweeping_at_once_never_deadlock() {
    const PER_SALE: i64 = 60;
    let store = harness::postgres().await;
    let (first, buyer) = a_sale(&store, StockLedger::new(1_000)).await;
    let (second, _) = a_sale(&store, StockLedger::new(1_000)).await;
    let created = whole_second_now() - Duration::days(1);
    let order_at = |activity: ActivityId, seconds: i64| {
        let at = created + Duration::seconds(seconds);
        let purchase = a_purchase_of(activity, buyer, 1 + (seconds % 2) as u32, at);
        Order::from_purchase(
            OrderId::from_uuid(Uuid::now_v7()),
            &purchase,
            at + Duration::minutes(10),
            at,
        )
    };
    let existing: Vec<Order> = (0..PER_SALE)
        .flat_map(|s| {
            [
                order_at(first.activity.id, s),
                order_at(second.activity.id, s),
            ]
        })
        .collect();
    let fresh: Vec<Order> = (PER_SALE..2 * PER_SALE)
        .flat_map(|s| {
            [
                order_at(second.activity.id, s),
                order_at(first.activity.id, s),
            ]
        })
        .collect();
    store.orders.record(&existing).await.expect("record");
    let sweep_at = created + Duration::seconds(PER_SALE / 2) + Duration::minutes(10);

    let writer_and_sweeper = {
        let url = store.url.clone();
        tokio::spawn(async move {
            let node = connect(&url).await.expect("a node connects");
            let orders = SeaOrderRepository::new(&node);
            for batch in fresh.chunks(10) {
                orders.record(batch).await.expect("recording never fails");
                orders
                    .expire_due(sweep_at, 5)
                    .await
                    .expect("sweeping never fails");
            }
            while !orders
                .expire_due(sweep_at, 5)
                .await
                .expect("sweeping never fails")
                .is_empty()
            {}
            node.close().await.expect("close");
        })
    };
    let payer = {
        let url = store.url.clone();
        let existing = existing.clone();
        tokio::spawn(async move {
            let node = connect(&url).await.expect("a node connects");
            let orders = SeaOrderRepository::new(&node);
            for (i, order) in existing.iter().enumerate() {
                let in_time = order.pay_deadline - Duration::seconds(1);
                let moved = if i % 3 == 0 {
                    orders
                        .cancel(order.id, CancelReason::ByBuyer, in_time)
                        .await
                } else {
                    orders.pay(order.id, "ch_race", in_time).await
                };
                moved.expect("moving never fails");
            }
            node.close().await.expect("close");
        })
    };
    let (written, paid) = tokio::join!(writer_and_sweeper, payer);
    written.expect("the writer and sweeper did not panic");
    paid.expect("the payer did not panic");
    call_off(&store, &first, created)
        .await
        .expect("calling off never fails");

    for sale in [&first, &second] {
        let totals = store.orders.totals(sale.activity.id).await.expect("totals");
        let ledger = stock(&store, sale.activity.id).await;
        assert_eq!(u64::from(ledger.held()), totals.pending_items);
        assert_eq!(u64::from(ledger.sold()), totals.paid_items);
        assert_eq!(
            u64::from(ledger.available()),
            1_000 - totals.pending_items - totals.paid_items
        );
    }
    assert_eq!(
        store
            .orders
            .totals(first.activity.id)
            .await
            .expect("totals")
            .pending_items,
        0,
        "the called-off sale has nothing pending"
    );
}

/// Calls `sale` off at `at` with the version it was stored with.
async fn call_off(
    store: &Store,
    sale: &ActivityRecord,
    at: DateTime<Utc>,
) -> Result<u64, UpdateActivityError> {
    let mut cancelled = sale.activity.clone();
    cancelled
        .cancel(at)
        .expect("a sale not yet over can be called off");
    store
        .orders
        .cancel_sale(&cancelled, sale.activity.version, at)
        .await
}
