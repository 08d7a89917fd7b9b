use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use seckiller_domain::PaymentWindow;
use seckiller_domain::ports::{
    ActivityRepository, Delivery, DeliveryReceipt, PublishError, PublishOutlook, PurchaseFeed,
    PurchaseQueue, QueueError, StockGate,
};
use uuid::Uuid;

use super::*;
use crate::activities::Activities;
use crate::order_actions::OrderActions;
use crate::order_writer::OrderWriter;
use crate::preheat::Preheater;
use crate::stock_returns::StockReturns;
use crate::testing::{Sale, TestAdapters, admin, buyer, sale, sale_on, t0};

/// Publishes fail; everything else is in memory.
#[derive(Clone, Default)]
struct BrokenQueue;

impl PurchaseQueue for BrokenQueue {
    async fn publish(&self, _: &Purchase) -> Result<(), PublishError> {
        Err(PublishError::not_stored("nats is down"))
    }
}

impl PurchaseFeed for BrokenQueue {
    async fn fetch(&self, _: usize, _: StdDuration) -> Result<Vec<Delivery>, QueueError> {
        Ok(vec![])
    }
    async fn ack(&self, _: &[DeliveryReceipt]) -> Result<(), QueueError> {
        Ok(())
    }
    async fn dead_letter(&self, _: DeliveryReceipt, _: &str) -> Result<(), QueueError> {
        Ok(())
    }
    async fn lag(&self) -> Result<u64, QueueError> {
        Ok(0)
    }
}

/// One item of `activity` bought with `token`, as a new purchase.
fn one_item(activity: ActivityId, token: String) -> PurchaseRequest {
    PurchaseRequest {
        activity_id: activity,
        quantity: Quantity::ONE,
        token,
        idempotency_key: None,
    }
}

#[tokio::test]
async fn an_accepted_purchase_is_pending_until_the_writer_makes_its_order() {
    let sale = sale(10, 1).await;
    let alice = buyer();
    let id = sale.attempt(&alice, 1).await.unwrap();
    assert_eq!(
        sale.purchases.status(&alice, id).await.unwrap(),
        PurchaseStatus::Pending
    );

    let report = sale
        .writer
        .write_batch(100, StdDuration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.created, vec![id]);
    let PurchaseStatus::Ordered(order) = sale.purchases.status(&alice, id).await.unwrap() else {
        panic!("the order exists");
    };
    assert_eq!(order.buyer_id, alice.user_id);
    assert_eq!(order.pay_deadline, t0() + PaymentWindow::DEFAULT.duration());
    let record = sale
        .adapters
        .activities()
        .by_id(sale.activity)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.stock.available(), record.stock.held()), (9, 1));
    // Nobody else can see it.
    assert_eq!(
        sale.purchases.status(&buyer(), id).await,
        Err(PurchaseStatusError::NotFound)
    );
}

#[tokio::test]
async fn the_stock_sells_exactly_once_and_then_answers_sold_out_from_memory() {
    let sale = sale(3, 1).await;
    for _ in 0..3 {
        sale.attempt(&buyer(), 1).await.unwrap();
    }
    assert_eq!(sale.attempt(&buyer(), 1).await, Err(PurchaseError::SoldOut));
    assert!(sale.purchases.sold_out_flags().is_sold_out(sale.activity));
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(0)
    );
    // Token requests are refused from memory too.
    assert_eq!(
        sale.purchases.request_token(&buyer(), sale.activity).await,
        Err(TokenRequestError::SoldOut)
    );
}

#[tokio::test]
async fn a_buyer_cannot_pass_the_per_user_limit() {
    let sale = sale(10, 2).await;
    let bob = buyer();
    assert_eq!(
        sale.attempt(&bob, 3).await,
        Err(PurchaseError::LimitReached { limit: 2 })
    );
    sale.attempt(&bob, 2).await.unwrap();
    assert_eq!(
        sale.attempt(&bob, 1).await,
        Err(PurchaseError::LimitReached { limit: 2 })
    );
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(8)
    );
}

