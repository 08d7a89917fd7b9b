use chrono::Duration;
use seckiller_domain::ports::{ActivityRepository, OrderRepository, StockGate};
use seckiller_domain::{CancelReason, OrderStatus, PaymentWindow};

use super::*;
use crate::purchases::PurchaseError;
use crate::testing::{TestAdapters, buyer, sale_with_window};

#[tokio::test]
async fn overdue_orders_expire_and_their_stock_sells_again() {
    let window = PaymentWindow::from_seconds(30).unwrap();
    let sale = sale_with_window(TestAdapters::memory(), 2, 1, 0, window).await;
    let (alice, bob) = (buyer(), buyer());
    let late = sale.order(&alice, 1).await;
    sale.adapters.clock.advance(Duration::seconds(10));
    let early = sale.order(&bob, 1).await;
    assert_eq!(sale.attempt(&buyer(), 1).await, Err(PurchaseError::SoldOut));
    let sweeper = Sweeper::new(sale.adapters.clone(), sale.returns.clone(), 100);

    sale.adapters.clock.advance(Duration::seconds(19));
    assert_eq!(sweeper.run_once().await.unwrap().expired, 0);

    sale.adapters.clock.advance(Duration::seconds(1));
    let report = sweeper.run_once().await.unwrap();
    assert_eq!(report.expired, 1);
    assert_eq!(report.release.returned_to_gate, 1);
    assert_eq!(report.release.restocked, vec![sale.activity]);
    let a = &sale.adapters;
    assert_eq!(
        a.orders().by_id(late.id).await.unwrap().unwrap().status,
        OrderStatus::Cancelled(CancelReason::Expired)
    );
    assert_eq!(
        a.orders().by_id(early.id).await.unwrap().unwrap().status,
        OrderStatus::PendingPayment
    );
    assert_eq!(a.gate.available(sale.activity).await.unwrap(), Some(1));
    // The sold-out flag is gone and the freed unit sells again, to Alice too.
    sale.order(&alice, 1).await;
    assert_eq!(sweeper.run_once().await.unwrap(), SweepReport::default());
    let stock = a
        .activities()
        .by_id(sale.activity)
        .await
        .unwrap()
        .unwrap()
        .stock;
    assert_eq!((stock.available(), stock.held()), (0, 2));
}

#[tokio::test]
async fn an_expiry_returns_its_stock_once_however_many_sweepers_run() {
    let window = PaymentWindow::from_seconds(30).unwrap();
    let sale = sale_with_window(TestAdapters::memory(), 20, 1, 0, window).await;
    for _ in 0..20 {
        sale.order(&buyer(), 1).await;
    }
    sale.adapters.clock.advance(Duration::seconds(30));
    let sweepers: Vec<_> = (0..4)
        .map(|_| Sweeper::new(sale.adapters.clone(), sale.returns.clone(), 3))
        .collect();
    let mut expired = 0;
    let mut returned = 0;
    for _ in 0..10 {
        let passes = futures_lite(&sweepers).await;
        for r in passes {
            expired += r.expired;
            returned += r.release.returned_to_gate;
        }
    }
    assert_eq!((expired, returned), (20, 20));
    assert_eq!(
        sale.adapters.gate.available(sale.activity).await.unwrap(),
        Some(20)
    );
}

/// Runs one pass of every sweeper concurrently.
async fn futures_lite(sweepers: &[Sweeper<TestAdapters>]) -> Vec<SweepReport> {
    let mut set = tokio::task::JoinSet::new();
    for s in sweepers {
        let s = Sweeper::new(s.adapters.clone(), s.returns.clone(), s.batch);
        set.spawn(async move { s.run_once().await.unwrap() });
    }
    set.join_all().await
}
