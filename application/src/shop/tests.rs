use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ports::{
    ProductRepository, RegularOrderRepository, ShopCatalog, StockChange,
};
use seckiller_domain::{
    Currency, Description, Money, Name, NewProduct, OrderStatus, Product, ProductChanges,
    ProductState, Quantity, RegularOrderError,
};

use super::*;
use crate::catalog::Catalog;
use crate::testing::{TestAdapters, admin, buyer};

struct World {
    adapters: Arc<TestAdapters>,
    shop: Shop<TestAdapters>,
}

fn world() -> World {
    let adapters = Arc::new(TestAdapters::memory());
    World {
        shop: Shop::new(adapters.clone(), DEFAULT_PAY_WINDOW),
        adapters,
    }
}

impl World {
    async fn product(&self, name: &str, price: i64, currency: &str, stock: u32) -> Product {
        let product = Catalog::new(self.adapters.clone())
            .create(
                &admin(),
                NewProduct {
                    name: Name::parse(name).unwrap(),
                    description: Description::parse("Stoneware, dishwasher safe").unwrap(),
                    image_url: None,
                    price: Money::new(price, Currency::parse(currency).unwrap()).unwrap(),
                },
            )
            .await
            .unwrap();
        self.adapters
            .catalog()
            .change_stock(product.id, StockChange::SetTotal(stock))
            .await
            .unwrap();
        product
    }

    async fn stock(&self, product: &Product) -> (u32, u32, u32) {
        let s = self
            .adapters
            .catalog()
            .stocked(&[product.id])
            .await
            .unwrap()[0]
            .stock;
        (s.available(), s.held(), s.sold())
    }
}

fn n(q: u32) -> Quantity {
    Quantity::new(q).unwrap()
}

#[test]
fn a_query_becomes_lower_case_words_and_long_ones_are_refused() {
    assert_eq!(
        parse_query(" Red-MUG, 300ml ").unwrap(),
        ["red", "mug", "300ml"]
    );
    assert!(parse_query("a b c d e f g h i").is_err());
    assert!(parse_query(&"x".repeat(65)).is_err());
}

#[tokio::test]
async fn browsing_finds_active_products_by_their_words() {
    let w = world();
    let mug = w.product("Blue mug", 1_200, "EUR", 3).await;
    w.product("Lamp", 5_000, "EUR", 3).await;
    let found = w.shop.browse("MUG stone", None, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].stocked.product.id, mug.id);
    assert_eq!(found[0].stocked.stock.available(), 3);
    assert_eq!(found[0].sale, None);
    assert!(matches!(
        w.shop.browse("", None, 0).await,
        Err(ShopQueryError::BadQuery(_))
    ));
}

#[tokio::test]
async fn a_cart_line_is_checked_against_the_product_and_its_stock() {
    let w = world();
    let me = buyer();
    let mug = w.product("Mug", 1_200, "EUR", 3).await;
    let lamp = w.product("Lamp", 500, "USD", 1).await;
    assert_eq!(
        w.shop.set_cart_line(&me, mug.id, n(4)).await,
        Err(CartError::NotEnoughStock { available: 3 })
    );
    assert!(matches!(
        w.shop.set_cart_line(&me, mug.id, n(21)).await,
        Err(CartError::TooMuch(_))
    ));
    w.shop.set_cart_line(&me, mug.id, n(2)).await.unwrap();
    let cart = w.shop.set_cart_line(&me, lamp.id, n(1)).await.unwrap();
    assert_eq!(cart.lines.len(), 2);
    assert_eq!(cart.lines[0].total_minor, 2_400);
    assert_eq!(cart.totals.len(), 2, "one total per currency");
    let mut archived = mug.clone();
    archived.apply(
        ProductChanges {
            state: Some(ProductState::Archived),
            ..ProductChanges::default()
        },
        archived.updated_at,
    );
    w.adapters.products().update(&archived).await.unwrap();
    assert_eq!(
        w.shop.set_cart_line(&me, mug.id, n(1)).await,
        Err(CartError::Archived)
    );
    assert!(!w.shop.cart(&me).await.unwrap().lines[0].orderable);
    assert!(w.shop.remove_cart_line(&me, lamp.id).await.unwrap());
    w.shop.clear_cart(&me).await.unwrap();
    assert!(w.shop.cart(&me).await.unwrap().lines.is_empty());
}

