use std::time::Duration as StdDuration;

use chrono::Duration;
use seckiller_domain::ports::{ActivityRepository, OrderRepository, StockGate};
use seckiller_domain::{CancelReason, OrderStatus, PaymentWindow};
use seckiller_memory::PaymentMode;

use super::*;
use crate::activities::Activities;
use crate::sweeper::Sweeper;
use crate::testing::{TestAdapters, admin, buyer, sale, sale_with_window};

async fn ledger<A: Adapters>(adapters: &A, sale: seckiller_domain::ActivityId) -> (u32, u32, u32) {
    let s = adapters
        .activities()
        .by_id(sale)
        .await
        .unwrap()
        .unwrap()
        .stock;
    (s.available(), s.held(), s.sold())
}

#[tokio::test]
async fn paying_moves_the_order_to_paid_and_charges_once_however_often_asked() {
    let sale = sale(10, 1).await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    let paid = sale.actions.pay(&alice, order.id).await.unwrap();
    assert_eq!(paid.status, OrderStatus::Paid);
    assert!(paid.payment_ref.is_some());
    let again = sale.actions.pay(&alice, order.id).await.unwrap();
    assert_eq!(again, paid);
    assert_eq!(sale.adapters.payments.charges(), 1);
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (9, 0, 1));
}

#[tokio::test]
async fn nobody_pays_or_cancels_another_buyers_order() {
    let sale = sale(10, 1).await;
    let order = sale.order(&buyer(), 1).await;
    assert_eq!(
        sale.actions.pay(&buyer(), order.id).await,
        Err(PayError::NotFound)
    );
    assert_eq!(
        sale.actions.cancel(&buyer(), order.id).await,
        Err(CancelOrderError::NotFound)
    );
    assert_eq!(sale.adapters.payments.charges(), 0);
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (9, 1, 0));
}

#[tokio::test]
async fn paying_after_the_deadline_is_refused_and_charges_nothing() {
    let sale = sale_with_window(
        TestAdapters::memory(),
        10,
        1,
        0,
        PaymentWindow::from_seconds(60).unwrap(),
    )
    .await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    sale.adapters.clock.advance(Duration::seconds(60));
    assert_eq!(
        sale.actions.pay(&alice, order.id).await,
        Err(PayError::Expired)
    );
    assert_eq!(sale.adapters.payments.charges(), 0);
    // The sweeper then gives the stock back.
    Sweeper::new(sale.adapters.clone(), sale.returns.clone(), 10)
        .run_once()
        .await
        .unwrap();
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (10, 0, 0));
    assert_eq!(
        sale.adapters.gate.available(sale.activity).await.unwrap(),
        Some(10)
    );
    assert_eq!(
        sale.actions.pay(&alice, order.id).await,
        Err(PayError::Expired)
    );
}

#[tokio::test]
async fn a_declined_charge_leaves_the_order_payable() {
    let sale = sale(10, 1).await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    sale.adapters.payments.set_mode(PaymentMode::Decline);
    assert!(matches!(
        sale.actions.pay(&alice, order.id).await,
        Err(PayError::Declined(_))
    ));
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (9, 1, 0));
    sale.adapters.payments.set_mode(PaymentMode::Approve);
    assert_eq!(
        sale.actions.pay(&alice, order.id).await.unwrap().status,
        OrderStatus::Paid
    );
}

#[tokio::test]
async fn a_charge_that_loses_the_race_against_expiry_is_refunded() {
    let mut adapters = TestAdapters::memory();
    adapters.payments = adapters
        .payments
        .clone()
        .with_latency(StdDuration::from_millis(100));
    let sale = sale_with_window(adapters, 10, 1, 0, PaymentWindow::from_seconds(60).unwrap()).await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    sale.adapters.clock.advance(Duration::seconds(59));
    let paying = {
        let actions = sale.actions.clone();
        tokio::spawn(async move { actions.pay(&alice, order.id).await })
    };
    // While the charge is under way, the deadline passes and the sweeper expires the order.
    tokio::time::sleep(StdDuration::from_millis(20)).await;
    sale.adapters.clock.advance(Duration::seconds(1));
    let sweep = Sweeper::new(sale.adapters.clone(), sale.returns.clone(), 10)
        .run_once()
        .await
        .unwrap();
    assert_eq!(sweep.expired, 1);
    assert_eq!(paying.await.unwrap(), Err(PayError::Expired));
    let p = &sale.adapters.payments;
    assert_eq!((p.charges(), p.refunds()), (1, 1));
    let stored = sale
        .adapters
        .orders()
        .by_id(order.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, OrderStatus::Cancelled(CancelReason::Expired));
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (10, 0, 0));
}

