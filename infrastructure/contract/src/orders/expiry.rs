//! Moving many orders at once: the sweeper expires overdue pending orders, and calling off a
//! sale cancels its pending orders; stock moves with them, and what is owed back to the stock
//! gate waits in the outbox.

use chrono::Duration;
use seckiller_domain::ports::{
    ActivityRepository, MoveOutcome, OrderRepository, OrderTotals, UpdateActivityError,
};
use seckiller_domain::{CancelReason, Order, OrderStatus, StockLedger};

use super::{
    OrderRepositories, a_day_ago, a_sale, an_order, by_id, counts, expire_everything_due,
    record_new, release_everything,
};

/// `expire_due` takes only pending orders whose deadline is at or before `now`, oldest deadline
/// first and at most `limit` at a time; not a paid one, not one still before its deadline. Their
/// items move held → available, they enter the outbox, and a second call finds nothing more.
/// Cancelling an order as expired is likewise refused before its deadline.
pub async fn expiry_takes_only_overdue_pending_orders_oldest_first<S: OrderRepositories>(
    store: &S,
) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let created = a_day_ago();
    let at = |seconds: i64| created + Duration::seconds(seconds);
    // Deadlines ten minutes after each creation: `now` is the deadline of `due_last`.
    let paid = an_order(sale.activity.id, buyer, 1, at(-3));
    let due_first = an_order(sale.activity.id, buyer, 2, at(-2));
    let due_second = an_order(sale.activity.id, buyer, 3, at(-1));
    let due_last = an_order(sale.activity.id, buyer, 4, at(0));
    let not_due = an_order(sale.activity.id, buyer, 5, at(1));
    let now = due_last.pay_deadline;
    let orders = store.orders();
    expire_everything_due(orders, now).await;
    release_everything(orders, now).await;
    record_new(
        store,
        &[
            not_due.clone(),
            due_last.clone(),
            paid.clone(),
            due_second.clone(),
            due_first.clone(),
        ],
    )
    .await;
    let MoveOutcome::Moved(paid) = orders
        .pay(
            paid.id,
            "ch_sweep",
            paid.pay_deadline - Duration::seconds(1),
        )
        .await
        .expect("pay")
    else {
        panic!("a pending order is payable before its deadline");
    };
    let expired = |order: &Order| {
        let mut order = order.clone();
        order.expire(now).expect("due at now");
        order
    };

    assert_eq!(
        orders.expire_due(now, 2).await.expect("expire"),
        vec![expired(&due_first), expired(&due_second)]
    );
    assert_eq!(counts(store, sale.activity.id).await, (100, 90, 9, 1));
    assert_eq!(
        orders.expire_due(now, 10).await.expect("expire"),
        vec![expired(&due_last)]
    );
    assert_eq!(orders.expire_due(now, 10).await.expect("expire"), vec![]);
    assert_eq!(orders.expire_due(now, 0).await.expect("expire"), vec![]);

    assert_eq!(counts(store, sale.activity.id).await, (100, 94, 5, 1));
    assert_eq!(
        orders.by_id(not_due.id).await.expect("lookup"),
        Some(not_due.clone())
    );
    assert_eq!(orders.by_id(paid.id).await.expect("lookup"), Some(paid));
    assert_eq!(
        orders.by_id(due_last.id).await.expect("lookup"),
        Some(expired(&due_last))
    );
    assert_eq!(
        by_id(orders.unreleased(10).await.expect("outbox")),
        by_id(vec![
            expired(&due_first),
            expired(&due_second),
            expired(&due_last)
        ])
    );
    assert_eq!(
        orders.totals(sale.activity.id).await.expect("totals"),
        OrderTotals {
            pending_items: 5,
            paid_items: 1,
            cancelled_items: 9,
            live_orders: 2,
        }
    );

    assert_eq!(
        orders
            .cancel(not_due.id, CancelReason::Expired, now)
            .await
            .expect("expire early"),
        MoveOutcome::Refused(not_due.clone()),
        "an order is not expired before its deadline"
    );
    assert!(matches!(
        orders
            .cancel(not_due.id, CancelReason::Expired, not_due.pay_deadline)
            .await
            .expect("expire at the deadline"),
        MoveOutcome::Moved(Order {
            status: OrderStatus::Cancelled(CancelReason::Expired),
            ..
        })
    ));
    assert_eq!(counts(store, sale.activity.id).await, (100, 99, 0, 1));
}

