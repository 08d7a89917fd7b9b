//! The regular shop's storage: search, regular stock, carts and regular orders. A store passes
//! when Postgres full-text search and SQLite FTS5 find the same products in the same order, and
//! a checkout moves exactly its lines' regular stock, all or nothing, never overselling.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};
use seckiller_domain::ports::{
    CartRepository, ChangeStockError, MoveOutcome, PlaceOutcome, ProductRepository, ProductSearch,
    RegularOrderRepository, RegularTotals, ShopCatalog, StockChange, UserRepository,
};
use seckiller_domain::{
    CancelReason, CartLine, Description, Money, Name, NewProduct, OrderId, OrderLine, OrderStatus,
    Product, ProductChanges, ProductId, ProductState, Quantity, RegularOrder, Role, StockError,
    StockLedger, UserId,
};
use uuid::Uuid;

use crate::Repositories;
use crate::fixtures::{a_user, currency, whole_second_now};
use crate::orders::{OrderOutcome, SpawnOrderCall};

/// One store's shop adapters, as handed to [`shop_contract!`](crate::shop_contract).
pub trait ShopStores: Repositories {
    /// The catalogue as buyers search it.
    type Catalog: ShopCatalog;
    /// Carts.
    type Carts: CartRepository;
    /// Regular orders; cloned into the tasks of the concurrent check.
    type RegularOrders: RegularOrderRepository + Clone;

    /// The catalogue as buyers search it.
    fn catalog(&self) -> &Self::Catalog;
    /// Carts.
    fn carts(&self) -> &Self::Carts;
    /// Regular orders.
    fn regular_orders(&self) -> &Self::RegularOrders;
    /// The regular orders as another node reaches them (its own connections).
    fn another_node(&self) -> impl Future<Output = Self::RegularOrders> + Send;
}

/// A word no other check uses, so checks sharing a store find only their own products.
fn a_tag() -> String {
    format!("t{}", Uuid::now_v7().simple())
}

async fn a_stored_product<S: ShopStores>(
    store: &S,
    name: &str,
    description: &str,
    stock: u32,
) -> Product {
    let product = Product::create(
        ProductId::from_uuid(Uuid::now_v7()),
        NewProduct {
            name: Name::parse(name).expect("a fixture name is valid"),
            description: Description::parse(description).expect("a fixture text is valid"),
            image_url: None,
            price: Money::new(1_250, currency("EUR")).expect("a fixture price is valid"),
        },
        whole_second_now(),
    );
    store
        .products()
        .insert(&product)
        .await
        .expect("a new product is stored");
    if stock > 0 {
        store
            .catalog()
            .change_stock(product.id, StockChange::SetTotal(stock))
            .await
            .expect("the stock is set");
    }
    product
}

async fn a_stored_buyer<S: ShopStores>(store: &S) -> UserId {
    let buyer = a_user(Role::Buyer);
    store
        .users()
        .insert(&buyer)
        .await
        .expect("a new buyer is stored");
    buyer.id
}

