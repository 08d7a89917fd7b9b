//! Recording orders and reading them back: one order per purchase, stock held for each, a
//! purchase the ledger cannot cover rejected and remembered, every order found by each key, and
//! an activity's totals by where its orders are.

use chrono::Duration;
use seckiller_domain::ports::{
    MoveOutcome, OrderRepository, OrderTotals, RecordOutcome, Rejection,
};
use seckiller_domain::{ActivityId, CancelReason, Order, OrderId, PurchaseId, StockLedger, UserId};
use uuid::Uuid;

use super::{
    OrderRepositories, a_sale, a_stored_buyer, an_order, by_id, ledger, record, record_new,
};
use crate::fixtures::whole_second_now;

/// The same purchase made into an order again (a redelivery, maybe on another node): a new order
/// id, a later creation time.
fn again(order: &Order) -> Order {
    Order {
        id: OrderId::from_uuid(Uuid::now_v7()),
        created_at: order.created_at + Duration::seconds(3),
        pay_deadline: order.pay_deadline + Duration::seconds(3),
        ..order.clone()
    }
}

/// A new order is stored as it is, and its quantity moves from available to held.
pub async fn a_new_order_holds_its_stock<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let order = an_order(sale.activity.id, buyer, 2, whole_second_now());

    assert_eq!(
        record(store, std::slice::from_ref(&order)).await,
        vec![RecordOutcome::Created]
    );

    let orders = store.orders();
    assert_eq!(
        orders.by_purchase(order.purchase_id).await.expect("lookup"),
        Some(order.clone())
    );
    assert_eq!(orders.by_id(order.id).await.expect("lookup"), Some(order));
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!(
        (stock.total(), stock.available(), stock.held(), stock.sold()),
        (100, 98, 2, 0)
    );
}

/// A purchase delivered again, as the same order or as a new one from another writer, makes no
/// second order and takes no more stock.
pub async fn a_redelivered_purchase_makes_no_second_order<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let order = an_order(sale.activity.id, buyer, 2, whole_second_now());
    let other_writers = again(&order);

    assert_eq!(
        record(store, std::slice::from_ref(&order)).await,
        vec![RecordOutcome::Created]
    );
    assert_eq!(
        record(store, std::slice::from_ref(&order)).await,
        vec![RecordOutcome::AlreadyRecorded]
    );
    assert_eq!(
        record(store, std::slice::from_ref(&other_writers)).await,
        vec![RecordOutcome::AlreadyRecorded]
    );

    let orders = store.orders();
    assert_eq!(
        orders.by_purchase(order.purchase_id).await.expect("lookup"),
        Some(order.clone())
    );
    assert_eq!(orders.by_id(other_writers.id).await.expect("lookup"), None);
    assert_eq!(
        orders.rejection(order.purchase_id).await.expect("lookup"),
        None
    );
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!((stock.available(), stock.held()), (98, 2));
}

/// A batch carrying one purchase twice makes one order of it; the rest of the batch is recorded
/// as usual, and outcomes come in input order.
pub async fn a_batch_with_a_duplicate_makes_one_order<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let now = whole_second_now();
    let first = an_order(sale.activity.id, buyer, 2, now);
    let second = an_order(sale.activity.id, buyer, 3, now);

    assert_eq!(
        record(store, &[first.clone(), again(&first), second.clone()]).await,
        vec![
            RecordOutcome::Created,
            RecordOutcome::AlreadyRecorded,
            RecordOutcome::Created
        ]
    );

    let orders = store.orders();
    assert_eq!(
        orders.by_purchase(first.purchase_id).await.expect("lookup"),
        Some(first)
    );
    assert_eq!(
        orders
            .by_purchase(second.purchase_id)
            .await
            .expect("lookup"),
        Some(second)
    );
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!((stock.available(), stock.held()), (95, 5));
}

