use std::time::Duration as StdDuration;

use chrono::Duration;
use seckiller_domain::PaymentWindow;
use seckiller_domain::ports::{ActivityRepository, StockGate};
use seckiller_memory::MemoryStockGate;

use super::*;
use crate::activity_cache::ActivityCache;
use crate::purchases::{PurchaseError, Purchases};
use crate::sold_out::SoldOutFlags;
use crate::stock_returns::StockReturns;
use crate::sweeper::Sweeper;
use crate::testing::{TestAdapters, buyer, sale_with_window};

#[tokio::test]
async fn a_lost_gate_is_rebuilt_with_the_buyers_limits_and_returnable_holdings() {
    let window = PaymentWindow::from_seconds(60).unwrap();
    let sale = sale_with_window(TestAdapters::memory(), 5, 2, 0, window).await;
    let alice = buyer();
    let held = sale.order(&alice, 2).await;
    // The gate loses everything (Redis restarted without its data).
    let mut fresh = (*sale.adapters).clone();
    fresh.gate = MemoryStockGate::new();
    let fresh = Arc::new(fresh);
    let purchases = Purchases::new(
        fresh.clone(),
        SoldOutFlags::default(),
        ActivityCache::new(16, StdDuration::ZERO),
        Duration::seconds(30),
    );
    let token = |who| {
        let purchases = purchases.clone();
        async move {
            purchases
                .request_token(&who, sale.activity)
                .await
                .unwrap()
                .token
        }
    };
    let request = |token| crate::purchases::PurchaseRequest {
        activity_id: sale.activity,
        quantity: seckiller_domain::Quantity::ONE,
        token,
        idempotency_key: None,
    };
    // Alice's two items still count against her limit after the rebuild.
    assert_eq!(
        purchases
            .purchase(&alice, request(token(alice).await))
            .await,
        Err(PurchaseError::LimitReached { limit: 2 })
    );
    assert_eq!(fresh.gate.available(sale.activity).await.unwrap(), Some(3));
    assert_eq!(
        fresh.gate.holdings(sale.activity).await.unwrap(),
        vec![held.purchase()]
    );
    // Her order expires; its stock goes back into the rebuilt gate.
    fresh.clock.advance(Duration::seconds(60));
    Sweeper::new(
        fresh.clone(),
        StockReturns::new(fresh.clone(), SoldOutFlags::default()),
        10,
    )
    .run_once()
    .await
    .unwrap();
    assert_eq!(fresh.gate.available(sale.activity).await.unwrap(), Some(5));
    let stock = fresh
        .activities()
        .by_id(sale.activity)
        .await
        .unwrap()
        .unwrap()
        .stock;
    assert_eq!(stock.available(), 5);
}

#[tokio::test]
async fn a_running_sale_waits_for_the_queue_to_drain() {
    let sale = sale_with_window(TestAdapters::memory(), 5, 1, 0, PaymentWindow::DEFAULT).await;
    sale.attempt(&buyer(), 1).await.unwrap();
    let mut fresh = (*sale.adapters).clone();
    fresh.gate = MemoryStockGate::new();
    let fresh = Arc::new(fresh);
    let loader = GateLoader::new(fresh.clone());
    let record = fresh
        .activities()
        .by_id(sale.activity)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        loader.load(&record.activity).await.unwrap(),
        LoadOutcome::NotDrained
    );
    assert_eq!(fresh.gate.available(sale.activity).await.unwrap(), None);
    sale.writer
        .write_batch(10, StdDuration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        loader.load(&record.activity).await.unwrap(),
        LoadOutcome::Offered
    );
    assert_eq!(fresh.gate.available(sale.activity).await.unwrap(), Some(4));
}

#[tokio::test]
async fn concurrent_loads_of_one_activity_wait_for_the_first() {
    let sale = sale_with_window(TestAdapters::memory(), 5, 1, 0, PaymentWindow::DEFAULT).await;
    sale.order(&buyer(), 1).await;
    let mut fresh = (*sale.adapters).clone();
    fresh.gate = MemoryStockGate::new();
    let fresh = Arc::new(fresh);
    let loader = GateLoader::new(fresh.clone());
    let record = fresh
        .activities()
        .by_id(sale.activity)
        .await
        .unwrap()
        .unwrap();
    let loads = futures::future::join_all((0..20).map(|_| loader.load(&record.activity))).await;
    assert!(
        loads.iter().all(|l| *l == Ok(LoadOutcome::Offered)),
        "{loads:?}"
    );
    assert_eq!(fresh.gate.available(sale.activity).await.unwrap(), Some(4));
    assert_eq!(fresh.gate.holdings(sale.activity).await.unwrap().len(), 1);
}

#[tokio::test]
async fn another_sales_backlog_does_not_hold_up_a_rebuild() {
    let busy = sale_with_window(TestAdapters::memory(), 5, 1, 0, PaymentWindow::DEFAULT).await;
    // Its purchase waits in the queue, unwritten.
    busy.attempt(&buyer(), 1).await.unwrap();
    let other = crate::testing::sale_on((*busy.adapters).clone(), 3, 1, 0).await;
    let mut fresh = (*other.adapters).clone();
    fresh.gate = MemoryStockGate::new();
    let fresh = Arc::new(fresh);
    let record = fresh
        .activities()
        .by_id(other.activity)
        .await
        .unwrap()
        .unwrap();
    assert!(fresh.queue().lag().await.unwrap() > 0);
    assert_eq!(
        GateLoader::new(fresh.clone())
            .load(&record.activity)
            .await
            .unwrap(),
        LoadOutcome::Offered
    );
    assert_eq!(fresh.gate.available(other.activity).await.unwrap(), Some(3));
}
