//! `POST /admin/buyers`: buyer accounts in bulk, with tokens, for load tests and rehearsals.

use poem_openapi::OpenApi;
use poem_openapi::payload::Json;
use seckiller_application::Adapters;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, admin};
use crate::dto::{BulkBuyersDto, BulkBuyersRequest};
use crate::problem::ApiError;

created!(BuyersCreated, BulkBuyersDto);

/// Buyers in bulk for admins.
pub(crate) struct AdminBuyersApi<A: Adapters>(pub Services<A>);

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::Admin")]
impl<A: Adapters> AdminBuyersApi<A> {
    /// Create up to 1000 buyer accounts at once, each with a ready bearer token (for load tests:
    /// no password is hashed per buyer).
    #[oai(path = "/buyers", method = "post", operation_id = "createBuyers")]
    async fn create(
        &self,
        auth: BearerAuth,
        body: Json<BulkBuyersRequest>,
    ) -> Result<BuyersCreated, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let count = body.count()?;
        let buyers = self.0.accounts.create_buyers(&admin, count).await?;
        Ok(BuyersCreated::Created(Json(BulkBuyersDto {
            buyers: buyers.into_iter().map(Into::into).collect(),
        })))
    }
}
