//! The JSON API under `/api/v1`, one module per resource family.

mod accounts;
mod activities;
mod admin_activities;
mod admin_buyers;
mod admin_rate_limits;
mod catalog;
mod orders;
mod purchases;

pub(crate) use accounts::AccountsApi;
pub(crate) use activities::ActivitiesApi;
pub(crate) use admin_activities::AdminActivitiesApi;
pub(crate) use admin_buyers::AdminBuyersApi;
pub(crate) use admin_rate_limits::AdminRateLimitsApi;
pub(crate) use catalog::CatalogApi;
pub(crate) use orders::OrdersApi;
pub(crate) use purchases::PurchasesApi;

use poem_openapi::Tags;

/// Groups of operations in the API documentation.
#[derive(Tags)]
pub(crate) enum ApiTags {
    /// Registering and signing in.
    Accounts,
    /// The product catalogue.
    Products,
    /// Flash sales, as buyers see them, and buying in them.
    Activities,
    /// A buyer's orders.
    Orders,
    /// Running flash sales (admin role).
    Admin,
}

/// The page of a listing: 20 items unless asked otherwise (the use cases cap the size).
pub(crate) fn page(limit: Option<u32>, offset: Option<u32>) -> (u32, u32) {
    (limit.unwrap_or(20), offset.unwrap_or(0))
}

/// Declares a "201 Created" answer type carrying `$body`.
macro_rules! created {
    ($name:ident, $body:ty) => {
        #[derive(poem_openapi::ApiResponse)]
        pub(crate) enum $name {
            /// Created.
            #[oai(status = 201)]
            Created(poem_openapi::payload::Json<$body>),
        }
    };
}
pub(crate) use created;
