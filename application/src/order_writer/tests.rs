use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use seckiller_domain::ports::{ActivityRecord, ActivityRepository, PurchaseQueue};
use seckiller_domain::{
    Activity, ActivityId, Currency, Money, Name, NewActivity, PaymentWindow, ProductId, Purchase,
    Quantity, SaleWindow, StockLedger, UserId,
};
use uuid::Uuid;

use super::*;
use crate::testing::{TestAdapters, t0};

async fn stored_activity(adapters: &TestAdapters, stock: u32) -> ActivityId {
    let mut activity = Activity::plan(
        ActivityId::from_uuid(Uuid::now_v7()),
        NewActivity {
            product_id: ProductId::from_uuid(Uuid::now_v7()),
            title: Name::parse("Sale").unwrap(),
            sale_price: Money::new(100, Currency::parse("USD").unwrap()).unwrap(),
            total_stock: Quantity::new(stock).unwrap(),
            per_user_limit: Quantity::ONE,
            window: SaleWindow::new(t0(), t0() + Duration::hours(1)).unwrap(),
            payment_window: PaymentWindow::from_seconds(60).unwrap(),
        },
        t0(),
    )
    .unwrap();
    activity.publish(t0()).unwrap();
    let id = activity.id;
    adapters
        .activities
        .insert(&ActivityRecord {
            activity,
            stock: StockLedger::new(stock),
        })
        .await
        .unwrap();
    id
}

fn purchase(activity: ActivityId) -> Purchase {
    Purchase {
        id: PurchaseId::from_uuid(Uuid::now_v7()),
        activity_id: activity,
        buyer_id: UserId::from_uuid(Uuid::now_v7()),
        quantity: Quantity::ONE,
        unit_price: Money::new(100, Currency::parse("USD").unwrap()).unwrap(),
        accepted_at: t0(),
    }
}

fn writer(adapters: &Arc<TestAdapters>) -> OrderWriter<TestAdapters> {
    OrderWriter::new(
        adapters.clone(),
        ActivityCache::new(16, StdDuration::from_secs(60)),
    )
}

#[tokio::test]
async fn redelivered_purchases_make_no_second_order() {
    let adapters = Arc::new(TestAdapters::memory());
    let activity = stored_activity(&adapters, 5).await;
    let p = purchase(activity);
    adapters.queue.publish(&p).await.unwrap();
    let writer = writer(&adapters);
    // The first batch writes the order but its ack is "lost": the queue delivers it again.
    let deliveries = adapters.queue.fetch(10, StdDuration::ZERO).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    adapters
        .orders
        .record(&[Order::from_purchase(
            OrderId::from_uuid(Uuid::now_v7()),
            &p,
            t0(),
            t0(),
        )])
        .await
        .unwrap();
    adapters.queue.redeliver_unacked();
    let report = writer.write_batch(10, StdDuration::ZERO).await.unwrap();
    assert_eq!((report.created.len(), report.duplicates), (0, 1));
    assert_eq!(adapters.queue.lag().await.unwrap(), 0);
    let record = adapters.activities.by_id(activity).await.unwrap().unwrap();
    assert_eq!(record.stock.held(), 1);
}

#[tokio::test]
async fn orders_get_the_activity_payment_deadline() {
    let adapters = Arc::new(TestAdapters::memory());
    let activity = stored_activity(&adapters, 5).await;
    let p = purchase(activity);
    adapters.queue.publish(&p).await.unwrap();
    writer(&adapters)
        .write_batch(10, StdDuration::ZERO)
        .await
        .unwrap();
    let order = adapters.orders.by_purchase(p.id).await.unwrap().unwrap();
    assert_eq!(order.pay_deadline, t0() + Duration::seconds(60));
}

#[tokio::test]
async fn a_purchase_the_ledger_cannot_cover_is_rejected_not_lost() {
    let adapters = Arc::new(TestAdapters::memory());
    let activity = stored_activity(&adapters, 1).await;
    let (first, second) = (purchase(activity), purchase(activity));
    adapters.queue.publish(&first).await.unwrap();
    adapters.queue.publish(&second).await.unwrap();
    let report = writer(&adapters)
        .write_batch(10, StdDuration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.created, vec![first.id]);
    assert_eq!(report.rejected, vec![second.id]);
    assert!(
        adapters
            .orders
            .rejection(second.id)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(adapters.queue.lag().await.unwrap(), 0);
}

#[tokio::test]
async fn a_purchase_for_an_unknown_activity_is_dead_lettered_and_does_not_block_the_rest() {
    let adapters = Arc::new(TestAdapters::memory());
    let activity = stored_activity(&adapters, 5).await;
    let stray = purchase(ActivityId::from_uuid(Uuid::now_v7()));
    let good = purchase(activity);
    adapters.queue.publish(&stray).await.unwrap();
    adapters.queue.publish(&good).await.unwrap();
    let report = writer(&adapters)
        .write_batch(10, StdDuration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        (report.created.clone(), report.dead_lettered),
        (vec![good.id], 1)
    );
    assert_eq!(adapters.queue.dead_letters().len(), 1);
    assert_eq!(adapters.queue.lag().await.unwrap(), 0);
}

#[tokio::test]
async fn an_order_written_late_still_gets_its_whole_payment_window() {
    let adapters = Arc::new(TestAdapters::memory());
    let activity = stored_activity(&adapters, 5).await;
    let p = purchase(activity);
    adapters.queue.publish(&p).await.unwrap();
    // The order is written 45 s after the purchase (say, after a database outage).
    adapters.clock.advance(Duration::seconds(45));
    writer(&adapters)
        .write_batch(10, StdDuration::ZERO)
        .await
        .unwrap();
    let order = adapters.orders.by_purchase(p.id).await.unwrap().unwrap();
    assert_eq!(order.pay_deadline, t0() + Duration::seconds(45 + 60));
}