#[tokio::test]
async fn bad_tokens_are_refused_and_take_nothing() {
    let sale = sale(10, 1).await;
    let carol = buyer();
    let someone_else = buyer();
    let theirs = sale
        .purchases
        .request_token(&someone_else, sale.activity)
        .await
        .unwrap()
        .token;
    for token in ["".to_owned(), "forged".to_owned(), theirs] {
        let request = one_item(sale.activity, token);
        assert_eq!(
            sale.purchases.purchase(&carol, request).await,
            Err(PurchaseError::BadToken)
        );
    }
    // A token that has expired.
    let token = sale
        .purchases
        .request_token(&carol, sale.activity)
        .await
        .unwrap()
        .token;
    sale.adapters.clock.advance(Duration::seconds(31));
    let request = one_item(sale.activity, token);
    assert_eq!(
        sale.purchases.purchase(&carol, request).await,
        Err(PurchaseError::BadToken)
    );
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(10)
    );
}

#[tokio::test]
async fn purchases_outside_the_window_are_refused_with_the_reason() {
    let sale = sale_on(TestAdapters::memory(), 10, 1, 60).await;
    let dave = buyer();
    assert_eq!(
        sale.purchases.request_token(&dave, sale.activity).await,
        Err(TokenRequestError::NotStarted)
    );
    sale.adapters.clock.advance(Duration::seconds(60));
    let token = sale
        .purchases
        .request_token(&dave, sale.activity)
        .await
        .unwrap()
        .token;
    sale.adapters.clock.advance(Duration::hours(1));
    let request = one_item(sale.activity, token);
    assert_eq!(
        sale.purchases.purchase(&dave, request).await,
        Err(PurchaseError::Ended)
    );
    let unknown = ActivityId::from_uuid(Uuid::now_v7());
    assert_eq!(
        sale.purchases.request_token(&dave, unknown).await,
        Err(TokenRequestError::NotFound)
    );
}

#[tokio::test]
async fn a_cancelled_sale_sells_nothing() {
    let sale = sale(10, 1).await;
    let erin = buyer();
    let token = sale
        .purchases
        .request_token(&erin, sale.activity)
        .await
        .unwrap()
        .token;
    Activities::new(sale.adapters.clone())
        .cancel(&admin(), sale.activity)
        .await
        .unwrap();
    let request = one_item(sale.activity, token);
    assert_eq!(
        sale.purchases.purchase(&erin, request).await,
        Err(PurchaseError::Cancelled)
    );
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(10)
    );
}

#[tokio::test]
async fn a_failed_publish_gives_the_stock_back_and_is_unavailable() {
    let sale = sale_on(TestAdapters::memory().with_queue(BrokenQueue), 1, 1, 0).await;
    let frank = buyer();
    assert!(matches!(
        sale.attempt(&frank, 1).await,
        Err(PurchaseError::Unavailable(_))
    ));
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(1)
    );
    assert!(!sale.purchases.sold_out_flags().is_sold_out(sale.activity));
    assert_eq!(sale.adapters.queue().lag().await.unwrap(), 0);
}

#[tokio::test]
async fn a_retried_purchase_with_the_same_id_takes_stock_once() {
    let sale = sale(10, 5).await;
    let gina = buyer();
    let id = sale.id_for(&gina, "once");
    for _ in 0..3 {
        assert_eq!(sale.attempt_as(&gina, "once").await, Ok(id));
    }
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(9)
    );
    sale.write_orders().await;
    let record = sale
        .adapters
        .activities()
        .by_id(sale.activity)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.stock.held(), 1);
}

