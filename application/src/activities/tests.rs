use std::sync::Arc;

use chrono::Duration;
use seckiller_domain::ports::{MockActivityRepository, StockGate, StorageError};
use seckiller_domain::{
    Currency, Description, Money, Name, NewProduct, PaymentWindow, ProductId, Quantity, Role,
    SaleWindow, UserId,
};
use uuid::Uuid;

use super::*;
use crate::catalog::Catalog;
use crate::testing::{TestAdapters, t0};
use crate::{Admin, Caller};

fn admin() -> Admin {
    Caller {
        user_id: UserId::from_uuid(Uuid::now_v7()),
        role: Role::Admin,
    }
    .admin()
    .unwrap()
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("USD").unwrap()).unwrap()
}

struct Fixture {
    adapters: Arc<TestAdapters>,
    activities: Activities<TestAdapters>,
    product: ProductId,
}

async fn fixture() -> Fixture {
    let adapters = Arc::new(TestAdapters::memory());
    let catalog = Catalog::new(adapters.clone());
    let product = catalog
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
    Fixture {
        activities: Activities::new(adapters.clone()),
        adapters,
        product: product.id,
    }
}

fn sale(product: ProductId, start_in: i64, length: i64) -> NewActivity {
    NewActivity {
        product_id: product,
        title: Name::parse("Sale").unwrap(),
        sale_price: usd(100),
        total_stock: Quantity::new(10).unwrap(),
        per_user_limit: Quantity::ONE,
        window: SaleWindow::new(
            t0() + Duration::seconds(start_in),
            t0() + Duration::seconds(start_in + length),
        )
        .unwrap(),
        payment_window: PaymentWindow::DEFAULT,
    }
}

