//! Catalogue items on the wire.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use seckiller_domain::{Description, ImageUrl, Name, NewProduct, Product, ProductChanges};
use uuid::Uuid;

use super::MoneyDto;
use super::wire::{DescriptionText, ImageUrlText, NameText, Text};
use crate::problem::ApiError;

fn name(text: &Text<NameText>) -> Result<Name, ApiError> {
    Name::parse(text.within_limit("name")?).map_err(|e| ApiError::invalid("name", e))
}

fn description(text: &Text<DescriptionText>) -> Result<Description, ApiError> {
    Description::parse(text.within_limit("description")?)
        .map_err(|e| ApiError::invalid("description", e))
}

fn image_url(text: &Text<ImageUrlText>) -> Result<ImageUrl, ApiError> {
    ImageUrl::parse(text.within_limit("image_url")?).map_err(|e| ApiError::invalid("image_url", e))
}

/// A new catalogue item.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ProductRequest {
    /// 1–120 characters.
    pub name: Text<NameText>,
    /// Up to 4,000 characters.
    pub description: Option<Text<DescriptionText>>,
    /// An http(s) link to a picture.
    pub image_url: Option<Text<ImageUrlText>>,
    /// The regular price.
    pub price: MoneyDto,
}

impl ProductRequest {
    /// The checked domain value.
    pub(crate) fn parse(&self) -> Result<NewProduct, ApiError> {
        Ok(NewProduct {
            name: name(&self.name)?,
            description: self
                .description
                .as_ref()
                .map(description)
                .transpose()?
                .unwrap_or_default(),
            image_url: self.image_url.as_ref().map(image_url).transpose()?,
            price: self.price.parse("price")?,
        })
    }
}

/// A partial edit of a catalogue item; absent fields stay, `image_url: null` removes the picture.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ProductPatch {
    /// New name.
    pub name: Option<Text<NameText>>,
    /// New description.
    pub description: Option<Text<DescriptionText>>,
    /// New picture link, or null to remove it.
    pub image_url: MaybeUndefined<Text<ImageUrlText>>,
    /// New regular price.
    pub price: Option<MoneyDto>,
}

impl ProductPatch {
    /// The checked domain value.
    pub(crate) fn parse(&self) -> Result<ProductChanges, ApiError> {
        Ok(ProductChanges {
            name: self.name.as_ref().map(name).transpose()?,
            description: self.description.as_ref().map(description).transpose()?,
            image_url: match &self.image_url {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(url) => Some(Some(image_url(url)?)),
            },
            price: self.price.as_ref().map(|p| p.parse("price")).transpose()?,
        })
    }
}

/// A catalogue item.
#[derive(Debug, Object)]
#[oai(rename = "Product")]
pub(crate) struct ProductDto {
    /// Product id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Longer text.
    pub description: String,
    /// Picture link.
    pub image_url: Option<String>,
    /// The regular price (a sale's price lives on its activity).
    pub price: MoneyDto,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Product> for ProductDto {
    fn from(p: Product) -> Self {
        Self {
            id: p.id.as_uuid(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            image_url: p.image_url.map(|u| u.as_str().to_owned()),
            price: p.price.into(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}
