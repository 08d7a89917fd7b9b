//! Orders: each accepted purchase becomes at most one order, however often it is delivered, and
//! takes its stock from the ledger; a purchase the ledger cannot cover is rejected and the
//! rejection kept; orders are found again by every key a caller has.

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, OrderRepository, RecordOutcome, Rejection, UserRepository,
};
use seckiller_domain::{ActivityId, Order, OrderId, PurchaseId, Role, StockLedger, UserId};
use uuid::Uuid;

use crate::Repositories;
use crate::activities::a_stored_product;
use crate::feed::a_purchase_of;
use crate::fixtures::{a_user, an_activity, whole_second_now};

/// One store's repositories including orders, as handed to [`order_contract!`](crate::order_contract).
pub trait OrderRepositories: Repositories {
    /// The orders adapter under test.
    type Orders: OrderRepository;

    /// The orders and rejections.
    fn orders(&self) -> &Self::Orders;
}

/// A stored sale with the given ledger and a stored buyer; orders refer to both.
async fn a_sale<S: OrderRepositories>(store: &S, stock: StockLedger) -> (ActivityRecord, UserId) {
    let product_id = a_stored_product(store.products()).await;
    let mut record = an_activity(product_id, whole_second_now());
    record.stock = stock;
    store
        .activities()
        .insert(&record)
        .await
        .expect("a new activity is stored");
    (record, a_stored_buyer(store).await)
}

async fn a_stored_buyer<S: OrderRepositories>(store: &S) -> UserId {
    let buyer = a_user(Role::Buyer);
    store
        .users()
        .insert(&buyer)
        .await
        .expect("a new buyer is stored");
    buyer.id
}

/// The pending order of a fresh purchase, created at `created_at` with ten minutes to pay.
fn an_order(
    activity: ActivityId,
    buyer: UserId,
    quantity: u32,
    created_at: DateTime<Utc>,
) -> Order {
    let purchase = a_purchase_of(activity, buyer, quantity, created_at);
    Order::from_purchase(
        OrderId::from_uuid(Uuid::now_v7()),
        &purchase,
        created_at + Duration::minutes(10),
        created_at,
    )
}

/// The same purchase made into an order again (a redelivery, maybe on another node): a new order
/// id, a later creation time.
fn again(order: &Order) -> Order {
    Order {
        id: OrderId::from_uuid(Uuid::now_v7()),
        created_at: order.created_at + Duration::seconds(3),
        pay_deadline: order.pay_deadline + Duration::seconds(3),
        ..order.clone()
    }
}

async fn ledger<S: OrderRepositories>(store: &S, activity: ActivityId) -> StockLedger {
    store
        .activities()
        .by_id(activity)
        .await
        .expect("lookup by id")
        .expect("the activity is stored")
        .stock
}

async fn record<S: OrderRepositories>(store: &S, orders: &[Order]) -> Vec<RecordOutcome> {
    store
        .orders()
        .record(orders)
        .await
        .expect("the batch is recorded")
}

/// A new order is stored as it is, and its quantity moves from available to held.
pub async fn a_new_order_holds_its_stock<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let order = an_order(sale.activity.id, buyer, 2, whole_second_now());

    assert_eq!(
        record(store, std::slice::from_ref(&order)).await,
        vec![RecordOutcome::Created]
    );

    let orders = store.orders();
    assert_eq!(
        orders.by_purchase(order.purchase_id).await.expect("lookup"),
        Some(order.clone())
    );
    assert_eq!(orders.by_id(order.id).await.expect("lookup"), Some(order));
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!(
        (stock.total(), stock.available(), stock.held(), stock.sold()),
        (100, 98, 2, 0)
    );
}

/// A purchase delivered again, as the same order or as a new one from another writer, makes no
/// second order and takes no more stock.
pub async fn a_redelivered_purchase_makes_no_second_order<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let order = an_order(sale.activity.id, buyer, 2, whole_second_now());
    let other_writers = again(&order);

    assert_eq!(
        record(store, std::slice::from_ref(&order)).await,
        vec![RecordOutcome::Created]
    );
    assert_eq!(
        record(store, std::slice::from_ref(&order)).await,
        vec![RecordOutcome::AlreadyRecorded]
    );
    assert_eq!(
        record(store, std::slice::from_ref(&other_writers)).await,
        vec![RecordOutcome::AlreadyRecorded]
    );

    let orders = store.orders();
    assert_eq!(
        orders.by_purchase(order.purchase_id).await.expect("lookup"),
        Some(order.clone())
    );
    assert_eq!(orders.by_id(other_writers.id).await.expect("lookup"), None);
    assert_eq!(
        orders.rejection(order.purchase_id).await.expect("lookup"),
        None
    );
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!((stock.available(), stock.held()), (98, 2));
}