#[tokio::test]
async fn a_gate_that_lost_the_sale_is_reloaded_only_once_the_queue_is_drained() {
    let sale = sale(10, 1).await;
    sale.attempt(&buyer(), 1).await.unwrap();
    // The gate forgets everything (a Redis restart without persistence).
    let fresh = MemoryGateSwap::new(&sale);
    assert!(matches!(
        fresh.attempt(&buyer(), 1).await,
        Err(PurchaseError::Unavailable(_))
    ));
    // Once the order writer has caught up, the database is exact and the gate is rebuilt.
    fresh.write_orders().await;
    fresh.attempt(&buyer(), 1).await.unwrap();
    assert_eq!(
        fresh
            .adapters
            .gate()
            .available(fresh.activity)
            .await
            .unwrap(),
        Some(8)
    );
}

#[tokio::test]
async fn a_retry_of_an_order_that_ended_before_the_gate_was_lost_replays_and_takes_nothing() {
    let sale = sale(10, 5).await;
    let hana = buyer();
    let id = sale.id_for(&hana, "k");
    let order = sale.order_as(&hana, "k").await;
    sale.actions.cancel(&hana, order.id).await.unwrap();
    // The gate forgets everything and is rebuilt from the database by the next attempt.
    let fresh = MemoryGateSwap::new(&sale);
    assert_eq!(fresh.attempt_as(&hana, "k").await, Ok(id));
    assert_eq!(
        fresh
            .adapters
            .gate()
            .available(fresh.activity)
            .await
            .unwrap(),
        Some(10),
        "the cancelled order's retry took stock again"
    );
    assert_eq!(fresh.adapters.queue().lag().await.unwrap(), 0);
}

/// The same sale's storage and queue behind a brand-new, empty gate.
struct MemoryGateSwap;

impl MemoryGateSwap {
    #[allow(clippy::new_ret_no_self)]
    fn new(sale: &Sale<TestAdapters>) -> Sale<TestAdapters> {
        let adapters = Arc::new(
            (*sale.adapters)
                .clone()
                .with_gate(seckiller_memory::MemoryStockGate::new()),
        );
        let cache = ActivityCache::new(16, StdDuration::ZERO);
        let flags = SoldOutFlags::default();
        let returns = StockReturns::new(adapters.clone(), flags.clone());
        Sale {
            purchases: Purchases::new(
                adapters.clone(),
                flags,
                cache.clone(),
                Duration::seconds(30),
            ),
            writer: OrderWriter::new(adapters.clone(), cache),
            actions: OrderActions::new(adapters.clone(), returns.clone()),
            returns,
            adapters,
            activity: sale.activity,
        }
    }
}

#[tokio::test]
async fn a_retry_after_the_order_exists_replays_and_takes_nothing_even_if_stock_came_back() {
    let sale = sale(10, 5).await;
    let hana = buyer();
    let id = sale.id_for(&hana, "k");
    sale.order_as(&hana, "k").await;
    // The order's stock goes back to the gate (as an expiry would do).
    let purchase = sale
        .adapters
        .gate()
        .find_purchase(id)
        .await
        .unwrap()
        .unwrap();
    assert!(sale.adapters.gate().give_back(&purchase).await.unwrap());
    assert_eq!(sale.attempt_as(&hana, "k").await, Ok(id));
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(10)
    );
}

#[tokio::test]
async fn the_preheater_loads_a_sale_only_within_the_lead_time_before_it_opens() {
    // Opens ten minutes after t0; the sale helper's own preheat pass (lead 5 min) skips it.
    let sale = sale_on(TestAdapters::memory(), 10, 1, 600).await;
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        None
    );
    let preheater = Preheater::new(sale.adapters.clone(), Duration::minutes(5));
    sale.adapters.clock.advance(Duration::minutes(4));
    assert_eq!(preheater.run_once().await.unwrap(), 0);
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        None
    );
    sale.adapters.clock.advance(Duration::minutes(2));
    assert_eq!(preheater.run_once().await.unwrap(), 1);
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(10)
    );
}