/// Calling off a sale stores the sale cancelled and cancels its pending orders (by admin), moving
/// their items held → available, in one step; paid orders, orders cancelled before, and other
/// sales' orders stay as they are. The cancelled orders owe nothing to the gate but wait in the
/// outbox (a charge may be owed a refund). A second call with the version read before the first
/// is a conflict and changes nothing.
pub async fn calling_off_an_activity_cancels_only_its_pending_orders<S: OrderRepositories>(
    store: &S,
) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let (other_sale, other_buyer) = a_sale(store, StockLedger::new(100)).await;
    let created = a_day_ago();
    let id = sale.activity.id;
    let [first, second, paid, withdrawn] = [1, 2, 3, 4].map(|q| an_order(id, buyer, q, created));
    let elsewhere = an_order(other_sale.activity.id, other_buyer, 5, created);
    record_new(
        store,
        &[
            first.clone(),
            second.clone(),
            paid.clone(),
            withdrawn.clone(),
            elsewhere.clone(),
        ],
    )
    .await;
    let orders = store.orders();
    let before = created + Duration::seconds(1);
    let called_off_at = created + Duration::seconds(2);
    let moves = [
        orders.pay(paid.id, "ch_kept", before).await,
        orders
            .cancel(withdrawn.id, CancelReason::ByBuyer, before)
            .await,
    ];
    let [paid, withdrawn] = moves.map(|m| match m.expect("the move is stored") {
        MoveOutcome::Moved(order) => order,
        other => panic!("a pending order moves: {other:?}"),
    });
    release_everything(orders, before).await;

    let mut cancelled_sale = sale.activity.clone();
    cancelled_sale
        .cancel(called_off_at)
        .expect("a planned sale can be called off");
    assert_eq!(
        orders
            .cancel_sale(&cancelled_sale, sale.activity.version, called_off_at)
            .await
            .expect("call off"),
        2
    );
    assert_eq!(
        store
            .activities()
            .by_id(id)
            .await
            .expect("lookup")
            .map(|r| r.activity),
        Some(cancelled_sale.clone()),
        "the sale is stored cancelled with its orders"
    );

    let mut called_off = Vec::new();
    for order in [&first, &second] {
        let mut cancelled = order.clone();
        cancelled
            .cancel_by_admin(called_off_at)
            .expect("pending orders are cancellable");
        assert_eq!(
            orders.by_id(order.id).await.expect("lookup"),
            Some(cancelled.clone())
        );
        called_off.push(cancelled);
    }
    assert_eq!(orders.by_id(paid.id).await.expect("lookup"), Some(paid));
    assert_eq!(
        orders.by_id(withdrawn.id).await.expect("lookup"),
        Some(withdrawn)
    );
    assert_eq!(
        orders.by_id(elsewhere.id).await.expect("lookup"),
        Some(elsewhere)
    );
    assert_eq!(counts(store, id).await, (100, 97, 0, 3));
    assert_eq!(counts(store, other_sale.activity.id).await, (100, 95, 5, 0));
    assert_eq!(
        by_id(orders.unreleased(10).await.expect("outbox")),
        by_id(called_off),
        "the called-off orders await their release"
    );
    assert_eq!(
        orders
            .cancel_sale(&cancelled_sale, sale.activity.version, called_off_at)
            .await,
        Err(UpdateActivityError::Conflict),
        "the version moved on"
    );
    assert_eq!(counts(store, id).await, (100, 97, 0, 3));
}
