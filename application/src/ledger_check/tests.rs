use std::time::Duration as StdDuration;

use super::*;
use crate::testing::{buyer, sale};

#[tokio::test]
async fn the_books_balance_through_purchases_payments_and_cancellations() {
    let sale = sale(10, 2).await;
    let (alice, bob) = (buyer(), buyer());
    let paid = sale.order(&alice, 2).await;
    sale.actions.pay(&alice, paid.id).await.unwrap();
    let cancelled = sale.order(&bob, 1).await;
    sale.actions.cancel(&bob, cancelled.id).await.unwrap();
    sale.order(&bob, 1).await;

    let report = LedgerCheck::new(sale.adapters.clone())
        .one(sale.activity)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.problems, Vec::<String>::new());
    assert_eq!((report.available, report.held, report.sold), (7, 1, 2));
    assert_eq!(
        (report.orders.pending_items, report.orders.paid_items),
        (1, 2)
    );
    assert_eq!(report.orders.cancelled_items, 1);
    assert_eq!(report.gate_available, Some(7));
}

#[tokio::test]
async fn a_gate_ahead_of_the_database_is_reported_only_once_the_queue_is_drained() {
    let sale = sale(10, 1).await;
    sale.attempt(&buyer(), 1).await.unwrap();
    let check = LedgerCheck::new(sale.adapters.clone());
    let in_flight = check.one(sale.activity).await.unwrap().unwrap();
    assert_eq!(
        (in_flight.queue_lag, in_flight.gate_available),
        (1, Some(9))
    );
    assert!(in_flight.balanced());
    // The queue drains: now the gate and the database must agree, and do.
    sale.writer
        .write_batch(10, StdDuration::ZERO)
        .await
        .unwrap();
    assert!(check.one(sale.activity).await.unwrap().unwrap().balanced());
    assert_eq!(check.all().await.unwrap().len(), 1);
    assert!(
        check
            .one(ActivityId::from_uuid(uuid::Uuid::now_v7()))
            .await
            .unwrap()
            .is_none()
    );
}