#[tokio::test]
async fn checkout_copies_todays_price_holds_the_stock_and_empties_the_cart() {
    let w = world();
    let me = buyer();
    let mug = w.product("Mug", 1_200, "EUR", 5).await;
    let lamp = w.product("Lamp", 300, "EUR", 5).await;
    w.shop.set_cart_line(&me, mug.id, n(2)).await.unwrap();
    w.shop.set_cart_line(&me, lamp.id, n(1)).await.unwrap();
    let order = w.shop.checkout(&me, None).await.unwrap();
    assert_eq!(order.total_minor(), 2_700);
    assert_eq!(order.status, OrderStatus::PendingPayment);
    assert_eq!(w.stock(&mug).await, (3, 2, 0));
    assert!(w.shop.cart(&me).await.unwrap().lines.is_empty());
    let mut dearer = mug.clone();
    dearer.price = Money::new(9_999, dearer.price.currency()).unwrap();
    w.adapters.products().update(&dearer).await.unwrap();
    let stored = w.shop.regular_order(&me, order.id).await.unwrap();
    assert_eq!(
        stored.total_minor(),
        2_700,
        "a later price edit changes nothing ordered"
    );
    assert_eq!(w.shop.checkout(&me, None).await, Err(CheckoutError::Empty));
}

#[tokio::test]
async fn checkout_refuses_two_currencies_and_short_stock_moving_nothing() {
    let w = world();
    let me = buyer();
    let mug = w.product("Mug", 1_200, "EUR", 5).await;
    let lamp = w.product("Lamp", 300, "USD", 1).await;
    let line = |p: &Product, q| CheckoutLine {
        product_id: p.id,
        quantity: n(q),
    };
    assert!(matches!(
        w.shop
            .checkout(&me, Some(vec![line(&mug, 1), line(&lamp, 1)]))
            .await,
        Err(CheckoutError::Lines(RegularOrderError::MixedCurrencies(
            _,
            _
        )))
    ));
    let scarce = w.product("Vase", 300, "EUR", 1).await;
    assert_eq!(
        w.shop
            .checkout(&me, Some(vec![line(&mug, 2), line(&scarce, 2)]))
            .await,
        Err(CheckoutError::OutOfStock {
            product_id: scarce.id,
            available: 1
        })
    );
    assert_eq!(w.stock(&mug).await, (5, 0, 0));
}

#[tokio::test]
async fn a_regular_order_pays_once_and_an_unpaid_one_expires_with_its_stock_back() {
    let w = world();
    let me = buyer();
    let mug = w.product("Mug", 1_200, "EUR", 5).await;
    let line = CheckoutLine {
        product_id: mug.id,
        quantity: n(2),
    };
    let paid = w.shop.checkout(&me, Some(vec![line])).await.unwrap();
    let unpaid = w.shop.checkout(&me, Some(vec![line])).await.unwrap();
    let done = w.shop.pay_regular(&me, paid.id).await.unwrap();
    assert_eq!(done.status, OrderStatus::Paid);
    assert_eq!(w.shop.pay_regular(&me, paid.id).await.unwrap(), done);
    assert_eq!(w.adapters.payments.charges(), 1);
    assert_eq!(
        w.shop.cancel_regular(&me, paid.id).await,
        Err(RegularOrderActionError::AlreadyPaid)
    );
    assert_eq!(
        w.shop.pay_regular(&buyer(), unpaid.id).await,
        Err(RegularOrderActionError::NotFound)
    );
    w.adapters
        .clock
        .advance(DEFAULT_PAY_WINDOW + Duration::seconds(1));
    let pass = release_regular_orders(w.adapters.as_ref(), 100)
        .await
        .unwrap();
    assert_eq!((pass.expired, pass.released), (1, 1));
    assert_eq!(w.stock(&mug).await, (3, 0, 2));
    assert_eq!(
        w.shop.pay_regular(&me, unpaid.id).await,
        Err(RegularOrderActionError::Expired)
    );
    assert_eq!(
        w.adapters.payments.charges(),
        1,
        "an expired order is not charged"
    );
    assert_eq!(w.shop.regular_orders(&me, 10, 0).await.unwrap().len(), 2);
    let figures = w.adapters.regular_orders().figures().await.unwrap();
    assert_eq!(
        (figures.paid, figures.expired, figures.items_sold),
        (1, 1, 2)
    );
}

#[tokio::test]
async fn a_cancelled_regular_order_returns_its_stock_at_once() {
    let w = world();
    let me = buyer();
    let mug = w.product("Mug", 1_200, "EUR", 5).await;
    let line = CheckoutLine {
        product_id: mug.id,
        quantity: n(3),
    };
    let order = w.shop.checkout(&me, Some(vec![line])).await.unwrap();
    let cancelled = w.shop.cancel_regular(&me, order.id).await.unwrap();
    assert!(matches!(cancelled.status, OrderStatus::Cancelled(_)));
    assert_eq!(
        w.shop.cancel_regular(&me, order.id).await.unwrap(),
        cancelled
    );
    assert_eq!(w.stock(&mug).await, (5, 0, 0));
    assert_eq!(
        w.shop.pay_regular(&me, order.id).await,
        Err(RegularOrderActionError::Cancelled)
    );
}
