//! Orders raced for by several nodes at once: two sweepers, or buyers paying while the sweeper
//! expires. Each order still moves exactly once and the ledger moves with it. The callers run as
//! separate tasks (see [`SpawnOrderCall`]) and, where the store has them, through separate nodes'
//! connections (see [`OrderRepositories::another_node`]).

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{MoveOutcome, OrderRepository, OrderTotals, StorageError};
use seckiller_domain::{ActivityId, CancelReason, Order, OrderId, OrderStatus, StockLedger};

use super::{
    OrderOutcome, OrderRepositories, SpawnOrderCall, a_day_ago, a_sale, an_order, counts,
    expire_everything_due, payment_window, record_new,
};
use crate::fixtures::whole_second_now;

/// A sweeper's loop: expire what is due at `now`, `batch` orders at a time, until nothing more
/// is found.
async fn sweep<O: OrderRepository>(
    orders: &O,
    now: DateTime<Utc>,
    batch: u32,
) -> OrderOutcome<Vec<Order>> {
    let mut expired = Vec::new();
    loop {
        let claimed = orders.expire_due(now, batch).await?;
        if claimed.is_empty() {
            return Ok(expired);
        }
        expired.extend(claimed);
    }
}

fn ids(orders: &[Order]) -> HashSet<OrderId> {
    orders.iter().map(|o| o.id).collect()
}

fn items(orders: &[Order]) -> u32 {
    orders.iter().map(|o| o.quantity.get()).sum()
}

/// Two sweepers on two nodes expire the same due orders of two sales at once, in small batches:
/// together they expire every due order, none twice, nothing not yet due, and neither fails.
/// Each ledger ends with only the not-yet-due orders' items held.
pub async fn two_sweepers_expire_every_due_order_exactly_once<S, T>(store: &S, spawn: &T)
where
    S: OrderRepositories,
    T: SpawnOrderCall,
{
    let (first, buyer) = a_sale(store, StockLedger::new(200)).await;
    let (second, _) = a_sale(store, StockLedger::new(200)).await;
    let created = a_day_ago();
    let due: Vec<Order> = (0..40u32)
        .flat_map(|i| {
            let at = created + Duration::seconds(i64::from(i));
            [&first, &second].map(|sale| an_order(sale.activity.id, buyer, 1 + i % 3, at))
        })
        .collect();
    let not_due: Vec<Order> = (40..45)
        .map(|s| an_order(first.activity.id, buyer, 1, created + Duration::seconds(s)))
        .collect();
    let now = created + Duration::seconds(39) + payment_window();
    let orders = store.orders();
    expire_everything_due(orders, now).await;
    record_new(store, &[due.clone(), not_due.clone()].concat()).await;

    let nodes = [orders.clone(), store.another_node().await];
    let sweepers: Vec<_> = nodes
        .into_iter()
        .map(|node| spawn.spawn(Box::pin(async move { sweep(&node, now, 7).await })))
        .collect();
    let mut swept = Vec::new();
    for sweeper in sweepers {
        swept.push(sweeper.await.expect("a sweeper never fails"));
    }

    let (a, b) = (ids(&swept[0]), ids(&swept[1]));
    assert!(a.is_disjoint(&b), "an order expired twice");
    assert_eq!(&a | &b, ids(&due), "every due order expired, nothing else");
    for order in &due {
        let stored = orders.by_id(order.id).await.expect("lookup");
        assert_eq!(
            stored.map(|o| o.status),
            Some(OrderStatus::Cancelled(CancelReason::Expired))
        );
    }
    for order in &not_due {
        assert_eq!(
            orders.by_id(order.id).await.expect("lookup"),
            Some(order.clone())
        );
    }
    let held = items(&not_due);
    assert_eq!(
        counts(store, first.activity.id).await,
        (200, 200 - held, held, 0)
    );
    assert_eq!(counts(store, second.activity.id).await, (200, 200, 0, 0));
    assert_eq!(sweep(orders, now, 7).await.expect("sweep"), vec![]);
}