/// A batch carrying one purchase twice makes one order of it; the rest of the batch is recorded
/// as usual, and outcomes come in input order.
pub async fn a_batch_with_a_duplicate_makes_one_order<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let now = whole_second_now();
    let first = an_order(sale.activity.id, buyer, 2, now);
    let second = an_order(sale.activity.id, buyer, 3, now);

    assert_eq!(
        record(store, &[first.clone(), again(&first), second.clone()]).await,
        vec![
            RecordOutcome::Created,
            RecordOutcome::AlreadyRecorded,
            RecordOutcome::Created
        ]
    );

    let orders = store.orders();
    assert_eq!(
        orders.by_purchase(first.purchase_id).await.expect("lookup"),
        Some(first)
    );
    assert_eq!(
        orders
            .by_purchase(second.purchase_id)
            .await
            .expect("lookup"),
        Some(second)
    );
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!((stock.available(), stock.held()), (95, 5));
}

/// When the database's ledger cannot cover an order (the gate and the database disagree), no
/// order is made, nothing moves, and the purchase is recorded as rejected, dated with the order's
/// creation time; it stays rejected when delivered again. The rest of the batch goes on.
pub async fn an_order_the_ledger_cannot_cover_is_rejected_and_recorded<S: OrderRepositories>(
    store: &S,
) {
    let stock = StockLedger::from_counts(100, 2, 90, 8).expect("the counts add up");
    let (sale, buyer) = a_sale(store, stock).await;
    let now = whole_second_now();
    let too_big = an_order(sale.activity.id, buyer, 3, now);
    let fits = an_order(sale.activity.id, buyer, 2, now);

    let outcomes = record(store, &[too_big.clone(), fits.clone()]).await;
    let reason = match &outcomes[..] {
        [RecordOutcome::Rejected { reason }, RecordOutcome::Created] => reason.clone(),
        other => panic!("expected a rejection, then a new order: {other:?}"),
    };
    assert!(!reason.is_empty(), "a rejection says why");

    let orders = store.orders();
    assert_eq!(
        orders
            .by_purchase(too_big.purchase_id)
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(orders.by_id(too_big.id).await.expect("lookup"), None);
    assert_eq!(
        orders.rejection(too_big.purchase_id).await.expect("lookup"),
        Some(Rejection {
            purchase_id: too_big.purchase_id,
            activity_id: too_big.activity_id,
            buyer_id: too_big.buyer_id,
            reason: reason.clone(),
            rejected_at: too_big.created_at,
        })
    );
    assert_eq!(
        orders.rejection(fits.purchase_id).await.expect("lookup"),
        None
    );
    let stock = ledger(store, sale.activity.id).await;
    assert_eq!(
        (stock.total(), stock.available(), stock.held(), stock.sold()),
        (100, 0, 92, 8)
    );

    assert_eq!(
        record(store, &[again(&too_big)]).await,
        vec![RecordOutcome::Rejected { reason }],
        "a rejected purchase stays rejected"
    );
    assert_eq!(
        orders
            .by_purchase(too_big.purchase_id)
            .await
            .expect("lookup"),
        None
    );
}

/// Orders come back by their id and by their purchase's id, and a buyer's orders newest first, a
/// page at a time, without anyone else's; unknown ids find nothing.
pub async fn orders_are_found_by_id_purchase_and_buyer<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let someone_else = a_stored_buyer(store).await;
    let now = whole_second_now();
    let [oldest, middle, newest] =
        [0, 1, 2].map(|s| an_order(sale.activity.id, buyer, 1, now + Duration::seconds(s)));
    let theirs = an_order(sale.activity.id, someone_else, 1, now);
    record(store, &[middle.clone(), theirs.clone()]).await;
    record(store, &[newest.clone(), oldest.clone()]).await;

    let orders = store.orders();
    for order in [&oldest, &middle, &newest, &theirs] {
        assert_eq!(
            orders.by_id(order.id).await.expect("lookup"),
            Some(order.clone())
        );
        assert_eq!(
            orders.by_purchase(order.purchase_id).await.expect("lookup"),
            Some(order.clone())
        );
    }
    assert_eq!(
        orders.for_buyer(buyer, 2, 0).await.expect("list"),
        vec![newest.clone(), middle.clone()]
    );
    assert_eq!(
        orders.for_buyer(buyer, 2, 2).await.expect("list"),
        vec![oldest]
    );
    assert_eq!(orders.for_buyer(buyer, 10, 3).await.expect("list"), vec![]);
    assert_eq!(
        orders.for_buyer(someone_else, 10, 0).await.expect("list"),
        vec![theirs]
    );
    let nobody = UserId::from_uuid(Uuid::now_v7());
    assert_eq!(orders.for_buyer(nobody, 10, 0).await.expect("list"), vec![]);
    let unknown = Uuid::now_v7();
    assert_eq!(
        orders
            .by_id(OrderId::from_uuid(unknown))
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        orders
            .by_purchase(PurchaseId::from_uuid(unknown))
            .await
            .expect("lookup"),
        None
    );
    assert_eq!(
        orders
            .rejection(PurchaseId::from_uuid(unknown))
            .await
            .expect("lookup"),
        None
    );
}