#[tokio::test]
async fn the_preheater_does_not_reload_a_running_sale_while_purchases_are_queued() {
    let sale = sale(10, 1).await;
    sale.attempt(&buyer(), 1).await.unwrap();
    // The gate loses the sale while one accepted purchase is still in the queue.
    let fresh = MemoryGateSwap::new(&sale);
    let preheater = Preheater::new(fresh.adapters.clone(), Duration::minutes(5));
    assert_eq!(preheater.run_once().await.unwrap(), 0);
    assert_eq!(
        fresh
            .adapters
            .gate()
            .available(fresh.activity)
            .await
            .unwrap(),
        None
    );
    fresh.write_orders().await;
    assert_eq!(preheater.run_once().await.unwrap(), 1);
    assert_eq!(
        fresh
            .adapters
            .gate()
            .available(fresh.activity)
            .await
            .unwrap(),
        Some(9)
    );
}

/// The memory queue, with publishing switched off on demand, its publishes left unconfirmed,
/// or its outlook set.
#[derive(Clone, Default)]
struct SwitchableQueue {
    inner: seckiller_memory::MemoryPurchaseQueue,
    down: Arc<std::sync::atomic::AtomicBool>,
    unconfirmed: Arc<std::sync::atomic::AtomicBool>,
    outlook: Arc<std::sync::Mutex<Option<PublishOutlook>>>,
}

impl SwitchableQueue {
    fn set_outlook(&self, outlook: PublishOutlook) {
        *self.outlook.lock().unwrap() = Some(outlook);
    }
}

impl PurchaseQueue for SwitchableQueue {
    async fn publish(&self, purchase: &Purchase) -> Result<(), PublishError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(PublishError::not_stored("nats is down"));
        }
        if self.unconfirmed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(PublishError::unconfirmed("the ack was lost"));
        }
        self.inner.publish(purchase).await
    }

    fn outlook(&self) -> PublishOutlook {
        self.outlook
            .lock()
            .unwrap()
            .unwrap_or(PublishOutlook::Ready)
    }
}

impl PurchaseFeed for SwitchableQueue {
    async fn fetch(&self, max: usize, wait: StdDuration) -> Result<Vec<Delivery>, QueueError> {
        self.inner.fetch(max, wait).await
    }
    async fn ack(&self, receipts: &[DeliveryReceipt]) -> Result<(), QueueError> {
        self.inner.ack(receipts).await
    }
    async fn dead_letter(&self, receipt: DeliveryReceipt, why: &str) -> Result<(), QueueError> {
        self.inner.dead_letter(receipt, why).await
    }
    async fn lag(&self) -> Result<u64, QueueError> {
        self.inner.lag().await
    }
}

#[tokio::test]
async fn a_keyed_retry_of_a_recorded_purchase_replays_even_when_publishing_fails() {
    let queue = SwitchableQueue::default();
    let sale = sale_on(TestAdapters::memory().with_queue(queue.clone()), 10, 5, 0).await;
    let ines = buyer();
    sale.order_as(&ines, "k").await;
    queue.down.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        sale.attempt_as(&ines, "k").await,
        Ok(sale.id_for(&ines, "k"))
    );
    // The order keeps its stock: nothing went back to the gate.
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(9)
    );
}

#[tokio::test]
async fn nothing_is_taken_while_the_queue_is_down() {
    let queue = SwitchableQueue::default();
    let sale = sale_on(TestAdapters::memory().with_queue(queue.clone()), 3, 1, 0).await;
    queue.set_outlook(PublishOutlook::Down);
    assert!(matches!(
        sale.attempt(&buyer(), 1).await,
        Err(PurchaseError::Unavailable(_))
    ));
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(3)
    );
}

#[tokio::test]
async fn an_empty_gate_is_not_sold_out_while_failed_publishes_may_give_stock_back() {
    let queue = SwitchableQueue::default();
    let sale = sale_on(TestAdapters::memory().with_queue(queue.clone()), 1, 1, 0).await;
    sale.attempt(&buyer(), 1).await.unwrap();
    queue.set_outlook(PublishOutlook::Recovering);
    assert!(matches!(
        sale.attempt(&buyer(), 1).await,
        Err(PurchaseError::Unavailable(_))
    ));
    assert!(!sale.purchases.sold_out_flags().is_sold_out(sale.activity));
    // Once publishing is healthy again, an empty gate is a final answer.
    queue.set_outlook(PublishOutlook::Ready);
    assert_eq!(sale.attempt(&buyer(), 1).await, Err(PurchaseError::SoldOut));
    assert!(sale.purchases.sold_out_flags().is_sold_out(sale.activity));
}

