//! Orders: each accepted purchase becomes at most one order, however often it is delivered, and
//! takes its stock from the ledger; a purchase the ledger cannot cover is rejected and the
//! rejection kept; orders are found again by every key a caller has. From there an order is paid
//! or cancelled (by its buyer, an admin, or the sweeper once overdue) exactly once, its stock
//! moving with it, and cancelled stock waits in an outbox until it is back in the stock gate.
//!
//! Expiry and the outbox span the whole store, not one activity, so the checks using them first
//! clear what earlier checks left behind (as the sweeper would) and date their own orders a day
//! back, where no other check's orders are due.

mod expiry;
mod moves;
mod races;
mod recording;

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, OrderRepository, RecordOutcome, StorageError,
    UserRepository,
};
use seckiller_domain::{ActivityId, Order, OrderId, Role, StockLedger, UserId};
use uuid::Uuid;

use crate::Repositories;
use crate::activities::a_stored_product;
use crate::feed::a_purchase_of;
use crate::fixtures::{a_user, an_activity, whole_second_now};

pub use expiry::{
    calling_off_an_activity_cancels_only_its_pending_orders,
    expiry_takes_only_overdue_pending_orders_oldest_first,
};
pub use moves::{
    a_buyer_cancellation_returns_the_stock_and_awaits_release,
    paying_at_or_after_the_deadline_is_refused_and_changes_nothing,
    paying_before_the_deadline_sells_the_stock_once,
};
pub use races::{
    payments_racing_the_sweeper_settle_each_order_once,
    payments_racing_their_sales_cancellation_settle_each_order_once,
    two_sweepers_expire_every_due_order_exactly_once,
};
pub use recording::{
    a_batch_with_a_duplicate_makes_one_order, a_new_order_holds_its_stock,
    a_redelivered_purchase_makes_no_second_order,
    an_order_the_ledger_cannot_cover_is_rejected_and_recorded,
    orders_are_found_by_id_purchase_and_buyer, totals_count_orders_by_where_they_are,
};

/// One store's repositories including orders, as handed to [`order_contract!`](crate::order_contract).
pub trait OrderRepositories: Repositories {
    /// The orders adapter under test; cloned into the tasks of the concurrent checks.
    type Orders: OrderRepository + Clone;

    /// The orders and rejections.
    fn orders(&self) -> &Self::Orders;

    /// The same orders as another node of the cluster reaches them, for the concurrent checks:
    /// a database adapter opens its own connection pool, so the nodes race through separate
    /// connections as they do in production. An in-process store has one node only; by default
    /// it is [`OrderRepositories::orders`] again.
    fn another_node(&self) -> impl Future<Output = Self::Orders> + Send {
        let orders = self.orders().clone();
        async move { orders }
    }
}

/// What an order repository call answers.
pub type OrderOutcome<T> = Result<T, StorageError>;

/// One order repository call, boxed so it can be handed to any runtime and run on any thread.
pub type OrderCall<T> = Pin<Box<dyn Future<Output = OrderOutcome<T>> + Send>>;

/// Starts order repository calls as tasks of the test's runtime. This crate depends on no
/// runtime, so the test crate supplies one ([`order_contract!`](crate::order_contract) does, with
/// tokio).
pub trait SpawnOrderCall {
    /// Starts `call` at once and returns its outcome when awaited. A panicking call must make the
    /// check fail.
    fn spawn<T: Send + 'static>(
        &self,
        call: OrderCall<T>,
    ) -> impl Future<Output = OrderOutcome<T>> + Send;
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

/// How long a buyer has to pay for a fixture order.
fn payment_window() -> Duration {
    Duration::minutes(10)
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
        created_at + payment_window(),
        created_at,
    )
}