fn an_order(
    buyer: UserId,
    lines: &[(&Product, u32)],
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> RegularOrder {
    let lines = lines
        .iter()
        .map(|(product, quantity)| OrderLine {
            product_id: product.id,
            name: product.name.clone(),
            unit_price: product.price,
            quantity: Quantity::new(*quantity).expect("a fixture quantity is positive"),
        })
        .collect();
    RegularOrder::place(
        OrderId::from_uuid(Uuid::now_v7()),
        buyer,
        lines,
        deadline,
        now,
    )
    .expect("fixture lines make an order")
}

async fn stock_of<S: ShopStores>(store: &S, id: ProductId) -> StockLedger {
    store
        .catalog()
        .stocked(&[id])
        .await
        .expect("read the stock")
        .pop()
        .expect("the product is stored")
        .stock
}

fn counts(l: StockLedger) -> (u32, u32, u32, u32) {
    (l.total(), l.available(), l.held(), l.sold())
}

async fn search_ids<S: ShopStores>(
    store: &S,
    words: &[&str],
    after: Option<ProductId>,
    limit: u32,
) -> Vec<ProductId> {
    store
        .catalog()
        .search(&ProductSearch {
            words: words.iter().map(|w| (*w).to_owned()).collect(),
            after,
            limit,
        })
        .await
        .expect("search")
        .into_iter()
        .map(|p| p.product.id)
        .collect()
}

/// Every word must start a word of the name or description, in any case; archived products are
/// left out; pages run newest first and continue after the cursor.
pub async fn search_finds_active_products_by_every_word<S: ShopStores>(store: &S) {
    let tag = a_tag();
    let red_mug = a_stored_product(store, &format!("Red Mug {tag}"), "Ceramic, 300 ml", 0).await;
    let blue_mug = a_stored_product(store, &format!("Blue mug {tag}"), "Enamel", 0).await;
    let red_lamp = a_stored_product(
        store,
        &format!("Red lamp {tag}"),
        "Ceramic base; warm light",
        0,
    )
    .await;
    let mut archived = a_stored_product(store, &format!("Red mug {tag} old"), "", 0).await;
    archived.apply(
        ProductChanges {
            state: Some(ProductState::Archived),
            ..ProductChanges::default()
        },
        whole_second_now(),
    );
    assert!(store.products().update(&archived).await.expect("archive"));

    assert_eq!(
        search_ids(store, &[&tag, "mug"], None, 10).await,
        vec![blue_mug.id, red_mug.id]
    );
    assert_eq!(
        search_ids(store, &[&tag, "re"], None, 10).await,
        vec![red_lamp.id, red_mug.id],
        "a word matches as a prefix, whatever its case"
    );
    assert_eq!(
        search_ids(store, &[&tag, "ceramic"], None, 10).await,
        vec![red_lamp.id, red_mug.id],
        "descriptions are searched too"
    );
    assert_eq!(
        search_ids(store, &[&tag, "ml", "blue"], None, 10).await,
        vec![]
    );
    let first = search_ids(store, &[&tag], None, 2).await;
    assert_eq!(first, vec![red_lamp.id, blue_mug.id]);
    assert_eq!(
        search_ids(store, &[&tag], first.last().copied(), 2).await,
        vec![red_mug.id]
    );
    let everything = search_ids(store, &[], None, 1_000).await;
    assert!(everything.contains(&red_mug.id) && !everything.contains(&archived.id));
}

/// A new product's regular stock is empty; a set total keeps what buyers hold, a restock adds to
/// it, and a total below that is refused.
pub async fn regular_stock_is_set_and_restocked<S: ShopStores>(store: &S) {
    let product = a_stored_product(store, "Kettle", "", 0).await;
    assert_eq!(counts(stock_of(store, product.id).await), (0, 0, 0, 0));
    let catalog = store.catalog();
    let set = catalog
        .change_stock(product.id, StockChange::SetTotal(10))
        .await
        .expect("set");
    assert_eq!(counts(set), (10, 10, 0, 0));
    let buyer = a_stored_buyer(store).await;
    let now = whole_second_now();
    let order = an_order(buyer, &[(&product, 4)], now + Duration::minutes(10), now);
    assert_eq!(
        store
            .regular_orders()
            .place(&order, false)
            .await
            .expect("place"),
        PlaceOutcome::Placed
    );
    assert_eq!(
        catalog
            .change_stock(product.id, StockChange::SetTotal(3))
            .await,
        Err(ChangeStockError::Refused(StockError::BelowCommitted {
            committed: 4
        }))
    );
    let restocked = catalog
        .change_stock(product.id, StockChange::Restock(5))
        .await
        .expect("restock");
    assert_eq!(counts(restocked), (15, 11, 4, 0));
    assert_eq!(counts(stock_of(store, product.id).await), (15, 11, 4, 0));
    assert_eq!(
        catalog
            .change_stock(
                ProductId::from_uuid(Uuid::now_v7()),
                StockChange::Restock(1)
            )
            .await,
        Err(ChangeStockError::NotFound)
    );
}

/// Cart lines are set, replaced, removed and cleared per buyer.
pub async fn a_cart_keeps_its_buyers_lines<S: ShopStores>(store: &S) {
    let (buyer, other) = (a_stored_buyer(store).await, a_stored_buyer(store).await);
    let mug = a_stored_product(store, "Mug", "", 0).await;
    let lamp = a_stored_product(store, "Lamp", "", 0).await;
    let now = whole_second_now();
    let line = |product: &Product, n: u32, at: i64| CartLine {
        product_id: product.id,
        quantity: Quantity::new(n).expect("positive"),
        updated_at: now + Duration::seconds(at),
    };
    let carts = store.carts();
    carts.set_line(buyer, &line(&mug, 1, 0)).await.expect("set");
    carts
        .set_line(buyer, &line(&lamp, 2, 1))
        .await
        .expect("set");
    carts
        .set_line(buyer, &line(&mug, 3, 2))
        .await
        .expect("replace");
    carts.set_line(other, &line(&mug, 1, 0)).await.expect("set");
    assert_eq!(
        carts.lines(buyer).await.expect("lines"),
        vec![line(&lamp, 2, 1), line(&mug, 3, 2)]
    );
    assert!(carts.remove_line(buyer, lamp.id).await.expect("remove"));
    assert!(!carts.remove_line(buyer, lamp.id).await.expect("remove"));
    carts.clear(buyer).await.expect("clear");
    assert_eq!(carts.lines(buyer).await.expect("lines"), vec![]);
    assert_eq!(carts.lines(other).await.expect("lines").len(), 1);
}

/// Placing an order holds every line's stock, keeps the prices it was placed with, and takes
/// the ordered products out of the cart (only them).
pub async fn placing_an_order_holds_its_stock_and_empties_the_cart<S: ShopStores>(store: &S) {
    let buyer = a_stored_buyer(store).await;
    let mug = a_stored_product(store, "Mug", "", 5).await;
    let lamp = a_stored_product(store, "Lamp", "", 5).await;
    let kept = a_stored_product(store, "Vase", "", 5).await;
    let now = whole_second_now();
    for product in [&mug, &lamp, &kept] {
        store
            .carts()
            .set_line(
                buyer,
                &CartLine {
                    product_id: product.id,
                    quantity: Quantity::ONE,
                    updated_at: now,
                },
            )
            .await
            .expect("set");
    }
    let order = an_order(
        buyer,
        &[(&mug, 2), (&lamp, 1)],
        now + Duration::minutes(10),
        now,
    );
    let orders = store.regular_orders();
    assert_eq!(
        orders.place(&order, true).await.expect("place"),
        PlaceOutcome::Placed
    );
    assert_eq!(counts(stock_of(store, mug.id).await), (5, 3, 2, 0));
    assert_eq!(counts(stock_of(store, lamp.id).await), (5, 4, 1, 0));
    assert_eq!(
        orders.by_id(order.id).await.expect("read"),
        Some(order.clone())
    );
    assert_eq!(
        orders.for_buyer(buyer, 10, 0).await.expect("list"),
        vec![order]
    );
    let left: Vec<_> = store
        .carts()
        .lines(buyer)
        .await
        .expect("lines")
        .into_iter()
        .map(|l| l.product_id)
        .collect();
    assert_eq!(left, vec![kept.id]);
}

/// An order one line of which is short places nothing and moves no stock.
pub async fn an_order_short_of_stock_places_nothing<S: ShopStores>(store: &S) {
    let buyer = a_stored_buyer(store).await;
    let plenty = a_stored_product(store, "Mug", "", 5).await;
    let scarce = a_stored_product(store, "Lamp", "", 1).await;
    let now = whole_second_now();
    let order = an_order(
        buyer,
        &[(&plenty, 2), (&scarce, 2)],
        now + Duration::minutes(10),
        now,
    );
    assert_eq!(
        store
            .regular_orders()
            .place(&order, false)
            .await
            .expect("place"),
        PlaceOutcome::Short {
            product_id: scarce.id,
            available: 1
        }
    );
    assert_eq!(counts(stock_of(store, plenty.id).await), (5, 5, 0, 0));
    assert_eq!(counts(stock_of(store, scarce.id).await), (1, 1, 0, 0));
    assert_eq!(
        store.regular_orders().by_id(order.id).await.expect("read"),
        None
    );
}

/// Payment sells the stock once and only before the deadline; a cancellation returns it and
/// waits in the outbox until released; totals count items by where their orders are.
pub async fn paying_and_cancelling_move_regular_stock_once<S: ShopStores>(store: &S) {
    let buyer = a_stored_buyer(store).await;
    let mug = a_stored_product(store, "Mug", "", 10).await;
    let now = whole_second_now();
    let deadline = now + Duration::minutes(10);
    let orders = store.regular_orders();
    let paid = an_order(buyer, &[(&mug, 2)], deadline, now);
    let withdrawn = an_order(buyer, &[(&mug, 3)], deadline, now);
    let pending = an_order(buyer, &[(&mug, 1)], deadline, now);
    for order in [&paid, &withdrawn, &pending] {
        assert_eq!(
            orders.place(order, false).await.expect("place"),
            PlaceOutcome::Placed
        );
    }
    assert!(matches!(
        orders.pay(paid.id, "ch_late", deadline).await.expect("pay"),
        MoveOutcome::Refused(o) if o.status == OrderStatus::PendingPayment
    ));
    let MoveOutcome::Moved(done) = orders.pay(paid.id, "ch_1", now).await.expect("pay") else {
        panic!("a pending order is paid before its deadline");
    };
    assert_eq!(
        (done.status, done.payment_ref.as_deref()),
        (OrderStatus::Paid, Some("ch_1"))
    );
    assert!(matches!(
        orders.pay(paid.id, "ch_2", now).await.expect("pay"),
        MoveOutcome::Refused(o) if o.payment_ref.as_deref() == Some("ch_1")
    ));
    let MoveOutcome::Moved(cancelled) = orders
        .cancel(withdrawn.id, CancelReason::ByBuyer, now)
        .await
        .expect("cancel")
    else {
        panic!("a pending order is cancelled");
    };
    assert_eq!(
        cancelled.status,
        OrderStatus::Cancelled(CancelReason::ByBuyer)
    );
    assert!(matches!(
        orders.cancel(paid.id, CancelReason::ByBuyer, now).await.expect("cancel"),
        MoveOutcome::Refused(o) if o.status == OrderStatus::Paid
    ));
    assert_eq!(
        orders
            .cancel(
                OrderId::from_uuid(Uuid::now_v7()),
                CancelReason::ByBuyer,
                now
            )
            .await
            .expect("cancel"),
        MoveOutcome::Missing
    );
    assert_eq!(counts(stock_of(store, mug.id).await), (10, 7, 1, 2));
    assert_eq!(
        orders.totals(mug.id).await.expect("totals"),
        RegularTotals {
            pending_items: 1,
            paid_items: 2
        }
    );
    let waiting: Vec<_> = orders
        .unreleased(1_000)
        .await
        .expect("outbox")
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert!(waiting.contains(&withdrawn.id) && !waiting.contains(&paid.id));
    orders
        .mark_released(&[withdrawn.id, paid.id], now)
        .await
        .expect("release");
    let waiting = orders.unreleased(1_000).await.expect("outbox");
    assert!(waiting.iter().all(|o| o.id != withdrawn.id));
    let figures = orders.figures().await.expect("figures");
    assert!(figures.paid >= 1 && figures.pending >= 1 && figures.cancelled >= 1);
    assert!(figures.items_sold >= 2);
}

/// Expiry takes due pending orders only, and their stock goes back.
pub async fn expiry_takes_only_due_regular_orders<S: ShopStores>(store: &S) {
    let buyer = a_stored_buyer(store).await;
    let mug = a_stored_product(store, "Mug", "", 10).await;
    let now = whole_second_now();
    let orders = store.regular_orders();
    let due = an_order(
        buyer,
        &[(&mug, 2)],
        now - Duration::days(3650),
        now - Duration::days(3651),
    );
    let later = an_order(buyer, &[(&mug, 1)], now + Duration::minutes(10), now);
    for order in [&due, &later] {
        assert_eq!(
            orders.place(order, false).await.expect("place"),
            PlaceOutcome::Placed
        );
    }
    let expired = orders
        .expire_due(now - Duration::days(3649), 100)
        .await
        .expect("expire");
    let ids: Vec<_> = expired.iter().map(|o| o.id).collect();
    assert!(ids.contains(&due.id) && !ids.contains(&later.id));
    assert!(
        expired
            .iter()
            .all(|o| o.status == OrderStatus::Cancelled(CancelReason::Expired))
    );
    assert_eq!(counts(stock_of(store, mug.id).await), (10, 9, 1, 0));
    assert_eq!(
        orders
            .cancel(later.id, CancelReason::Expired, now)
            .await
            .expect("early expiry"),
        MoveOutcome::Refused(later.clone())
    );
}

/// Checkouts racing for the last items on two nodes: exactly the stock is placed, the rest are
/// short, and the ledger still adds up.
pub async fn concurrent_checkouts_never_oversell<S: ShopStores, T: SpawnOrderCall>(
    store: &S,
    tasks: &T,
) {
    const STOCK: u32 = 10;
    const BUYERS: usize = 30;
    let mug = a_stored_product(store, "Mug", "", STOCK).await;
    let other = a_stored_product(store, "Lamp", "", 100).await;
    let nodes = [store.regular_orders().clone(), store.another_node().await];
    let now = whole_second_now();
    let mut running = Vec::new();
    for n in 0..BUYERS {
        let buyer = a_stored_buyer(store).await;
        let order = an_order(
            buyer,
            &[(&mug, 1), (&other, 1)],
            now + Duration::minutes(10),
            now,
        );
        let node = nodes[n % 2].clone();
        running.push(tasks.spawn(Box::pin(async move { node.place(&order, false).await })));
    }
    let mut placed = 0;
    for call in running {
        let outcome: OrderOutcome<PlaceOutcome> = call.await;
        match outcome.expect("a checkout is decided") {
            PlaceOutcome::Placed => placed += 1,
            PlaceOutcome::Short { product_id, .. } => assert_eq!(product_id, mug.id),
        }
    }
    assert_eq!(placed, STOCK);
    assert_eq!(counts(stock_of(store, mug.id).await), (STOCK, 0, STOCK, 0));
    assert_eq!(counts(stock_of(store, other.id).await), (100, 90, 10, 0));
}

/// Expands to one `#[tokio::test]` per shop check, each on a fresh store from `$open` (a future
/// of a [`ShopStores`] value).
#[macro_export]
macro_rules! shop_contract {
    ($open:expr) => {
        $crate::shop_contract!(@check $open, search_finds_active_products_by_every_word);
        $crate::shop_contract!(@check $open, regular_stock_is_set_and_restocked);
        $crate::shop_contract!(@check $open, a_cart_keeps_its_buyers_lines);
        $crate::shop_contract!(@check $open, placing_an_order_holds_its_stock_and_empties_the_cart);
        $crate::shop_contract!(@check $open, an_order_short_of_stock_places_nothing);
        $crate::shop_contract!(@check $open, paying_and_cancelling_move_regular_stock_once);
        $crate::shop_contract!(@check $open, expiry_takes_only_due_regular_orders);

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_checkouts_never_oversell() {
            struct TokioTasks;
            impl $crate::SpawnOrderCall for TokioTasks {
                fn spawn<T: Send + 'static>(
                    &self,
                    call: $crate::OrderCall<T>,
                ) -> impl ::std::future::Future<Output = $crate::OrderOutcome<T>> + Send {
                    let task = ::tokio::spawn(call);
                    async move {
                        match task.await {
                            Ok(outcome) => outcome,
                            Err(failed) => panic!("a checkout did not finish: {failed}"),
                        }
                    }
                }
            }
            let store = $open.await;
            $crate::concurrent_checkouts_never_oversell(&store, &TokioTasks).await;
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
