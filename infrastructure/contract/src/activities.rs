//! Activities and their ledgers: stored together, and overwritten only by whoever read the latest
//! version.

use chrono::Duration;
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, ProductRepository, UpdateActivityError,
};
use seckiller_domain::{
    ActivityChanges, Money, Name, PaymentWindow, ProductId, Quantity, StockLedger,
};
use uuid::Uuid;

use crate::fixtures::{a_product, an_activity, currency, whole_second_now};

/// Stores a product to sell; activities refer to one.
pub(crate) async fn a_stored_product<P: ProductRepository>(products: &P) -> ProductId {
    let product = a_product(whole_second_now());
    products
        .insert(&product)
        .await
        .expect("a new product is stored");
    product.id
}

/// Every field of an activity and all four counts of its ledger survive storage, and each
/// activity comes back with its own ledger.
pub async fn an_activity_and_its_ledger_round_trip<P, A>(products: &P, activities: &A)
where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let now = whole_second_now();
    let mut published = an_activity(product_id, now);
    // Microseconds are the finest precision every backend keeps.
    let published_at = now + Duration::seconds(5) + Duration::microseconds(123_456);
    published
        .activity
        .publish(published_at)
        .expect("a draft can be published");
    published.stock = StockLedger::from_counts(100, 61, 27, 12).expect("the counts add up");
    let draft = an_activity(product_id, now);
    activities
        .insert(&published)
        .await
        .expect("a new activity is stored");
    activities
        .insert(&draft)
        .await
        .expect("a new activity is stored");

    assert_eq!(
        activities
            .by_id(published.activity.id)
            .await
            .expect("lookup by id"),
        Some(published)
    );
    assert_eq!(
        activities
            .by_id(draft.activity.id)
            .await
            .expect("lookup by id"),
        Some(draft)
    );
}

/// An update with the current version replaces every field, and a new total resizes a ledger
/// that nothing was taken from.
pub async fn an_update_overwrites_the_activity_and_its_ledger<P, A>(products: &P, activities: &A)
where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let now = whole_second_now();
    let mut record = an_activity(product_id, now);
    activities
        .insert(&record)
        .await
        .expect("a new activity is stored");

    let read_version = record.activity.version;
    let later = now + Duration::seconds(10);
    record
        .activity
        .edit(
            ActivityChanges {
                title: Some(Name::parse("Phone X, last chance").expect("valid title")),
                sale_price: Some(Money::new(8_500, currency("CHF")).expect("valid price")),
                total_stock: Some(Quantity::new(40).expect("positive")),
                per_user_limit: Some(Quantity::new(1).expect("positive")),
                starts_at: Some(now + Duration::hours(3)),
                ends_at: Some(now + Duration::hours(5)),
                payment_window: Some(
                    PaymentWindow::from_seconds(120).expect("valid payment window"),
                ),
            },
            later,
        )
        .expect("a draft can be edited");
    record.stock.resize(40).expect("nothing is committed yet");
    activities
        .update(&record.activity, read_version)
        .await
        .expect("the version is current");

    assert_eq!(
        activities
            .by_id(record.activity.id)
            .await
            .expect("lookup by id"),
        Some(record)
    );
}

/// Two admins edit the same version: the second write is refused and the first one stands.
pub async fn a_stale_version_is_a_conflict<P, A>(products: &P, activities: &A)
where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let now = whole_second_now();
    let original = an_activity(product_id, now);
    activities
        .insert(&original)
        .await
        .expect("a new activity is stored");

    let retitle = |record: &ActivityRecord, title: &str| {
        let mut edited = record.clone();
        let changes = ActivityChanges {
            title: Some(Name::parse(title).expect("valid title")),
            ..Default::default()
        };
        edited
            .activity
            .edit(changes, now + Duration::seconds(1))
            .expect("a draft can be edited");
        edited
    };
    let first = retitle(&original, "First editor wins");
    let second = retitle(&original, "Second editor loses");

    activities
        .update(&first.activity, original.activity.version)
        .await
        .expect("the version is current");
    assert_eq!(
        activities
            .update(&second.activity, original.activity.version)
            .await,
        Err(UpdateActivityError::Conflict)
    );
    assert_eq!(
        activities
            .by_id(original.activity.id)
            .await
            .expect("lookup by id"),
        Some(first)
    );
}

