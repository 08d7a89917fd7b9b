//! The catalogue in the `products` table.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use seckiller_domain::ports::{ProductRepository, StorageError};
use seckiller_domain::{Currency, Description, ImageUrl, Money, Name, Product, ProductId};

use crate::database::Database;
use crate::entities::{product, stored};
use crate::error::{corrupt, storage};

/// [`ProductRepository`] over sea-orm, for Postgres and SQLite alike.
#[derive(Debug, Clone)]
pub struct SeaProductRepository {
    db: Database,
}

impl SeaProductRepository {
    /// The catalogue stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

impl ProductRepository for SeaProductRepository {
    async fn insert(&self, product: &Product) -> Result<(), StorageError> {
        product::Entity::insert(to_row(product))
            .exec_without_returning(self.db.connection())
            .await
            .map(drop)
            .map_err(storage)
    }

    async fn update(&self, product: &Product) -> Result<bool, StorageError> {
        let result = product::Entity::update_many()
            .set(to_row(product))
            .filter(product::Column::Id.eq(product.id.as_uuid()))
            .exec(self.db.connection())
            .await
            .map_err(storage)?;
        Ok(result.rows_affected > 0)
    }

    async fn by_id(&self, id: ProductId) -> Result<Option<Product>, StorageError> {
        let row = product::Entity::find_by_id(id.as_uuid())
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        row.map(to_product).transpose()
    }

    async fn count(&self) -> Result<u64, StorageError> {
        product::Entity::find()
            .count(self.db.connection())
            .await
            .map_err(storage)
    }
}

fn to_row(product: &Product) -> product::ActiveModel {
    product::ActiveModel {
        id: Set(product.id.as_uuid()),
        name: Set(product.name.as_str().to_owned()),
        description: Set(product.description.as_str().to_owned()),
        image_url: Set(product
            .image_url
            .as_ref()
            .map(|url| url.as_str().to_owned())),
        price_minor: Set(product.price.amount_minor()),
        currency: Set(product.price.currency().as_str().to_owned()),
        created_at: Set(stored(product.created_at)),
        updated_at: Set(stored(product.updated_at)),
    }
}

fn to_product(row: product::Model) -> Result<Product, StorageError> {
    let bad = |problem: String| corrupt("products", row.id, problem);
    let currency =
        Currency::from_stored(&row.currency).map_err(|e| bad(format!("currency: {e}")))?;
    Ok(Product {
        id: ProductId::from_uuid(row.id),
        name: Name::parse(&row.name).map_err(|e| bad(format!("name: {e}")))?,
        description: Description::parse(&row.description)
            .map_err(|e| bad(format!("description: {e}")))?,
        image_url: row
            .image_url
            .as_deref()
            .map(ImageUrl::parse)
            .transpose()
            .map_err(|e| bad(format!("image url: {e}")))?,
        price: Money::new(row.price_minor, currency).map_err(|e| bad(format!("price: {e}")))?,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
