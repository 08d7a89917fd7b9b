//! The catalogue: admins add and edit products; anyone may read them.

use std::sync::Arc;

use seckiller_domain::ports::{Clock, IdSource, ProductRepository};
use seckiller_domain::{NewProduct, Product, ProductChanges, ProductId};

use crate::unavailable::unavailable_from_ports;
use crate::{Adapters, Admin, Unavailable};

/// Why a product could not be read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// No product has that id.
    #[error("no such product")]
    NotFound,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(ProductError);

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

    /// Edits a product.
    ///
    /// # Errors
    /// [`ProductError::NotFound`], or `Unavailable` when storage fails.
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
        product.apply(changes, a.clock().now());
        if !a.products().update(&product).await? {
            return Err(ProductError::NotFound);
        }
        Ok(product)
    }

    /// Reads a product.
    ///
    /// # Errors
    /// [`ProductError::NotFound`], or `Unavailable` when storage fails.
    pub async fn get(&self, id: ProductId) -> Result<Product, ProductError> {
        self.adapters
            .products()
            .by_id(id)
            .await?
            .ok_or(ProductError::NotFound)
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
        assert_eq!(catalog.get(id).await, Err(ProductError::NotFound));
        assert_eq!(
            catalog.edit(&admin(), id, ProductChanges::default()).await,
            Err(ProductError::NotFound)
        );
    }
}