/// Updating an activity that does not exist is a conflict and creates nothing.
pub async fn an_update_of_a_missing_activity_is_a_conflict<A: ActivityRepository>(activities: &A) {
    let ghost = an_activity(ProductId::from_uuid(Uuid::now_v7()), whole_second_now());
    assert_eq!(
        activities
            .update(&ghost.activity, ghost.activity.version)
            .await,
        Err(UpdateActivityError::Conflict)
    );
    assert_eq!(
        activities
            .by_id(ghost.activity.id)
            .await
            .expect("lookup by id"),
        None
    );
}

/// An admin's change (here: cancelling mid-sale) never writes back stale stock counts: the
/// movements stored meanwhile stand.
pub async fn an_update_keeps_the_stored_stock_movements<P, A>(products: &P, activities: &A)
where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let now = whole_second_now();
    let mut record = an_activity(product_id, now);
    record.stock = StockLedger::from_counts(100, 61, 27, 12).expect("the counts add up");
    activities
        .insert(&record)
        .await
        .expect("a new activity is stored");

    let read_version = record.activity.version;
    let mut stale = record.clone();
    stale.stock = StockLedger::new(100);
    stale
        .activity
        .cancel(now + Duration::seconds(1))
        .expect("a draft can be cancelled");
    activities
        .update(&stale.activity, read_version)
        .await
        .expect("the version is current");

    let stored = activities
        .by_id(record.activity.id)
        .await
        .expect("lookup by id")
        .expect("still stored");
    assert_eq!(stored.activity, stale.activity);
    assert_eq!(stored.stock, record.stock);
}

/// Once stock is held or sold the total cannot change: the update is a conflict and nothing
/// of it is written.
pub async fn the_total_cannot_change_once_stock_is_committed<P, A>(products: &P, activities: &A)
where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let now = whole_second_now();
    let mut record = an_activity(product_id, now);
    record.stock = StockLedger::from_counts(100, 99, 1, 0).expect("the counts add up");
    activities
        .insert(&record)
        .await
        .expect("a new activity is stored");

    let mut grown = record.clone();
    grown
        .activity
        .edit(
            ActivityChanges {
                total_stock: Some(Quantity::new(150).expect("positive")),
                ..Default::default()
            },
            now + Duration::seconds(1),
        )
        .expect("a draft can be edited");
    assert_eq!(
        activities
            .update(&grown.activity, record.activity.version)
            .await,
        Err(UpdateActivityError::Conflict)
    );
    assert_eq!(
        activities
            .by_id(record.activity.id)
            .await
            .expect("lookup by id"),
        Some(record)
    );
}

/// A product's live sales are its published activities whose window has not ended: not a draft,
/// not a cancelled one, not one that is over, not another product's.
pub async fn a_products_live_sales_are_its_published_unended_ones<P, A>(
    products: &P,
    activities: &A,
) where
    P: ProductRepository,
    A: ActivityRepository,
{
    let product_id = a_stored_product(products).await;
    let other_product = a_stored_product(products).await;
    let now = whole_second_now();
    let mut live = an_activity(product_id, now);
    live.activity
        .publish(now)
        .expect("a draft can be published");
    let draft = an_activity(product_id, now);
    let mut cancelled = an_activity(product_id, now);
    cancelled
        .activity
        .cancel(now)
        .expect("a draft can be called off");
    let mut elsewhere = an_activity(other_product, now);
    elsewhere
        .activity
        .publish(now)
        .expect("a draft can be published");
    for record in [&live, &draft, &cancelled, &elsewhere] {
        activities
            .insert(record)
            .await
            .expect("a new activity is stored");
    }
    assert_eq!(
        activities
            .live_sales_of(product_id, now)
            .await
            .expect("live sales"),
        vec![live.activity.clone()]
    );
    let over = live.activity.window.ends_at();
    assert_eq!(
        activities
            .live_sales_of(product_id, over)
            .await
            .expect("live sales"),
        vec![],
        "a sale is over at its end"
    );
}