/// The live totals of an activity count its pending and paid orders and their items, but no
/// cancelled or expired order and nothing of another activity. Orders reach storage only through
/// `record` so far, so the paid and cancelled ones are recorded in that state; their payment and
/// cancellation times round-trip too.
pub async fn live_totals_count_pending_and_paid_orders<S: OrderRepositories>(store: &S) {
    let (sale, buyer) = a_sale(store, StockLedger::new(100)).await;
    let (other_sale, other_buyer) = a_sale(store, StockLedger::new(100)).await;
    let now = whole_second_now();
    let id = sale.activity.id;
    let pending = [an_order(id, buyer, 1, now), an_order(id, buyer, 2, now)];
    let mut paid = an_order(id, buyer, 3, now);
    paid.pay(now + Duration::seconds(30)).expect("paid in time");
    let mut withdrawn = an_order(id, buyer, 4, now);
    withdrawn
        .cancel_by_buyer(now + Duration::seconds(40))
        .expect("cancelled before paying");
    let mut expired = an_order(id, buyer, 5, now);
    expired
        .expire(expired.pay_deadline)
        .expect("due at the deadline");
    let elsewhere = an_order(other_sale.activity.id, other_buyer, 7, now);

    let batch = [
        pending[0].clone(),
        pending[1].clone(),
        paid.clone(),
        withdrawn.clone(),
        expired.clone(),
        elsewhere,
    ];
    assert!(
        record(store, &batch)
            .await
            .iter()
            .all(|o| *o == RecordOutcome::Created)
    );

    let orders = store.orders();
    assert_eq!(orders.live_totals(id).await.expect("totals"), (3, 6));
    assert_eq!(
        orders
            .live_totals(other_sale.activity.id)
            .await
            .expect("totals"),
        (1, 7)
    );
    assert_eq!(
        orders
            .live_totals(ActivityId::from_uuid(Uuid::now_v7()))
            .await
            .expect("totals"),
        (0, 0)
    );
    for order in [paid, withdrawn, expired] {
        assert_eq!(
            orders.by_id(order.id).await.expect("lookup"),
            Some(order.clone())
        );
    }
}

/// Runs every order check one after another on one store: the checks must not depend on an
/// empty store or on each other. Keep this list in step with [`order_contract!`](crate::order_contract).
pub async fn every_order_check_in_turn<S: OrderRepositories>(store: &S) {
    a_new_order_holds_its_stock(store).await;
    a_redelivered_purchase_makes_no_second_order(store).await;
    a_batch_with_a_duplicate_makes_one_order(store).await;
    an_order_the_ledger_cannot_cover_is_rejected_and_recorded(store).await;
    orders_are_found_by_id_purchase_and_buyer(store).await;
    live_totals_count_pending_and_paid_orders(store).await;
}

/// Expands to one `#[tokio::test]` per order check, each opening a fresh store with `$open` (an
/// expression evaluating to a future of an [`OrderRepositories`] value), plus one test running
/// them all twice on a single store. The calling crate needs `tokio` with the `macros` and `rt`
/// features as a dev-dependency.
///
/// ```ignore
/// mod sqlite_orders {
///     seckiller_contract::order_contract!(crate::harness::sqlite());
/// }
/// ```
#[macro_export]
macro_rules! order_contract {
    ($open:expr) => {
        $crate::order_contract!(@check $open, a_new_order_holds_its_stock);
        $crate::order_contract!(@check $open, a_redelivered_purchase_makes_no_second_order);
        $crate::order_contract!(@check $open, a_batch_with_a_duplicate_makes_one_order);
        $crate::order_contract!(@check $open, an_order_the_ledger_cannot_cover_is_rejected_and_recorded);
        $crate::order_contract!(@check $open, orders_are_found_by_id_purchase_and_buyer);
        $crate::order_contract!(@check $open, live_totals_count_pending_and_paid_orders);

        #[tokio::test]
        async fn every_order_check_passes_twice_on_one_shared_store() {
            let store = $open.await;
            $crate::every_order_check_in_turn(&store).await;
            $crate::every_order_check_in_turn(&store).await;
        }
    };
    (@check $open:expr, $check:ident) => {
        #[tokio::test]
        async fn $check() {
            let store = $open.await;
            $crate::$check(&store).await;
        }
    };
}