#[tokio::test]
async fn an_unconfirmed_publish_keeps_its_stock_taken_for_the_reconciler() {
    let queue = SwitchableQueue::default();
    let sale = sale_on(TestAdapters::memory().with_queue(queue.clone()), 2, 1, 0).await;
    queue
        .unconfirmed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(
        sale.attempt(&buyer(), 1).await,
        Err(PurchaseError::Unavailable(_))
    ));
    // It may be stored: giving its stock back could sell it twice.
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(1)
    );
    assert_eq!(
        sale.adapters
            .gate()
            .holdings(sale.activity)
            .await
            .unwrap()
            .len(),
        1
    );
}

/// The memory gate, its lookups cut off on demand (Redis out of reach).
#[derive(Clone, Default)]
struct UnreachableLookups {
    inner: seckiller_memory::MemoryStockGate,
    cut: Arc<std::sync::atomic::AtomicBool>,
}

impl StockGate for UnreachableLookups {
    async fn preheat(
        &self,
        activity: ActivityId,
        available: u32,
        limit: Quantity,
        holdings: &[Purchase],
    ) -> Result<(), seckiller_domain::ports::GateError> {
        self.inner
            .preheat(activity, available, limit, holdings)
            .await
    }
    async fn remember_given_back(
        &self,
        activity: ActivityId,
        given_back: &[Purchase],
    ) -> Result<(), seckiller_domain::ports::GateError> {
        self.inner.remember_given_back(activity, given_back).await
    }
    async fn take(
        &self,
        purchase: &Purchase,
        retake: bool,
    ) -> Result<GateDecision, seckiller_domain::ports::GateError> {
        self.inner.take(purchase, retake).await
    }
    async fn give_back(
        &self,
        purchase: &Purchase,
    ) -> Result<bool, seckiller_domain::ports::GateError> {
        self.inner.give_back(purchase).await
    }
    async fn available(
        &self,
        activity: ActivityId,
    ) -> Result<Option<u32>, seckiller_domain::ports::GateError> {
        self.inner.available(activity).await
    }
    async fn find_purchase(
        &self,
        id: PurchaseId,
    ) -> Result<Option<Purchase>, seckiller_domain::ports::GateError> {
        if self.cut.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(seckiller_domain::ports::GateError::from(
                "redis is away".to_owned(),
            ));
        }
        self.inner.find_purchase(id).await
    }
    async fn accepted_ids(
        &self,
        activity: ActivityId,
    ) -> Result<Vec<PurchaseId>, seckiller_domain::ports::GateError> {
        self.inner.accepted_ids(activity).await
    }
    async fn holdings(
        &self,
        activity: ActivityId,
    ) -> Result<Vec<Purchase>, seckiller_domain::ports::GateError> {
        self.inner.holdings(activity).await
    }
}

#[tokio::test]
async fn a_status_poll_answers_from_memory_while_the_gate_is_out_of_reach() {
    let gate = UnreachableLookups::default();
    let sale = sale_on(TestAdapters::memory().with_gate(gate.clone()), 10, 1, 0).await;
    let (olga, peter) = (buyer(), buyer());
    let id = sale.attempt(&olga, 1).await.unwrap();
    gate.cut.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        sale.purchases.status(&olga, id).await,
        Ok(PurchaseStatus::Pending)
    );
    // Still nobody else's to see.
    assert_eq!(
        sale.purchases.status(&peter, id).await,
        Err(PurchaseStatusError::NotFound)
    );
    // A purchase nobody here knows of cannot be answered.
    let unknown = PurchaseId::from_uuid(Uuid::now_v7());
    assert!(matches!(
        sale.purchases.status(&olga, unknown).await,
        Err(PurchaseStatusError::Unavailable(_))
    ));
}