#[tokio::test]
async fn a_buyer_cancellation_returns_the_stock_and_the_limit_at_once() {
    let sale = sale(1, 1).await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    let cancelled = sale.actions.cancel(&alice, order.id).await.unwrap();
    assert_eq!(
        cancelled.status,
        OrderStatus::Cancelled(CancelReason::ByBuyer)
    );
    assert_eq!(
        sale.actions.cancel(&alice, order.id).await.unwrap(),
        cancelled
    );
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (1, 0, 0));
    assert_eq!(
        sale.adapters.gate.available(sale.activity).await.unwrap(),
        Some(1)
    );
    assert!(
        sale.adapters
            .orders()
            .unreleased(10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        sale.actions.pay(&alice, order.id).await,
        Err(PayError::Cancelled)
    );
    // Alice may buy again: her limit was freed with the stock.
    sale.order(&alice, 1).await;
}

#[tokio::test]
async fn a_paid_order_cannot_be_cancelled() {
    let sale = sale(10, 1).await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    sale.actions.pay(&alice, order.id).await.unwrap();
    assert_eq!(
        sale.actions.cancel(&alice, order.id).await,
        Err(CancelOrderError::AlreadyPaid)
    );
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (9, 0, 1));
}

#[tokio::test]
async fn orders_of_a_cancelled_sale_are_cancelled_and_cannot_be_paid() {
    let sale = sale(10, 2).await;
    let alice = buyer();
    let order = sale.order(&alice, 2).await;
    Activities::new(sale.adapters.clone())
        .cancel(&admin(), sale.activity)
        .await
        .unwrap();
    let stored = sale
        .adapters
        .orders()
        .by_id(order.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, OrderStatus::Cancelled(CancelReason::ByAdmin));
    assert_eq!(
        sale.actions.pay(&alice, order.id).await,
        Err(PayError::Cancelled)
    );
    assert_eq!(
        sale.actions.cancel(&alice, order.id).await,
        Err(CancelOrderError::CancelledBySale)
    );
    assert_eq!(sale.adapters.payments.charges(), 0);
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (10, 0, 0));
}

/// A payment whose charge is still in flight when the sale is called off loses: the order went
/// with its sale, the payment is refused as cancelled, and its charge is refunded at once.
#[tokio::test]
async fn a_payment_charging_while_its_sale_is_cancelled_is_refused_and_refunded() {
    let mut adapters = TestAdapters::memory();
    adapters.payments = adapters
        .payments
        .clone()
        .with_latency(StdDuration::from_millis(10));
    let sale = crate::testing::sale_on(adapters, 10, 1, 0).await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    let paying = {
        let (actions, alice) = (sale.actions.clone(), alice);
        tokio::spawn(async move { actions.pay(&alice, order.id).await })
    };
    // On this single-threaded runtime the payment runs up to its charge, which waits on the
    // timer, and no further until this test awaits it; the cancellation never waits.
    tokio::task::yield_now().await;
    Activities::new(sale.adapters.clone())
        .cancel(&admin(), sale.activity)
        .await
        .unwrap();
    assert_eq!(paying.await.unwrap(), Err(PayError::Cancelled));
    let payments = &sale.adapters.payments;
    assert!(payments.is_charged(order.id), "the charge went through");
    assert!(payments.is_refunded(order.id), "and was given back");
    let stored = sale.adapters.orders().by_id(order.id).await.unwrap();
    assert_eq!(
        stored.map(|o| o.status),
        Some(OrderStatus::Cancelled(CancelReason::ByAdmin))
    );
    assert_eq!(ledger(&*sale.adapters, sale.activity).await, (10, 0, 0));
}

