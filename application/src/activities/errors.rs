//! The failures of each activity operation, one enum per operation family.

use seckiller_domain::ActivityError;

use crate::Unavailable;
use crate::unavailable::unavailable_from_ports;

/// Why a sale could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateActivityError {
    /// The product does not exist.
    #[error("no such product")]
    ProductNotFound,
    /// The sale price is in another currency than the product's price.
    #[error("the sale price must be in the product's currency ({product})")]
    CurrencyMismatch {
        /// The product's currency.
        product: String,
    },
    /// The sale price is not below the product's regular price: no discount, no flash sale.
    #[error("the sale price must be below the product's price ({product_minor} minor units)")]
    PriceNotBelowProduct {
        /// The product's regular price, in minor units.
        product_minor: i64,
    },
    /// A rule of the activity refused it.
    #[error(transparent)]
    Rule(#[from] ActivityError),
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(CreateActivityError);

/// Why an edit, publication or cancellation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeActivityError {
    /// No activity has that id.
    #[error("no such activity")]
    NotFound,
    /// The product behind the activity is gone.
    #[error("no such product")]
    ProductNotFound,
    /// The new sale price is in another currency than the product's price.
    #[error("the sale price must be in the product's currency ({product})")]
    CurrencyMismatch {
        /// The product's currency.
        product: String,
    },
    /// The sale price is not below the product's regular price: no discount, no flash sale.
    #[error("the sale price must be below the product's price ({product_minor} minor units)")]
    PriceNotBelowProduct {
        /// The product's regular price, in minor units.
        product_minor: i64,
    },
    /// A rule of the activity refused it.
    #[error(transparent)]
    Rule(#[from] ActivityError),
    /// Another change was stored first; read again and retry.
    #[error("the activity was changed concurrently")]
    Conflict,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(ChangeActivityError);

impl ChangeActivityError {
    pub(super) fn from_create(e: CreateActivityError) -> Self {
        match e {
            CreateActivityError::ProductNotFound => Self::ProductNotFound,
            CreateActivityError::CurrencyMismatch { product } => Self::CurrencyMismatch { product },
            CreateActivityError::PriceNotBelowProduct { product_minor } => {
                Self::PriceNotBelowProduct { product_minor }
            }
            CreateActivityError::Rule(rule) => Self::Rule(rule),
            CreateActivityError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

/// Why an activity could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GetActivityError {
    /// No visible activity has that id.
    #[error("no such activity")]
    NotFound,
    /// A dependency failed.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}
unavailable_from_ports!(GetActivityError);