/// A keyed request for one item of `sale`, with `token`.
fn keyed(sale: &Sale<TestAdapters>, key: &str, quantity: u32, token: &str) -> PurchaseRequest {
    PurchaseRequest {
        activity_id: sale.activity,
        quantity: Quantity::new(quantity).unwrap(),
        token: token.to_owned(),
        idempotency_key: Some(key.to_owned()),
    }
}

async fn token_of(sale: &Sale<TestAdapters>, caller: &Caller) -> String {
    sale.purchases
        .request_token(caller, sale.activity)
        .await
        .unwrap()
        .token
}

fn pending(id: PurchaseId) -> Result<PurchaseAnswer, PurchaseError> {
    Ok(PurchaseAnswer {
        id,
        status: PurchaseStatus::Pending,
    })
}

#[tokio::test]
async fn a_key_reused_in_another_sale_names_another_purchase_there() {
    let (first, second) = (sale(10, 1).await, sale(10, 1).await);
    let olga = buyer();
    let in_first = first.attempt_as(&olga, "k").await.unwrap();
    let in_second = second.attempt_as(&olga, "k").await.unwrap();
    assert_ne!(in_first, in_second);
    assert_eq!(in_second, second.id_for(&olga, "k"));
    assert_eq!(
        first.written_order(in_first).await.activity_id,
        first.activity
    );
    assert_eq!(
        second.written_order(in_second).await.activity_id,
        second.activity
    );
}

#[tokio::test]
async fn the_same_key_with_another_quantity_is_refused_and_takes_nothing() {
    let sale = sale(10, 5).await;
    let pia = buyer();
    let id = sale.id_for(&pia, "k");
    assert_eq!(sale.keyed(&pia, "k", 2).await, pending(id));
    assert_eq!(
        sale.keyed(&pia, "k", 1).await,
        Err(PurchaseError::IdempotencyKeyReused)
    );
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(8)
    );
    // Once the order is written, the order says what was bought.
    let order = sale.written_order(id).await;
    assert_eq!(
        sale.keyed(&pia, "k", 3).await,
        Err(PurchaseError::IdempotencyKeyReused)
    );
    assert_eq!(
        sale.keyed(&pia, "k", 2).await,
        Ok(PurchaseAnswer {
            id,
            status: PurchaseStatus::Ordered(order)
        })
    );
}

#[tokio::test]
async fn a_keyed_retry_of_a_holding_replays_after_the_sale_is_flagged_sold_out() {
    let sale = sale(1, 1).await;
    let (quinn, rose) = (buyer(), buyer());
    let token = token_of(&sale, &quinn).await;
    let id = sale.id_for(&quinn, "k");
    // Quinn's acceptance is lost on the way (its node died, say).
    assert_eq!(
        sale.purchases
            .purchase(&quinn, keyed(&sale, "k", 1, &token))
            .await,
        pending(id)
    );
    assert_eq!(sale.attempt(&rose, 1).await, Err(PurchaseError::SoldOut));
    let flags = sale.purchases.sold_out_flags();
    assert!(flags.is_sold_out(sale.activity));
    // The flag knows Quinn's purchase, and no other.
    assert!(!flags.refuses(sale.activity, Some(id)));
    let never_accepted = sale.id_for(&quinn, "other");
    assert!(flags.refuses(sale.activity, Some(never_accepted)));
    // Quinn retries with the same key and token: the gate, not the flag, answers, and it holds
    // the item; once the order is written the retry names it.
    assert_eq!(
        sale.purchases
            .purchase(&quinn, keyed(&sale, "k", 1, &token))
            .await,
        pending(id)
    );
    let order = sale.written_order(id).await;
    assert_eq!(
        sale.purchases
            .purchase(&quinn, keyed(&sale, "k", 1, &token))
            .await,
        Ok(PurchaseAnswer {
            id,
            status: PurchaseStatus::Ordered(order)
        })
    );
    // Another key, or the same key with another quantity, finds it sold out at once.
    assert_eq!(
        sale.purchases
            .purchase(&quinn, keyed(&sale, "other", 1, &token))
            .await,
        Err(PurchaseError::SoldOut)
    );
}

