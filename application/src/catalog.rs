//! The catalogue: admins add and edit products; anyone may read them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use seckiller_domain::ports::{ActivityRepository, Clock, IdSource, ProductRepository};
use seckiller_domain::{Money, NewProduct, Product, ProductChanges, ProductId};

use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Admin, Unavailable};

/// Why a product could not be read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// No product has that id.
    #[error("no such product")]
    NotFound,
    /// The edit would change the currency of a product on sale (published and not yet over),
    /// or lower its price to or below a sale's price: its sales were planned against them.
    #[error("{0}")]
    OnSale(String),
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(ProductError);

/// Why a product could not be read: a read never meets a sale's rules, so it has only these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductQueryError {
    /// No product has that id.
    #[error("no such product")]
    NotFound,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(ProductQueryError);

/// The catalogue use cases.
pub struct Catalog<A: Adapters> {
    adapters: Arc<A>,
}

impl<A: Adapters> Clone for Catalog<A> {
    fn clone(&self) -> Self {
        Self {
            adapters: self.adapters.clone(),
        }
    }
}

impl<A: Adapters> Catalog<A> {
    /// The catalogue over these adapters.
    pub fn new(adapters: Arc<A>) -> Self {
        Self { adapters }
    }

    /// Adds a product.
    ///
    /// # Errors
    /// `Unavailable` when storage fails.
    pub async fn create(&self, _admin: &Admin, new: NewProduct) -> Result<Product, ProductError> {
        let a = &self.adapters;
        let product = Product::create(
            ProductId::from_uuid(a.ids().next_id()),
            new,
            a.clock().now(),
        );
        a.products().insert(&product).await?;
        Ok(product)
    }

    /// Edits a product. While a sale of it is published and not yet over, its currency is
    /// frozen and its price must stay above every such sale's price. (Checked before the write,
    /// not with it: an admin publishing a sale in the same instant as another edits its product
    /// can slip between the two; the orders keep the price and currency they were made with.)
    ///
    /// # Errors
    /// [`ProductError::NotFound`], [`ProductError::OnSale`], or `Unavailable` when storage
    /// fails.
    pub async fn edit(
        &self,
        _admin: &Admin,
        id: ProductId,
        changes: ProductChanges,
    ) -> Result<Product, ProductError> {
        let a = &self.adapters;
        let mut product = a
            .products()
            .by_id(id)
            .await?
            .ok_or(ProductError::NotFound)?;
        let now = a.clock().now();
        if let Some(price) = changes.price {
            self.keep_live_sales_valid(id, product.price, price, now)
                .await?;
        }
        product.apply(changes, now);
        if !a.products().update(&product).await? {
            return Err(ProductError::NotFound);
        }
        Ok(product)
    }

    async fn keep_live_sales_valid(
        &self,
        id: ProductId,
        old: Money,
        new: Money,
        now: DateTime<Utc>,
    ) -> Result<(), ProductError> {
        let sales = self.adapters.activities().live_sales_of(id, now).await?;
        if sales.is_empty() {
            return Ok(());
        }
        if new.currency() != old.currency() {
            return Err(ProductError::OnSale(format!(
                "the product is on sale in {}; its currency cannot change until its sales are over",
                old.currency()
            )));
        }
        match sales.iter().map(|s| s.sale_price.amount_minor()).max() {
            Some(highest) if new.amount_minor() <= highest => Err(ProductError::OnSale(format!(
                "the product is on sale at {highest} minor units; its price must stay above that"
            ))),
            _ => Ok(()),
        }
    }

    /// Reads a product.
    ///
    /// # Errors
    /// [`ProductQueryError::NotFound`], or `Unavailable` when storage fails.
    pub async fn get(&self, id: ProductId) -> Result<Product, ProductQueryError> {
        self.adapters
            .products()
            .by_id(id)
            .await?
            .ok_or(ProductQueryError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use seckiller_domain::{Currency, Description, Money, Name, Role, UserId};
    use uuid::Uuid;

    use super::*;
    use crate::Caller;
    use crate::testing::TestAdapters;

    fn admin() -> Admin {
        Caller {
            user_id: UserId::from_uuid(Uuid::now_v7()),
            role: Role::Admin,
        }
        .admin()
        .unwrap()
    }

    fn new_product() -> NewProduct {
        NewProduct {
            name: Name::parse("Phone").unwrap(),
            description: Description::parse("").unwrap(),
            image_url: None,
            price: Money::new(50_000, Currency::parse("USD").unwrap()).unwrap(),
        }
    }

    #[tokio::test]
    async fn a_created_product_can_be_read_and_edited() {
        let catalog = Catalog::new(Arc::new(TestAdapters::memory()));
        let product = catalog.create(&admin(), new_product()).await.unwrap();
        assert_eq!(catalog.get(product.id).await.unwrap(), product);
        let changes = ProductChanges {
            name: Some(Name::parse("Phone 2").unwrap()),
            ..Default::default()
        };
        let edited = catalog.edit(&admin(), product.id, changes).await.unwrap();
        assert_eq!(
            catalog.get(product.id).await.unwrap().name.as_str(),
            "Phone 2"
        );
        assert_eq!(edited.price, product.price);
    }

    #[tokio::test]
    async fn unknown_products_are_not_found() {
        let catalog = Catalog::new(Arc::new(TestAdapters::memory()));
        let id = ProductId::from_uuid(Uuid::now_v7());
        assert_eq!(catalog.get(id).await, Err(ProductQueryError::NotFound));
        assert_eq!(
            catalog.edit(&admin(), id, ProductChanges::default()).await,
            Err(ProductError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_product_on_sale_keeps_its_currency_and_a_price_above_its_sales() {
        use seckiller_domain::ports::ActivityRepository;
        let sale = crate::testing::sale(10, 1).await;
        let record = sale.adapters.activities().by_id(sale.activity).await;
        let product = record.unwrap().unwrap().activity.product_id;
        let catalog = Catalog::new(sale.adapters.clone());
        let priced = |minor, code| ProductChanges {
            price: Some(Money::new(minor, Currency::parse(code).unwrap()).unwrap()),
            ..Default::default()
        };
        for refused in [priced(1000, "EUR"), priced(100, "USD"), priced(50, "USD")] {
            assert!(matches!(
                catalog.edit(&admin(), product, refused).await,
                Err(ProductError::OnSale(_))
            ));
        }
        assert_eq!(
            catalog.get(product).await.unwrap().price.amount_minor(),
            1000
        );
        let edited = catalog.edit(&admin(), product, priced(101, "USD")).await;
        assert_eq!(edited.unwrap().price.amount_minor(), 101);
        // Once the sale is over the product is free again.
        sale.adapters.clock.advance(chrono::Duration::hours(2));
        let edited = catalog.edit(&admin(), product, priced(900, "EUR")).await;
        assert_eq!(edited.unwrap().price.currency().as_str(), "EUR");
    }
}
