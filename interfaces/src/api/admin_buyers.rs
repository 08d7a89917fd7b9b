//! `POST /admin/buyers`: buyer accounts in bulk, with tokens, for load tests and rehearsals.

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use seckiller_application::Adapters;
use seckiller_domain::IdempotencyScope;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, admin};
use crate::dto::{BulkBuyersDto, BulkBuyersRequest};
use crate::idempotency::{Idempotent, canonical, keyed};
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
        req: &Request,
        /// Create buyers safely again: a retry with the same key and body replays the first answer
        /// and creates no more buyers (the same tokens come back). The same key with another body or path answers 422
        /// `idempotency_key_reused`; while the first request still runs, 409
        /// `idempotency_key_in_use` with `Retry-After`. A 503 is not remembered.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<BuyersCreated>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let count = body.count()?;
        let scope = IdempotencyScope::caller(admin.user_id());
        keyed(
            &self.0.idempotency,
            req,
            idempotency_key.0,
            scope,
            canonical(&body.0),
        )?
        .run(|| async {
            let buyers = self.0.accounts.create_buyers(&admin, count).await?;
            Ok(BuyersCreated::Created(Json(BulkBuyersDto {
                buyers: buyers.into_iter().map(Into::into).collect(),
            })))
        })
        .await
    }
}
