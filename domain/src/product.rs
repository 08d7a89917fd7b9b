//! The catalogue item. It carries the regular price only: what a flash sale charges lives on the
//! activity, so editing a sale can never change the catalogue and the reverse ("price isolation").

use chrono::{DateTime, Utc};

use crate::ids::ProductId;
use crate::money::Money;
use crate::text::{Description, ImageUrl, Name};

/// What an admin supplies to add a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Display name.
    pub name: Name,
    /// Longer text shown on the sale page.
    pub description: Description,
    /// Optional picture.
    pub image_url: Option<ImageUrl>,
    /// The regular price.
    pub price: Money,
}

/// A partial edit; `None` leaves a field as it is. `image_url: Some(None)` removes the picture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductChanges {
    /// New name.
    pub name: Option<Name>,
    /// New description.
    pub description: Option<Description>,
    /// New picture, or `Some(None)` to remove it.
    pub image_url: Option<Option<ImageUrl>>,
    /// New regular price.
    pub price: Option<Money>,
}

/// A catalogue item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Its id.
    pub id: ProductId,
    /// Display name.
    pub name: Name,
    /// Longer text.
    pub description: Description,
    /// Optional picture.
    pub image_url: Option<ImageUrl>,
    /// The regular price.
    pub price: Money,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Product {
    /// A new catalogue item.
    pub fn create(id: ProductId, new: NewProduct, now: DateTime<Utc>) -> Self {
        Self {
            id,
            name: new.name,
            description: new.description,
            image_url: new.image_url,
            price: new.price,
            created_at: now,
            updated_at: now,
        }
    }

    /// Applies an edit. Catalogue edits are always allowed: running sales keep their own price.
    pub fn apply(&mut self, changes: ProductChanges, now: DateTime<Utc>) {
        if let Some(name) = changes.name {
            self.name = name;
        }
        if let Some(description) = changes.description {
            self.description = description;
        }
        if let Some(image_url) = changes.image_url {
            self.image_url = image_url;
        }
        if let Some(price) = changes.price {
            self.price = price;
        }
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use uuid::Uuid;

    #[test]
    fn an_edit_changes_only_what_it_names() {
        let now = Utc::now();
        let usd = Currency::parse("USD").unwrap();
        let mut product = Product::create(
            ProductId::from_uuid(Uuid::now_v7()),
            NewProduct {
                name: Name::parse("Phone").unwrap(),
                description: Description::parse("A phone").unwrap(),
                image_url: Some(ImageUrl::parse("https://x/p.png").unwrap()),
                price: Money::new(100, usd).unwrap(),
            },
            now,
        );
        let later = now + chrono::Duration::seconds(5);
        product.apply(
            ProductChanges {
                price: Some(Money::new(90, usd).unwrap()),
                image_url: Some(None),
                ..Default::default()
            },
            later,
        );
        assert_eq!(product.price.amount_minor(), 90);
        assert_eq!(product.image_url, None);
        assert_eq!(product.name.as_str(), "Phone");
        assert_eq!(product.updated_at, later);
        assert_eq!(product.created_at, now);
    }
}