/// When the database's ledger cannot cover an order (the gate and the database disagree), no
/// order is made, nothing moves, and the purchase is recorded as rejected, dated with the order's
/// creation time; it stays rejected when delivered again. The rest of the batch goes on.
pub async fn an_order_the_ledger_cannot_cover_is_rejected_and_recorded<S: OrderRepositories>(
    store: &S,
) {
    let stock = StockLedger::from_counts(100, 2, 90, 8).expect("the counts add up");
    let (sale, buyer) = a_sale(store, stock).await;
    let now = whole_second_now();
    let too_big = an_order(sale.activity.id, buyer, 3, now);
    let fits = an_order(sale.activity.id, buyer, 2, now);

    let outcomes = record(store, &[too_big.clone(), fits.clone()]).await;
    let reason = match &outcomes[..] {
        [RecordOutcome::Rejected { reason }, RecordOutcome::Created] => reason.clone(),
        other => panic!("expected a rejection, then a new order: {other:?}"),
    };
    assert!(!reason.is_empty(), "a rejection says why");

    let orders = store.orders();
    assert_eq!(
        orders
            .by_purchase(too_big.purchase_id)
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(orders.by_id(too_big.id).await.expect("lookup"), None);
    assert_eq!(
        orders.rejection(too_big.purchase_id).await.expect("lookup"),
        Some(Rejection {
            purchase_id: too_big.purchase_id,
            activity_id: too_big.activity_id,
            buyer_id: too_big.buyer_id,
            reason: reason.clone(),
            rejected_at: too_big.created_at,
        })
    );
    assert_eq!(
        orders.rejection(fits.purchase_id).await.expect("lookup"),
        None
    );
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!(
        (stock.total(), stock.available(), stock.held(), stock.sold()),
        (100, 0, 92, 8)
    );

    assert_eq!(
        record(store, &[again(&too_big)]).await,
        vec![RecordOutcome::Rejected { reason }],
        "a rejected purchase stays rejected"
    );
    assert_eq!(
        orders
            .by_purchase(too_big.purchase_id)
            .await
            .expect("lookup"),
        None
    );
}

/// Orders come back by their id and by their purchase's id, and a buyer's orders newest first, a
/// page at a time, without anyone else's; unknown ids find nothing.
pub async fn orders_are_found_by_id_purchase_and_buyer<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let someone_else = a_stored_buyer(store).await;
    let now = whole_second_now();
    let [oldest, middle, newest] =
        [0, 1, 2].map(|s| an_order(sale.activity.id, buyer, 1, now + Duration::seconds(s)));
    let theirs = an_order(sale.activity.id, someone_else, 1, now);
    record(store, &[middle.clone(), theirs.clone()]).await;
    record(store, &[newest.clone(), oldest.clone()]).await;

    let orders = store.orders();
    for order in [&oldest, &middle, &newest, &theirs] {
        assert_eq!(
            orders.by_id(order.id).await.expect("lookup"),
            Some(order.clone())
        );
        assert_eq!(
            orders.by_purchase(order.purchase_id).await.expect("lookup"),
            Some(order.clone())
        );
    }
    assert_eq!(
        orders.for_buyer(buyer, 2, 0).await.expect("list"),
        vec![newest.clone(), middle.clone()]
    );
    assert_eq!(
        orders.for_buyer(buyer, 2, 2).await.expect("list"),
        vec![oldest]
    );
    assert_eq!(orders.for_buyer(buyer, 10, 3).await.expect("list"), vec![]);
    assert_eq!(
        orders.for_buyer(someone_else, 10, 0).await.expect("list"),
        vec![theirs]
    );
    let nobody = UserId::from_uuid(Uuid::now_v7());
    assert_eq!(orders.for_buyer(nobody, 10, 0).await.expect("list"), vec![]);
    let unknown = Uuid::now_v7();
    assert_eq!(
        orders
            .by_id(OrderId::from_uuid(unknown))
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        orders
            .by_purchase(PurchaseId::from_uuid(unknown))
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        orders
            .rejection(PurchaseId::from_uuid(unknown))
            .await
            .expect("lookup"),
        None
    );
}

/// An activity's totals count items of pending, paid, and cancelled orders (by the buyer or an
/// admin) apart, and pending and paid orders as live; nothing of another activity counts. Its
/// live orders are exactly the pending and paid ones, as stored (the payment reference too).
pub async fn totals_count_orders_by_where_they_are<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let (other_sale, other_buyer) = a_sale(store, StockLedger::new(100)).await;
    let now = whole_second_now();
    let id = sale.activity.id;
    let pending = [an_order(id, buyer, 1, now), an_order(id, buyer, 2, now)];
    let [paid, withdrawn, called_off] = [3, 4, 5].map(|q| an_order(id, buyer, q, now));
    let elsewhere = an_order(other_sale.activity.id, other_buyer, 7, now);
    record_new(
        store,
        &[
            pending[0].clone(),
            pending[1].clone(),
            paid.clone(),
            withdrawn.clone(),
            called_off.clone(),
            elsewhere,
        ],
    )
    .await;

    let orders = store.orders();
    let later = now + Duration::seconds(30);
    let moves = [
        orders.pay(paid.id, "ch_totals", later).await,
        orders
            .cancel(withdrawn.id, CancelReason::ByBuyer, later)
            .await,
        orders
            .cancel(called_off.id, CancelReason::ByAdmin, later)
            .await,
    ];
    let [paid, withdrawn, called_off] = moves.map(|m| match m.expect("the move is stored") {
        MoveOutcome::Moved(order) => order,
        other => panic!("a pending order moves: {other:?}"),
    });

    assert_eq!(
        orders.totals(id).await.expect("totals"),
        OrderTotals {
            pending_items: 3,
            paid_items: 3,
            cancelled_items: 9,
            live_orders: 3,
        }
    );
    assert_eq!(
        orders.totals(other_sale.activity.id).await.expect("totals"),
        OrderTotals {
            pending_items: 7,
            live_orders: 1,
            ..OrderTotals::default()
        }
    );
    assert_eq!(
        orders
            .totals(ActivityId::from_uuid(Uuid::now_v7()))
            .await
            .expect("totals"),
        OrderTotals::default()
    );
    assert_eq!(paid.payment_ref.as_deref(), Some("ch_totals"));
    assert_eq!(
        by_id(orders.live_orders(id).await.expect("live orders")),
        by_id(vec![pending[0].clone(), pending[1].clone(), paid])
    );
    assert_eq!(
        orders
            .live_orders(ActivityId::from_uuid(Uuid::now_v7()))
            .await
            .expect("live orders"),
        vec![]
    );
    assert_eq!(
        by_id(orders.ended_orders(id).await.expect("ended orders")),
        by_id(vec![withdrawn, called_off])
    );
    assert_eq!(
        orders
            .ended_orders(other_sale.activity.id)
            .await
            .expect("ended orders"),
        vec![]
    );
    let stock = ledger(store, id).await;
    assert_eq!((stock.available(), stock.held(), stock.sold()), (94, 3, 3));
}