#[tokio::test]
async fn a_planned_sale_is_a_hidden_draft_until_published() {
    let f = fixture().await;
    let draft = f
        .activities
        .create(&admin(), sale(f.product, 60, 60))
        .await
        .unwrap();
    assert_eq!(draft.phase, Phase::Draft);
    assert_eq!(draft.stock.available(), 10);
    assert_eq!(
        f.activities.get(draft.activity.id).await,
        Err(GetActivityError::NotFound)
    );
    assert!(
        f.activities
            .list(None, None, 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.activities
            .list(Some(&admin()), None, 10, 0)
            .await
            .unwrap()
            .len(),
        1
    );

    let published = f
        .activities
        .publish(&admin(), draft.activity.id)
        .await
        .unwrap();
    assert_eq!(published.phase, Phase::Upcoming);
    // Its stock is in the gate before its first buyer, whenever the preheater comes by.
    assert_eq!(
        f.adapters.gate.available(draft.activity.id).await.unwrap(),
        Some(10)
    );
    assert_eq!(
        f.activities.get(draft.activity.id).await.unwrap().phase,
        Phase::Upcoming
    );
    f.adapters.clock.advance(Duration::seconds(60));
    assert_eq!(
        f.activities.get(draft.activity.id).await.unwrap().phase,
        Phase::Open
    );
    f.adapters.clock.advance(Duration::seconds(60));
    assert_eq!(
        f.activities.get(draft.activity.id).await.unwrap().phase,
        Phase::Ended
    );
}

#[tokio::test]
async fn a_sale_of_an_unknown_product_or_in_another_currency_is_refused() {
    let f = fixture().await;
    let unknown = sale(ProductId::from_uuid(Uuid::now_v7()), 60, 60);
    assert_eq!(
        f.activities.create(&admin(), unknown).await,
        Err(CreateActivityError::ProductNotFound)
    );
    let mut euros = sale(f.product, 60, 60);
    euros.sale_price = Money::new(100, Currency::parse("EUR").unwrap()).unwrap();
    assert_eq!(
        f.activities.create(&admin(), euros).await,
        Err(CreateActivityError::CurrencyMismatch {
            product: "USD".into()
        })
    );
    assert!(
        f.activities
            .list(Some(&admin()), None, 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn editing_stock_before_the_start_resizes_the_ledger_and_is_refused_after() {
    let f = fixture().await;
    let id = f
        .activities
        .create(&admin(), sale(f.product, 60, 60))
        .await
        .unwrap()
        .activity
        .id;
    f.activities.publish(&admin(), id).await.unwrap();
    let more = ActivityChanges {
        total_stock: Some(Quantity::new(25).unwrap()),
        ..Default::default()
    };
    let edited = f.activities.edit(&admin(), id, more.clone()).await.unwrap();
    assert_eq!(
        (edited.activity.total_stock.get(), edited.stock.available()),
        (25, 25)
    );
    f.adapters.clock.advance(Duration::seconds(60));
    assert_eq!(
        f.activities.edit(&admin(), id, more).await,
        Err(ChangeActivityError::Rule(ActivityError::AlreadyStarted))
    );
}

#[tokio::test]
async fn a_price_edit_must_keep_the_product_currency() {
    let f = fixture().await;
    let id = f
        .activities
        .create(&admin(), sale(f.product, 60, 60))
        .await
        .unwrap()
        .activity
        .id;
    let euros = ActivityChanges {
        sale_price: Some(Money::new(5, Currency::parse("EUR").unwrap()).unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        f.activities.edit(&admin(), id, euros).await,
        Err(ChangeActivityError::CurrencyMismatch { .. })
    ));
    assert_eq!(
        f.activities
            .get_any(&admin(), id)
            .await
            .unwrap()
            .activity
            .sale_price,
        usd(100)
    );
}

#[tokio::test]
async fn the_list_filters_by_phase() {
    let f = fixture().await;
    for start_in in [0, 600] {
        let id = f
            .activities
            .create(&admin(), sale(f.product, start_in, 60))
            .await
            .unwrap()
            .activity
            .id;
        f.activities.publish(&admin(), id).await.unwrap();
    }
    let open = f
        .activities
        .list(None, Some(Phase::Open), 10, 0)
        .await
        .unwrap();
    let upcoming = f
        .activities
        .list(None, Some(Phase::Upcoming), 10, 0)
        .await
        .unwrap();
    assert_eq!((open.len(), upcoming.len()), (1, 1));
    assert!(
        f.activities
            .list(None, Some(Phase::Ended), 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn publishing_twice_and_cancelling_twice_are_refused() {
    let f = fixture().await;
    let id = f
        .activities
        .create(&admin(), sale(f.product, 60, 60))
        .await
        .unwrap()
        .activity
        .id;
    f.activities.publish(&admin(), id).await.unwrap();
    assert_eq!(
        f.activities.publish(&admin(), id).await,
        Err(ChangeActivityError::Rule(ActivityError::AlreadyPublished))
    );
    assert_eq!(
        f.activities.cancel(&admin(), id).await.unwrap().phase,
        Phase::Cancelled
    );
    assert_eq!(
        f.activities.cancel(&admin(), id).await,
        Err(ChangeActivityError::Rule(ActivityError::Cancelled))
    );
    let unknown = ActivityId::from_uuid(Uuid::now_v7());
    assert_eq!(
        f.activities.publish(&admin(), unknown).await,
        Err(ChangeActivityError::NotFound)
    );
}

#[tokio::test]
async fn a_concurrent_edit_is_reported_as_a_conflict() {
    let f = fixture().await;
    let created = f
        .activities
        .create(&admin(), sale(f.product, 60, 60))
        .await
        .unwrap();
    let mut activities = MockActivityRepository::new();
    let stored = ActivityRecord {
        activity: created.activity.clone(),
        stock: created.stock,
    };
    activities.expect_by_id().returning(move |_| {
        let r = stored.clone();
        Box::pin(async move { Ok(Some(r)) })
    });
    activities
        .expect_update()
        .returning(|_, _| Box::pin(async { Err(UpdateActivityError::Conflict) }));
    let adapters = Arc::new((*f.adapters).clone().with_activities(activities));
    let service = Activities::new(adapters);
    assert_eq!(
        service.publish(&admin(), created.activity.id).await,
        Err(ChangeActivityError::Conflict)
    );
}

#[tokio::test]
async fn a_storage_failure_is_unavailable_not_not_found() {
    let mut activities = MockActivityRepository::new();
    activities
        .expect_by_id()
        .returning(|_| Box::pin(async { Err(StorageError::from("down".to_owned())) }));
    let adapters = TestAdapters::memory().with_activities(activities);
    let service = Activities::new(Arc::new(adapters));
    let id = ActivityId::from_uuid(Uuid::now_v7());
    assert!(matches!(
        service.get(id).await,
        Err(GetActivityError::Unavailable(_))
    ));
}

#[tokio::test]
async fn a_cached_detail_read_still_judges_the_phase_now_and_forgets_on_change() {
    let f = fixture().await;
    let cached = Activities::with_cache(f.adapters.clone(), std::time::Duration::from_secs(60));
    let id = cached
        .create(&admin(), sale(f.product, 60, 60))
        .await
        .unwrap()
        .activity
        .id;
    cached.publish(&admin(), id).await.unwrap();
    assert_eq!(cached.get(id).await.unwrap().phase, Phase::Upcoming);

    // Storage changes behind the service's back: the cached copy is served...
    let mut record = f.adapters.activities.by_id(id).await.unwrap().unwrap();
    let version = record.activity.version;
    record.activity.title = Name::parse("Changed elsewhere").unwrap();
    record.activity.version += 1;
    f.adapters
        .activities
        .update(&record.activity, version)
        .await
        .unwrap();
    assert_eq!(
        cached.get(id).await.unwrap().activity.title.as_str(),
        "Sale"
    );
    // ...but the phase is judged at each read.
    f.adapters.clock.advance(Duration::seconds(60));
    assert_eq!(cached.get(id).await.unwrap().phase, Phase::Open);

    // A change through the service drops the cached copy at once.
    f.adapters.clock.advance(Duration::seconds(-60));
    let changes = ActivityChanges {
        title: Some(Name::parse("Edited").unwrap()),
        ..Default::default()
    };
    cached.edit(&admin(), id, changes).await.unwrap();
    assert_eq!(
        cached.get(id).await.unwrap().activity.title.as_str(),
        "Edited"
    );
}

#[tokio::test]
async fn a_sale_price_must_be_below_the_products_price_on_create_and_on_edit() {
    let f = fixture().await;
    for price in [1000, 1001] {
        let mut dear = sale(f.product, 60, 60);
        dear.sale_price = usd(price);
        assert_eq!(
            f.activities.create(&admin(), dear).await,
            Err(CreateActivityError::PriceNotBelowProduct {
                product_minor: 1000
            }),
            "a sale price of {price}"
        );
    }
    let mut free = sale(f.product, 60, 60);
    free.sale_price = usd(0);
    assert_eq!(
        f.activities.create(&admin(), free).await,
        Err(CreateActivityError::Rule(ActivityError::FreeSale))
    );
    let mut cheapest = sale(f.product, 60, 60);
    cheapest.sale_price = usd(999);
    let id = f
        .activities
        .create(&admin(), cheapest)
        .await
        .unwrap()
        .activity
        .id;
    let at_full_price = ActivityChanges {
        sale_price: Some(usd(1000)),
        ..Default::default()
    };
    assert_eq!(
        f.activities.edit(&admin(), id, at_full_price).await,
        Err(ChangeActivityError::PriceNotBelowProduct {
            product_minor: 1000
        })
    );
    let free = ActivityChanges {
        sale_price: Some(usd(0)),
        ..Default::default()
    };
    assert_eq!(
        f.activities.edit(&admin(), id, free).await,
        Err(ChangeActivityError::Rule(ActivityError::FreeSale))
    );
    let sale_price = f.activities.get_any(&admin(), id).await.unwrap();
    assert_eq!(sale_price.activity.sale_price, usd(999));
}
