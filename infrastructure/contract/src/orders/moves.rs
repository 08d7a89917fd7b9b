//! Paying and cancelling one order: a move applies only to a pending order (a payment only
//! strictly before the deadline), moves the order's stock with it, and applies once; a refused
//! move changes nothing and answers the order as it is.

use chrono::Duration;
use seckiller_domain::ports::{MoveOutcome, OrderRepository};
use seckiller_domain::{CancelReason, OrderId, StockLedger};
use uuid::Uuid;

use super::{
    OrderRepositories, a_day_ago, a_sale, an_order, counts, record_new, release_everything,
};

/// Paying before the deadline moves the order's items held → sold and stores the payment
/// reference and time. Paying it again, even by another charge, is refused: the order and the
/// ledger stay as the first payment left them.
pub async fn paying_before_the_deadline_sells_the_stock_once<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let order = an_order(sale.activity.id, buyer, 2, a_day_ago());
    record_new(store, std::slice::from_ref(&order)).await;
    let orders = store.orders();
    let in_time = order.pay_deadline - Duration::seconds(1);

    let mut paid = order.clone();
    paid.pay(in_time, "ch_first")
        .expect("payable before the deadline");
    assert_eq!(
        orders
            .pay(order.id, "ch_first", in_time)
            .await
            .expect("pay"),
        MoveOutcome::Moved(paid.clone())
    );
    assert_eq!(
        orders.by_id(order.id).await.expect("lookup"),
        Some(paid.clone())
    );
    assert_eq!(counts(store, sale.activity.id).await, (100, 98, 0, 2));

    assert_eq!(
        orders
            .pay(order.id, "ch_second", in_time)
            .await
            .expect("pay again"),
        MoveOutcome::Refused(paid.clone())
    );
    assert_eq!(
        orders
            .cancel(order.id, CancelReason::ByBuyer, in_time)
            .await
            .expect("cancel after paying"),
        MoveOutcome::Refused(paid.clone())
    );
    assert_eq!(orders.by_id(order.id).await.expect("lookup"), Some(paid));
    assert_eq!(counts(store, sale.activity.id).await, (100, 98, 0, 2));
}

/// Paying at the deadline or after it is refused and changes nothing: the order stays pending,
/// its stock held. Moves of an order that does not exist find it missing.
pub async fn paying_at_or_after_the_deadline_is_refused_and_changes_nothing<
    S: OrderRepositories,
>(
    store: &S,
) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let order = an_order(sale.activity.id, buyer, 2, a_day_ago());
    record_new(store, std::slice::from_ref(&order)).await;
    let orders = store.orders();

    for late in [
        order.pay_deadline,
        order.pay_deadline + Duration::seconds(1),
    ] {
        assert_eq!(
            orders.pay(order.id, "ch_late", late).await.expect("pay"),
            MoveOutcome::Refused(order.clone()),
            "paying at {late}"
        );
    }
    assert_eq!(
        orders.by_id(order.id).await.expect("lookup"),
        Some(order.clone())
    );
    assert_eq!(counts(store, sale.activity.id).await, (100, 98, 2, 0));

    let nowhere = OrderId::from_uuid(Uuid::now_v7());
    let in_time = order.pay_deadline - Duration::seconds(1);
    assert_eq!(
        orders.pay(nowhere, "ch_none", in_time).await.expect("pay"),
        MoveOutcome::Missing
    );
    for reason in [
        CancelReason::ByBuyer,
        CancelReason::ByAdmin,
        CancelReason::Expired,
    ] {
        assert_eq!(
            orders
                .cancel(nowhere, reason, order.pay_deadline)
                .await
                .expect("cancel"),
            MoveOutcome::Missing
        );
    }
}

/// A buyer's cancellation moves the order's items held → available and puts the order in the
/// outbox (oldest cancellation first) until it is marked released; cancelling it again or
/// paying it is refused. An admin's cancellation enters the outbox too (it owes the gate nothing,
/// but a charge may be owed a refund); marking a pending order released does nothing, so it still
/// enters once cancelled.
pub async fn a_buyer_cancellation_returns_the_stock_and_awaits_release<S: OrderRepositories>(
    store: &S,
) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let created = a_day_ago();
    let [first, second, called_off, marked_early] =
        [1, 2, 3, 4].map(|q| an_order(sale.activity.id, buyer, q, created));
    record_new(
        store,
        &[
            first.clone(),
            second.clone(),
            called_off.clone(),
            marked_early.clone(),
        ],
    )
    .await;
    let orders = store.orders();
    release_everything(orders, created).await;
    let [t1, t2, t3] = [1, 2, 3].map(|s| created + Duration::seconds(s));

    let mut expected_second = second.clone();
    expected_second
        .cancel_by_buyer(t1)
        .expect("cancellable while pending");
    let mut expected_first = first.clone();
    expected_first
        .cancel_by_buyer(t2)
        .expect("cancellable while pending");
    assert_eq!(
        orders
            .cancel(second.id, CancelReason::ByBuyer, t1)
            .await
            .expect("cancel"),
        MoveOutcome::Moved(expected_second.clone())
    );
    assert_eq!(
        orders
            .cancel(first.id, CancelReason::ByBuyer, t2)
            .await
            .expect("cancel"),
        MoveOutcome::Moved(expected_first.clone())
    );
    let called_off = match orders
        .cancel(called_off.id, CancelReason::ByAdmin, t2)
        .await
        .expect("cancel")
    {
        MoveOutcome::Moved(order) => order,
        other => panic!("a pending order is cancellable: {other:?}"),
    };
    orders
        .mark_released(&[marked_early.id], t2)
        .await
        .expect("mark a pending order");
    assert_eq!(counts(store, sale.activity.id).await, (100, 96, 4, 0));

    assert_eq!(
        orders.unreleased(10).await.expect("outbox"),
        vec![
            expected_second.clone(),
            expected_first.clone(),
            called_off.clone()
        ]
    );
    assert_eq!(
        orders.unreleased(1).await.expect("outbox"),
        vec![expected_second.clone()]
    );
    for reason in [
        CancelReason::ByBuyer,
        CancelReason::ByAdmin,
        CancelReason::Expired,
    ] {
        assert_eq!(
            orders
                .cancel(first.id, reason, first.pay_deadline)
                .await
                .expect("cancel again"),
            MoveOutcome::Refused(expected_first.clone())
        );
    }
    assert_eq!(
        orders.pay(first.id, "ch_after", t3).await.expect("pay"),
        MoveOutcome::Refused(expected_first.clone())
    );
    assert_eq!(counts(store, sale.activity.id).await, (100, 96, 4, 0));

    orders
        .mark_released(&[second.id], t3)
        .await
        .expect("release");
    assert_eq!(
        orders.unreleased(10).await.expect("outbox"),
        vec![expected_first.clone(), called_off.clone()]
    );
    let cancelled_late = orders
        .cancel(marked_early.id, CancelReason::ByBuyer, t3)
        .await
        .expect("cancel");
    let MoveOutcome::Moved(cancelled_late) = cancelled_late else {
        panic!("a pending order is cancellable: {cancelled_late:?}");
    };
    assert_eq!(
        orders.unreleased(10).await.expect("outbox"),
        vec![expected_first, called_off.clone(), cancelled_late]
    );
    orders
        .mark_released(&[first.id, second.id, marked_early.id, called_off.id], t3)
        .await
        .expect("release, one of them again");
    assert_eq!(orders.unreleased(10).await.expect("outbox"), vec![]);
    assert_eq!(counts(store, sale.activity.id).await, (100, 100, 0, 0));
}
