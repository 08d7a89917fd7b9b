//! The demo sale: a fresh installation shows one open activity, so a new user sees the service
//! working before creating anything.

use chrono::Duration;
use seckiller_domain::ports::{Clock, ProductRepository};
use seckiller_domain::{
    Currency, Description, ImageUrl, Money, Name, NewActivity, NewProduct, PaymentWindow, Quantity,
    SaleWindow,
};

use crate::activities::{Activities, ActivityView, ChangeActivityError, CreateActivityError};
use crate::catalog::{Catalog, ProductError};
use crate::{Adapters, Admin, Unavailable};

/// Why the demo could not be seeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not seed the demo sale: {0}")]
pub struct SeedError(String);

impl From<Unavailable> for SeedError {
    fn from(e: Unavailable) -> Self {
        Self(seckiller_domain::ports::chain(&e).to_string())
    }
}
impl From<ProductError> for SeedError {
    fn from(e: ProductError) -> Self {
        Self(e.to_string())
    }
}
impl From<CreateActivityError> for SeedError {
    fn from(e: CreateActivityError) -> Self {
        Self(e.to_string())
    }
}
impl From<ChangeActivityError> for SeedError {
    fn from(e: ChangeActivityError) -> Self {
        Self(e.to_string())
    }
}

fn demo_product() -> Result<NewProduct, SeedError> {
    let bad = |e: &dyn std::fmt::Display| SeedError(e.to_string());
    Ok(NewProduct {
        name: Name::parse("SecKiller demo phone").map_err(|e| bad(&e))?,
        description: Description::parse("A phone on sale to show how a flash sale looks. Buy one!")
            .map_err(|e| bad(&e))?,
        image_url: Some(
            ImageUrl::parse("https://picsum.photos/seed/seckiller/400/300").map_err(|e| bad(&e))?,
        ),
        price: Money::new(69_900, Currency::parse("USD").map_err(|e| bad(&e))?)
            .map_err(|e| bad(&e))?,
    })
}

/// Seeds a published demo sale (100 phones, one per buyer, open for a week from now) when the
/// catalogue is empty. Returns the new sale, or `None` when there was something already.
///
/// # Errors
/// [`SeedError`] when storage fails.
pub async fn seed_demo<A: Adapters>(
    adapters: &A,
    catalog: &Catalog<A>,
    activities: &Activities<A>,
) -> Result<Option<ActivityView>, SeedError> {
    if adapters
        .products()
        .count()
        .await
        .map_err(Unavailable::from)?
        > 0
    {
        return Ok(None);
    }
    let admin = Admin::system();
    let product = catalog.create(&admin, demo_product()?).await?;
    let now = adapters.clock().now();
    let bad = |e: &dyn std::fmt::Display| SeedError(e.to_string());
    let new = NewActivity {
        product_id: product.id,
        title: Name::parse("Demo flash sale: phone at 90% off").map_err(|e| bad(&e))?,
        sale_price: Money::new(6_990, product.price.currency()).map_err(|e| bad(&e))?,
        total_stock: Quantity::new(100).map_err(|e| bad(&e))?,
        per_user_limit: Quantity::ONE,
        window: SaleWindow::new(now, now + Duration::days(7)).map_err(|e| bad(&e))?,
        payment_window: PaymentWindow::DEFAULT,
    };
    let draft = activities.create(&admin, new).await?;
    Ok(Some(activities.publish(&admin, draft.activity.id).await?))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use seckiller_domain::Phase;

    use super::*;
    use crate::testing::TestAdapters;

    #[tokio::test]
    async fn an_empty_catalogue_gets_one_open_demo_sale_and_only_once() {
        let adapters = Arc::new(TestAdapters::memory());
        let catalog = Catalog::new(adapters.clone());
        let activities = Activities::new(adapters.clone());
        let seeded = seed_demo(adapters.as_ref(), &catalog, &activities)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seeded.phase, Phase::Open);
        assert_eq!(seeded.stock.available(), 100);
        assert_eq!(
            seed_demo(adapters.as_ref(), &catalog, &activities)
                .await
                .unwrap(),
            None
        );
        assert_eq!(activities.list(None, None, 10, 0).await.unwrap().len(), 1);
    }
}
