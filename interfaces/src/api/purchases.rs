//! The hot path over HTTP: `POST /activities/{id}/purchase-tokens`,
//! `POST /activities/{id}/purchases`, and `GET /purchases/{id}` with long polling.

use std::time::Duration;

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use seckiller_application::Adapters;
use seckiller_application::purchases::{PurchaseRequest, PurchaseStatus};
use seckiller_domain::{ActivityId, PurchaseId};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, caller};
use crate::dto::{PurchaseDto, PurchaseRequestDto, PurchaseTokenDto};
use crate::problem::ApiError;

created!(TokenCreated, PurchaseTokenDto);

/// The longest a status request may wait for the order, in seconds.
const MAX_WAIT_SECONDS: u64 = 10;
/// How often a waiting status request re-checks storage for orders written by other nodes.
const RECHECK: Duration = Duration::from_millis(500);

/// "Accepted": the purchase is durable and will become an order.
#[derive(ApiResponse)]
pub(crate) enum PurchaseAccepted {
    /// Accepted and durable (or a retry of an accepted purchase): poll `status_url` for the
    /// order.
    #[oai(status = 202)]
    Accepted(Json<PurchaseDto>),
}

/// Purchases.
pub(crate) struct PurchasesApi<A: Adapters>(pub Services<A>);

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Activities")]
impl<A: Adapters> PurchasesApi<A> {
    /// Get a purchase token for an open sale (needed to buy; valid briefly, for you and this sale only).
    #[oai(
        path = "/activities/:id/purchase-tokens",
        method = "post",
        operation_id = "requestPurchaseToken"
    )]
    async fn request_token(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> Result<TokenCreated, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        let token = self
            .0
            .purchases
            .request_token(&caller, ActivityId::from_uuid(id.0))
            .await?;
        Ok(TokenCreated::Created(Json(token.into())))
    }

    /// Buy. 202 means accepted and durable: the order follows (poll `status_url`).
    ///
    /// Retrying safely: send an `Idempotency-Key`. A key names one purchase of yours in this
    /// sale; repeated with the same quantity it answers 202 with that purchase as it stands now
    /// (`ordered` with its `order_id` once the order is written), even once the sale is sold out,
    /// ended or cancelled, and even with an expired purchase token of yours for this sale. The
    /// same key with another quantity answers 422 `idempotency_key_reused`; a key never accepted
    /// is decided like any new purchase (and needs a current token).
    #[oai(
        path = "/activities/:id/purchases",
        method = "post",
        operation_id = "purchase"
    )]
    async fn purchase(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<PurchaseRequestDto>,
        /// Repeat a request safely: the same key names the same purchase of yours in this sale
        /// (other sales: other purchases). A retry with the same quantity gets that purchase
        /// back as it stands now (202, `ordered` once its order exists), even once the sale is
        /// sold out or the purchase token expired; another quantity gets 422
        /// `idempotency_key_reused`.
        #[oai(name = "Idempotency-Key", validator(min_length = 1, max_length = 255))]
        idempotency_key: Header<Option<String>>,
    ) -> Result<PurchaseAccepted, ApiError> {
        let activity_id = ActivityId::from_uuid(id.0);
        // A sale this node knows is sold out was answered in front of routing (`hot_answers`),
        // before the body was read or the token's signature checked.
        let caller = caller(&self.0.accounts, &auth)?;
        let request = PurchaseRequest {
            activity_id,
            quantity: body.quantity()?,
            token: body.0.purchase_token.into_string(),
            idempotency_key: idempotency_key.0,
        };
        let answer = self.0.purchases.purchase(&caller, request).await?;
        Ok(PurchaseAccepted::Accepted(Json(PurchaseDto::from_status(
            answer.id,
            answer.status,
        ))))
    }

    /// What became of a purchase. With `wait`, answers as soon as the order exists, or after
    /// `wait` seconds (at most 10) with `pending`.
    #[oai(path = "/purchases/:id", method = "get", operation_id = "getPurchase")]
    async fn status(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        /// Seconds to wait for the order (0 to 10).
        #[oai(validator(minimum(value = "0"), maximum(value = "10")))]
        wait: Query<Option<u64>>,
    ) -> Result<Json<PurchaseDto>, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        let id = PurchaseId::from_uuid(id.0);
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(wait.0.unwrap_or(0).min(MAX_WAIT_SECONDS));
        let mut events = self.0.order_events.subscribe();
        loop {
            let status = self.0.purchases.status(&caller, id).await?;
            if status != PurchaseStatus::Pending || tokio::time::Instant::now() >= deadline {
                return Ok(Json(PurchaseDto::from_status(id, status)));
            }
            let recheck_at = deadline.min(tokio::time::Instant::now() + RECHECK);
            // Wait for this purchase to be settled on this node, or for the re-check time.
            loop {
                match tokio::time::timeout_at(recheck_at, events.recv()).await {
                    Ok(Ok(settled)) if settled != id => continue,
                    Ok(Ok(_))
                    | Ok(Err(RecvError::Lagged(_)))
                    | Ok(Err(RecvError::Closed))
                    | Err(_) => break,
                }
            }
        }
    }
}