/// Fifty buyers pay at the last second before their deadline while a sweeper on another node
/// expires the same fifty orders at the deadline. Every order ends either paid or expired, never
/// both: the payments that moved an order and the sweeper's expired orders split the fifty
/// between them, each refused payment finds its order expired, and the ledger sold exactly the
/// paid items and holds nothing.
pub async fn payments_racing_the_sweeper_settle_each_order_once<S, T>(store: &S, spawn: &T)
where
    S: OrderRepositories,
    T: SpawnOrderCall,
{
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let created = a_day_ago();
    let batch: Vec<Order> = (0..50u32)
        .map(|i| an_order(sale.activity.id, buyer, 1 + i % 2, created))
        .collect();
    let deadline = created + payment_window();
    let last_second = deadline - Duration::seconds(1);
    let orders = store.orders();
    expire_everything_due(orders, deadline).await;
    record_new(store, &batch).await;

    let sweeper_node = store.another_node().await;
    let (early, late) = batch.split_at(batch.len() / 2);
    let pay = |order: &Order| {
        let (node, id) = (orders.clone(), order.id);
        spawn.spawn(Box::pin(async move {
            node.pay(id, &format!("ch_{id}"), last_second).await
        }))
    };
    let mut payments: Vec<_> = early.iter().map(pay).collect();
    let sweeper = spawn.spawn(Box::pin(
        async move { sweep(&sweeper_node, deadline, 5).await },
    ));
    payments.extend(late.iter().map(pay));

    let mut paid = Vec::new();
    for payment in payments {
        match payment.await.expect("a payment never fails") {
            MoveOutcome::Moved(order) => {
                assert_eq!(order.status, OrderStatus::Paid);
                paid.push(order);
            }
            MoveOutcome::Refused(order) => assert_eq!(
                order.status,
                OrderStatus::Cancelled(CancelReason::Expired),
                "a payment is refused only because the sweeper came first"
            ),
            MoveOutcome::Missing => panic!("every order is stored"),
        }
    }
    let expired = sweeper.await.expect("the sweeper never fails");

    let (paid_ids, expired_ids) = (ids(&paid), ids(&expired));
    assert!(
        paid_ids.is_disjoint(&expired_ids),
        "an order paid and expired"
    );
    assert_eq!(&paid_ids | &expired_ids, ids(&batch), "every order settled");
    for order in &batch {
        let status = orders
            .by_id(order.id)
            .await
            .expect("lookup")
            .map(|o| o.status);
        let expected = if paid_ids.contains(&order.id) {
            OrderStatus::Paid
        } else {
            OrderStatus::Cancelled(CancelReason::Expired)
        };
        assert_eq!(status, Some(expected));
    }
    assert_ledger_matches(store, sale.activity.id, &paid, &expired).await;
}