/// A charge whose payment never reached storage (its node died) is refunded by the release
/// outbox once the sale is called off, and the sale's stock is not given back to the gate.
#[tokio::test]
async fn the_outbox_refunds_a_charge_left_behind_by_a_cancelled_sale() {
    use seckiller_domain::ports::PaymentProvider;
    let sale = sale(10, 1).await;
    let alice = buyer();
    let order = sale.order(&alice, 1).await;
    sale.adapters
        .payments
        .charge(order.id, order.total_minor(), "USD")
        .await
        .unwrap();
    Activities::new(sale.adapters.clone())
        .cancel(&admin(), sale.activity)
        .await
        .unwrap();
    let gate_before = sale.adapters.gate.available(sale.activity).await.unwrap();
    let report = sale.returns.release_pending(10).await.unwrap();
    assert_eq!((report.released, report.refunded), (1, 1));
    assert_eq!(
        report.returned_to_gate, 0,
        "a called-off sale takes nothing back"
    );
    assert!(report.restocked.is_empty());
    assert!(sale.adapters.payments.is_refunded(order.id));
    assert_eq!(
        sale.adapters.gate.available(sale.activity).await.unwrap(),
        gate_before
    );
    assert!(
        sale.adapters
            .orders()
            .unreleased(10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A hundred sales, each with one order its buyer pays while an admin calls the sale off, all at
/// once on several threads. The rule: each pair has one winner. The order ends paid exactly when
/// its payment answered paid (it committed before the cancellation, which then left it alone),
/// and otherwise ends cancelled with its sale, with any charge refunded once the outbox ran.
/// No order stays pending, and each ledger sold exactly the paid item.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_payments_racing_their_sales_cancellation_each_have_one_outcome() {
    let adapters = TestAdapters::memory();
    let first = crate::testing::sale_on(adapters.clone(), 1, 1, 0).await;
    let mut pairs = Vec::new();
    for _ in 0..100 {
        let sale = crate::testing::sale_on(adapters.clone(), 1, 1, 0).await;
        let alice = buyer();
        let order = sale.order(&alice, 1).await;
        pairs.push((sale, alice, order));
    }
    let mut races = Vec::new();
    for (sale, alice, order) in &pairs {
        let (actions, alice, id) = (sale.actions.clone(), *alice, order.id);
        let pay = tokio::spawn(async move { actions.pay(&alice, id).await });
        let (activities, activity) = (Activities::new(sale.adapters.clone()), sale.activity);
        let cancel = tokio::spawn(async move { activities.cancel(&admin(), activity).await });
        races.push((pay, cancel));
    }
    let mut paid = 0;
    for ((pay, cancel), (sale, _, order)) in races.into_iter().zip(&pairs) {
        let paid_answer = pay.await.unwrap();
        cancel.await.unwrap().unwrap();
        let stored = sale
            .adapters
            .orders()
            .by_id(order.id)
            .await
            .unwrap()
            .unwrap();
        match paid_answer {
            Ok(answer) => {
                paid += 1;
                assert_eq!(answer.status, OrderStatus::Paid);
                assert_eq!(stored.status, OrderStatus::Paid);
                assert_eq!(ledger(&*sale.adapters, sale.activity).await, (0, 0, 1));
            }
            Err(e) => {
                assert_eq!(e, PayError::Cancelled);
                assert_eq!(stored.status, OrderStatus::Cancelled(CancelReason::ByAdmin));
                assert_eq!(ledger(&*sale.adapters, sale.activity).await, (1, 0, 0));
            }
        }
    }
    first.returns.release_pending(1_000).await.unwrap();
    let payments = &first.adapters.payments;
    for (_, _, order) in &pairs {
        let stored = first
            .adapters
            .orders()
            .by_id(order.id)
            .await
            .unwrap()
            .unwrap();
        if stored.status != OrderStatus::Paid && payments.is_charged(order.id) {
            assert!(
                payments.is_refunded(order.id),
                "a charge of an unpaid order is refunded"
            );
        }
    }
    assert_eq!(payments.charges() - payments.refunds(), paid);
    assert!(
        first
            .adapters
            .orders()
            .unreleased(1_000)
            .await
            .unwrap()
            .is_empty()
    );
}
