use std::time::Duration as StdDuration;

use seckiller_domain::ports::{Clock, OrderRepository, StockGate};
use seckiller_domain::{Purchase, PurchaseId, Quantity};
use uuid::Uuid;

use super::*;
use crate::ledger_check::LedgerCheck;
use crate::testing::{buyer, sale, usd};

#[tokio::test]
async fn a_purchase_the_gate_took_but_the_queue_never_got_is_published_after_the_grace() {
    let sale = sale(10, 1).await;
    let a = &sale.adapters;
    sale.order(&buyer(), 1).await;
    // A node took the stock, then died before publishing.
    let lost = Purchase {
        id: PurchaseId::from_uuid(Uuid::now_v7()),
        activity_id: sale.activity,
        buyer_id: buyer().user_id,
        quantity: Quantity::ONE,
        unit_price: usd(100),
        accepted_at: a.clock().now(),
    };
    a.gate.try_take(&lost).await.unwrap();
    let check = LedgerCheck::new(a.clone());
    assert!(!check.one(sale.activity).await.unwrap().unwrap().balanced());
    let reconciler = Reconciler::new(a.clone(), Duration::seconds(10));

    let young = reconciler.run_once().await.unwrap();
    assert_eq!((young.mismatched, young.republished.len()), (1, 0));

    a.clock.advance(Duration::seconds(10));
    let report = reconciler.run_once().await.unwrap();
    assert_eq!(report.republished, vec![lost.id]);
    // Not compared again until the queue has drained.
    assert!(!reconciler.run_once().await.unwrap().drained);
    sale.writer
        .write_batch(10, StdDuration::ZERO)
        .await
        .unwrap();
    let order = a.orders().by_purchase(lost.id).await.unwrap().unwrap();
    assert_eq!(order.buyer_id, lost.buyer_id);
    assert!(check.one(sale.activity).await.unwrap().unwrap().balanced());
    assert_eq!(reconciler.run_once().await.unwrap().mismatched, 0);
}

#[tokio::test]
async fn a_gate_and_database_that_agree_are_left_alone() {
    let sale = sale(10, 1).await;
    for _ in 0..3 {
        sale.order(&buyer(), 1).await;
    }
    sale.adapters.clock.advance(Duration::minutes(5));
    let report = Reconciler::new(sale.adapters.clone(), Duration::seconds(10))
        .run_once()
        .await
        .unwrap();
    assert_eq!(
        report,
        ReconcileReport {
            drained: true,
            ..ReconcileReport::default()
        }
    );
}

#[tokio::test]
async fn a_gate_showing_more_than_the_database_is_distrusted_and_loaded_afresh() {
    let sale = sale(10, 1).await;
    let a = &sale.adapters;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(sale.order(&buyer(), 1).await);
    }
    // The gate forgets a take the database holds (as a Redis restored from an older snapshot
    // would): it shows 8 where the database has 7.
    let forgotten = orders[0].purchase();
    assert!(a.gate.give_back(&forgotten).await.unwrap());
    assert_eq!(a.gate.available(sale.activity).await.unwrap(), Some(8));

    let report = Reconciler::new(a.clone(), Duration::seconds(10))
        .run_once()
        .await
        .unwrap();
    assert_eq!(report.distrusted, 1);
    assert_eq!(a.gate.available(sale.activity).await.unwrap(), None);
    // The next buyer loads the sale from the database: 7 left, 6 after this purchase.
    sale.attempt(&buyer(), 1).await.unwrap();
    assert_eq!(a.gate.available(sale.activity).await.unwrap(), Some(6));
}