/// A hundred sales, each with two orders: its buyer pays the first on one node while an admin
/// calls the sale off on another, all hundred pairs at once. The rule, exactly: the payment and
/// the cancellation are one decision per order, so
/// - an order ends paid if and only if its payment answered `Moved` (it committed before the
///   cancellation), and then the cancellation left it alone: it cancelled only the other order;
/// - otherwise the payment answered `Refused` with the order cancelled with its sale, and the
///   cancellation (or the refused payment itself) cancelled it: no order of a cancelled sale is
///   left pending, and none is paid after its sale's cancellation committed;
/// - the ledger sold exactly the paid items and holds nothing;
/// - a payment asked after the cancellation committed is refused.
pub async fn payments_racing_their_sales_cancellation_settle_each_order_once<S, T>(
    store: &S,
    spawn: &T,
) where
    S: OrderRepositories,
    T: SpawnOrderCall,
{
    let created = whole_second_now();
    let at = created + Duration::seconds(1);
    let mut sales = Vec::new();
    for _ in 0..100 {
        let (sale, buyer) = a_sale(store, StockLedger::new(10)).await;
        let [paying, bystander] = [1, 2].map(|q| an_order(sale.activity.id, buyer, q, created));
        record_new(store, &[paying.clone(), bystander.clone()]).await;
        let mut cancelled = sale.activity.clone();
        cancelled
            .cancel(at)
            .expect("a planned sale can be called off");
        sales.push((sale, cancelled, paying, bystander));
    }
    let orders = store.orders();
    let other_node = store.another_node().await;
    let mut races = Vec::new();
    for (i, (sale, cancelled, paying, _)) in sales.iter().enumerate() {
        let (payer, id) = (orders.clone(), paying.id);
        let pay = Box::pin(async move { payer.pay(id, &format!("ch_{id}"), at).await });
        let (admin, cancelled, version) =
            (other_node.clone(), cancelled.clone(), sale.activity.version);
        let cancel = Box::pin(async move {
            admin
                .cancel_sale(&cancelled, version, at)
                .await
                .map_err(|e| StorageError::from(format!("the cancellation failed: {e}")))
        });
        // Half the pairs start with the payment, half with the cancellation.
        races.push(if i % 2 == 0 {
            let pay = spawn.spawn(pay);
            (pay, spawn.spawn(cancel))
        } else {
            let cancel = spawn.spawn(cancel);
            (spawn.spawn(pay), cancel)
        });
    }

    for ((pay, cancel), (sale, _, paying, bystander)) in races.into_iter().zip(&sales) {
        let paid = pay.await.expect("a payment never fails");
        let cancelled_orders = cancel.await.expect("a cancellation never fails");
        let stored = orders
            .by_id(paying.id)
            .await
            .expect("lookup")
            .expect("stored");
        match paid {
            MoveOutcome::Moved(order) => {
                assert_eq!(order.status, OrderStatus::Paid);
                assert_eq!(stored.status, OrderStatus::Paid);
                assert_eq!(
                    cancelled_orders, 1,
                    "the cancellation saw the order paid and cancelled only the other"
                );
            }
            MoveOutcome::Refused(order) => {
                let called_off = OrderStatus::Cancelled(CancelReason::ByAdmin);
                assert_eq!(order.status, called_off, "refused only for the sale");
                assert_eq!(stored.status, called_off);
                assert_eq!(cancelled_orders, 2, "the cancellation took both orders");
            }
            MoveOutcome::Missing => panic!("every order is stored"),
        }
        let late = orders.pay(bystander.id, "ch_late", at).await.expect("pay");
        assert!(
            matches!(
                late,
                MoveOutcome::Refused(Order {
                    status: OrderStatus::Cancelled(CancelReason::ByAdmin),
                    ..
                })
            ),
            "a payment after the cancellation is refused: {late:?}"
        );
        let sold = if stored.status == OrderStatus::Paid {
            1
        } else {
            0
        };
        assert_eq!(
            counts(store, sale.activity.id).await,
            (10, 10 - sold, 0, sold)
        );
    }
}

/// The order totals of `activity` are the `paid` and `expired` orders, and the ledger agrees: sold
/// are the paid items, held the pending ones, and the four counts add up.
async fn assert_ledger_matches<S: OrderRepositories>(
    store: &S,
    activity: ActivityId,
    paid: &[Order],
    expired: &[Order],
) {
    let totals = store.orders().totals(activity).await.expect("totals");
    assert_eq!(
        totals,
        OrderTotals {
            pending_items: 0,
            paid_items: u64::from(items(paid)),
            cancelled_items: u64::from(items(expired)),
            live_orders: paid.len() as u64,
        }
    );
    let (total, available, held, sold) = counts(store, activity).await;
    assert_eq!(u64::from(sold), totals.paid_items);
    assert_eq!(u64::from(held), totals.pending_items);
    assert_eq!(total, available + held + sold);
}
