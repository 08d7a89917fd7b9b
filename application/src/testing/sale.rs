//! A running sale for use-case tests: a product, a published activity preheated into the gate,
//! and the services that act on it, all over one set of adapters.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use seckiller_domain::ports::OrderRepository;
use seckiller_domain::{
    ActivityId, Currency, Description, Money, Name, NewActivity, NewProduct, Order, PaymentWindow,
    PurchaseId, Quantity, Role, SaleWindow, UserId,
};
use uuid::Uuid;

use super::{TestAdapters, t0};
use crate::activities::Activities;
use crate::activity_cache::ActivityCache;
use crate::catalog::Catalog;
use crate::order_actions::OrderActions;
use crate::order_writer::OrderWriter;
use crate::preheat::Preheater;
use crate::purchases::{
    PurchaseAnswer, PurchaseError, PurchaseRequest, Purchases, keyed_purchase_id,
};
use crate::sold_out::SoldOutFlags;
use crate::stock_returns::StockReturns;
use crate::{Adapters, Admin, Caller};

pub fn admin() -> Admin {
    Caller {
        user_id: UserId::from_uuid(Uuid::now_v7()),
        role: Role::Admin,
    }
    .admin()
    .unwrap()
}

pub fn buyer() -> Caller {
    Caller {
        user_id: UserId::from_uuid(Uuid::now_v7()),
        role: Role::Buyer,
    }
}

pub fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("USD").unwrap()).unwrap()
}

pub struct Sale<A: Adapters> {
    pub adapters: Arc<A>,
    pub purchases: Purchases<A>,
    pub writer: OrderWriter<A>,
    pub actions: OrderActions<A>,
    pub returns: StockReturns<A>,
    pub activity: ActivityId,
}

/// A published sale of `stock` items, limit `limit`, opening `start_in` seconds after t0 and
/// lasting an hour, with the default payment window, preheated into the gate.
pub async fn sale_on<A: Adapters>(adapters: A, stock: u32, limit: u32, start_in: i64) -> Sale<A> {
    sale_with_window(adapters, stock, limit, start_in, PaymentWindow::DEFAULT).await
}

/// As [`sale_on`], with the given payment window.
pub async fn sale_with_window<A: Adapters>(
    adapters: A,
    stock: u32,
    limit: u32,
    start_in: i64,
    payment_window: PaymentWindow,
) -> Sale<A> {
    let adapters = Arc::new(adapters);
    let product = Catalog::new(adapters.clone())
        .create(
            &admin(),
            NewProduct {
                name: Name::parse("Phone").unwrap(),
                description: Description::default(),
                image_url: None,
                price: usd(1000),
            },
        )
        .await
        .unwrap();
    let activities = Activities::new(adapters.clone());
    let start = t0() + Duration::seconds(start_in);
    let draft = activities
        .create(
            &admin(),
            NewActivity {
                product_id: product.id,
                title: Name::parse("Sale").unwrap(),
                sale_price: usd(100),
                total_stock: Quantity::new(stock).unwrap(),
                per_user_limit: Quantity::new(limit).unwrap(),
                window: SaleWindow::new(start, start + Duration::hours(1)).unwrap(),
                payment_window,
            },
        )
        .await
        .unwrap();
    let activity = draft.activity.id;
    activities.publish(&admin(), activity).await.unwrap();
    Preheater::new(adapters.clone(), Duration::minutes(5))
        .run_once()
        .await
        .unwrap();
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
        activity,
    }
}

pub async fn sale(stock: u32, limit: u32) -> Sale<TestAdapters> {
    sale_on(TestAdapters::memory(), stock, limit, 0).await
}

impl<A: Adapters> Sale<A> {
    pub async fn attempt(
        &self,
        caller: &Caller,
        quantity: u32,
    ) -> Result<PurchaseId, PurchaseError> {
        self.buy(caller, quantity, None)
            .await
            .map(|answer| answer.id)
    }

    /// The purchase `key` names for `caller` in this sale.
    pub fn id_for(&self, caller: &Caller, key: &str) -> PurchaseId {
        keyed_purchase_id(caller.user_id, self.activity, key)
    }

    /// Buys one item for `caller` under the idempotency key `key`, with a fresh purchase token.
    pub async fn attempt_as(
        &self,
        caller: &Caller,
        key: &str,
    ) -> Result<PurchaseId, PurchaseError> {
        self.keyed(caller, key, 1).await.map(|answer| answer.id)
    }

    /// Buys `quantity` for `caller` under the idempotency key `key`, with a fresh purchase
    /// token, and tells what was answered.
    pub async fn keyed(
        &self,
        caller: &Caller,
        key: &str,
        quantity: u32,
    ) -> Result<PurchaseAnswer, PurchaseError> {
        self.buy(caller, quantity, Some(key.to_owned())).await
    }

    async fn buy(
        &self,
        caller: &Caller,
        quantity: u32,
        idempotency_key: Option<String>,
    ) -> Result<PurchaseAnswer, PurchaseError> {
        let token = self
            .purchases
            .request_token(caller, self.activity)
            .await
            .unwrap()
            .token;
        self.purchases
            .purchase(
                caller,
                PurchaseRequest {
                    activity_id: self.activity,
                    quantity: Quantity::new(quantity).unwrap(),
                    token,
                    idempotency_key,
                },
            )
            .await
    }

    /// Buys `quantity` for `caller` and writes the order.
    pub async fn order(&self, caller: &Caller, quantity: u32) -> Order {
        let id = self.attempt(caller, quantity).await.unwrap();
        self.written_order(id).await
    }

    /// Buys one item for `caller` under the idempotency key `key` and writes the order.
    pub async fn order_as(&self, caller: &Caller, key: &str) -> Order {
        let id = self.id_for(caller, key);
        assert_eq!(self.attempt_as(caller, key).await, Ok(id));
        self.written_order(id).await
    }

    /// Writes the orders of every queued purchase.
    pub async fn write_orders(&self) {
        self.writer
            .write_batch(100, StdDuration::ZERO)
            .await
            .unwrap();
    }

    pub async fn written_order(&self, id: PurchaseId) -> Order {
        self.write_orders().await;
        self.adapters
            .orders()
            .by_purchase(id)
            .await
            .unwrap()
            .unwrap()
    }
}