#[tokio::test]
async fn a_keyed_retry_with_an_expired_token_replays_but_takes_nothing_new() {
    let sale = sale(10, 2).await;
    let sam = buyer();
    let token = token_of(&sale, &sam).await;
    let id = sale.id_for(&sam, "k");
    assert_eq!(
        sale.purchases
            .purchase(&sam, keyed(&sale, "k", 1, &token))
            .await,
        pending(id)
    );
    sale.adapters.clock.advance(Duration::seconds(31));
    assert_eq!(
        sale.purchases
            .purchase(&sam, keyed(&sale, "k", 1, &token))
            .await,
        pending(id)
    );
    assert_eq!(
        sale.purchases
            .purchase(&sam, keyed(&sale, "k", 2, &token))
            .await,
        Err(PurchaseError::IdempotencyKeyReused)
    );
    // A key never accepted would take stock: that needs a current token.
    assert_eq!(
        sale.purchases
            .purchase(&sam, keyed(&sale, "new", 1, &token))
            .await,
        Err(PurchaseError::BadToken)
    );
    // An expired token of another buyer replays nothing.
    let tom = buyer();
    assert_eq!(
        sale.purchases
            .purchase(&tom, keyed(&sale, "k", 1, &token))
            .await,
        Err(PurchaseError::BadToken)
    );
    assert_eq!(
        sale.adapters.gate().available(sale.activity).await.unwrap(),
        Some(9)
    );
}

#[tokio::test]
async fn a_restock_forgets_the_flags_purchases_and_the_next_sell_out_knows_the_new_holder() {
    let sale = sale(1, 1).await;
    let (una, vic, walt) = (buyer(), buyer(), buyer());
    let first = sale.order_as(&una, "k").await;
    assert_eq!(sale.attempt(&vic, 1).await, Err(PurchaseError::SoldOut));
    let flags = sale.purchases.sold_out_flags();
    let vic_id = sale.id_for(&vic, "k");
    assert!(flags.refuses(sale.activity, Some(vic_id)));
    // Una cancels: the stock comes back and the flag goes.
    sale.actions.cancel(&una, first.id).await.unwrap();
    assert!(!flags.is_sold_out(sale.activity));
    // Vic's key is accepted now, and the next sell-out knows it.
    let token = token_of(&sale, &vic).await;
    assert_eq!(
        sale.purchases
            .purchase(&vic, keyed(&sale, "k", 1, &token))
            .await,
        pending(vic_id)
    );
    assert_eq!(sale.attempt(&walt, 1).await, Err(PurchaseError::SoldOut));
    assert!(flags.is_sold_out(sale.activity));
    assert!(!flags.refuses(sale.activity, Some(vic_id)));
    assert_eq!(
        sale.purchases
            .purchase(&vic, keyed(&sale, "k", 1, &token))
            .await,
        pending(vic_id)
    );
    // Una's given-back purchase is still known, so her retry reaches its cancelled order.
    assert!(!flags.refuses(sale.activity, Some(sale.id_for(&una, "k"))));
}

#[test]
fn a_second_listing_of_a_sale_is_refused_without_ending_the_first() {
    let learning = super::Learning::default();
    let sale = ActivityId::from_uuid(uuid::Uuid::now_v7());
    let first = learning.begin(sale);
    assert!(first.is_some());
    // Refused while the first runs, and the refusal leaves the first in place.
    assert!(learning.begin(sale).is_none());
    assert!(learning.begin(sale).is_none());
    drop(first);
    assert!(learning.begin(sale).is_some());
}