/// A whole second a day back: orders created then are overdue long before any other check's.
fn a_day_ago() -> DateTime<Utc> {
    whole_second_now() - Duration::days(1)
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

/// The ledger as (total, available, held, sold), for comparing all four at once.
async fn counts<S: OrderRepositories>(store: &S, activity: ActivityId) -> (u32, u32, u32, u32) {
    let stock = ledger(store, activity).await;
    (stock.total(), stock.available(), stock.held(), stock.sold())
}

async fn record<S: OrderRepositories>(store: &S, orders: &[Order]) -> Vec<RecordOutcome> {
    store
        .orders()
        .record(orders)
        .await
        .expect("the batch is recorded")
}

/// Records `orders`, every one of which must be new.
async fn record_new<S: OrderRepositories>(store: &S, orders: &[Order]) {
    let outcomes = record(store, orders).await;
    assert!(
        outcomes.iter().all(|o| *o == RecordOutcome::Created),
        "every order is new: {outcomes:?}"
    );
}

/// Expires everything due at `now`, so a check counting what expires sees its own orders only.
async fn expire_everything_due<O: OrderRepository>(orders: &O, now: DateTime<Utc>) {
    while !orders
        .expire_due(now, 1_000)
        .await
        .expect("expire what earlier checks left due")
        .is_empty()
    {}
}

/// Releases everything in the outbox, so a check reading it sees its own orders only.
async fn release_everything<O: OrderRepository>(orders: &O, now: DateTime<Utc>) {
    loop {
        let owed = orders
            .unreleased(1_000)
            .await
            .expect("read what earlier checks left owed");
        if owed.is_empty() {
            return;
        }
        let ids: Vec<OrderId> = owed.iter().map(|o| o.id).collect();
        orders
            .mark_released(&ids, now)
            .await
            .expect("release what earlier checks left owed");
    }
}

/// `orders` sorted by id, for comparing sets of orders.
fn by_id(mut orders: Vec<Order>) -> Vec<Order> {
    orders.sort_by_key(|o| o.id);
    orders
}

/// Runs every order check one after another on one store: the checks must not depend on an
/// empty store or on each other. Keep this list in step with [`order_contract!`](crate::order_contract).
pub async fn every_order_check_in_turn<S, T>(store: &S, spawn: &T)
where
    S: OrderRepositories,
    T: SpawnOrderCall,
{
    a_new_order_holds_its_stock(store).await;
    a_redelivered_purchase_makes_no_second_order(store).await;
    a_batch_with_a_duplicate_makes_one_order(store).await;
    an_order_the_ledger_cannot_cover_is_rejected_and_recorded(store).await;
    orders_are_found_by_id_purchase_and_buyer(store).await;
    totals_count_orders_by_where_they_are(store).await;
    paying_before_the_deadline_sells_the_stock_once(store).await;
    paying_at_or_after_the_deadline_is_refused_and_changes_nothing(store).await;
    a_buyer_cancellation_returns_the_stock_and_awaits_release(store).await;
    expiry_takes_only_overdue_pending_orders_oldest_first(store).await;
    calling_off_an_activity_cancels_only_its_pending_orders(store).await;
    two_sweepers_expire_every_due_order_exactly_once(store, spawn).await;
    payments_racing_the_sweeper_settle_each_order_once(store, spawn).await;
    payments_racing_their_sales_cancellation_settle_each_order_once(store, spawn).await;
}

/// Expands to one `#[tokio::test]` per order check, each opening a fresh store with `$open` (an
/// expression evaluating to a future of an [`OrderRepositories`] value), plus one test running
/// them all twice on a single store. The concurrent checks run on a multi-threaded runtime with
/// their calls spawned as tokio tasks. Invoke it once per module: it defines a `TokioOrderTasks`
/// type. The calling crate needs `tokio` with the `macros`, `rt` and `rt-multi-thread` features
/// as a dev-dependency.
///
/// ```ignore
/// mod sqlite_orders {
///     seckiller_contract::order_contract!(crate::harness::sqlite());
/// }
/// ```
#[macro_export]
macro_rules! order_contract {
    ($open:expr) => {
        /// Runs order repository calls as tokio tasks, so concurrent checks overlap on several
        /// threads.
        struct TokioOrderTasks;

        impl $crate::SpawnOrderCall for TokioOrderTasks {
            fn spawn<T: Send + 'static>(
                &self,
                call: $crate::OrderCall<T>,
            ) -> impl ::std::future::Future<Output = $crate::OrderOutcome<T>> + Send {
                let task = ::tokio::spawn(call);
                async move {
                    match task.await {
                        Ok(outcome) => outcome,
                        Err(failed) => panic!("an order call did not finish: {failed}"),
                    }
                }
            }
        }

        $crate::order_contract!(@check $open, a_new_order_holds_its_stock);
        $crate::order_contract!(@check $open, a_redelivered_purchase_makes_no_second_order);
        $crate::order_contract!(@check $open, a_batch_with_a_duplicate_makes_one_order);
        $crate::order_contract!(@check $open, an_order_the_ledger_cannot_cover_is_rejected_and_recorded);
        $crate::order_contract!(@check $open, orders_are_found_by_id_purchase_and_buyer);
        $crate::order_contract!(@check $open, totals_count_orders_by_where_they_are);
        $crate::order_contract!(@check $open, paying_before_the_deadline_sells_the_stock_once);
        $crate::order_contract!(@check $open, paying_at_or_after_the_deadline_is_refused_and_changes_nothing);
        $crate::order_contract!(@check $open, a_buyer_cancellation_returns_the_stock_and_awaits_release);
        $crate::order_contract!(@check $open, expiry_takes_only_overdue_pending_orders_oldest_first);
        $crate::order_contract!(@check $open, calling_off_an_activity_cancels_only_its_pending_orders);
        $crate::order_contract!(@race $open, two_sweepers_expire_every_due_order_exactly_once);
        $crate::order_contract!(@race $open, payments_racing_the_sweeper_settle_each_order_once);
        $crate::order_contract!(@race $open, payments_racing_their_sales_cancellation_settle_each_order_once);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn every_order_check_passes_twice_on_one_shared_store() {
            let store = $open.await;
            $crate::every_order_check_in_turn(&store, &TokioOrderTasks).await;
            $crate::every_order_check_in_turn(&store, &TokioOrderTasks).await;
        }
    };
    (@check $open:expr, $check:ident) => {
        #[tokio::test]
        async fn $check() {
            let store = $open.await;
            $crate::$check(&store).await;
        }
    };
    (@race $open:expr, $check:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $check() {
            let store = $open.await;
            $crate::$check(&store, &TokioOrderTasks).await;
        }
    };
}
