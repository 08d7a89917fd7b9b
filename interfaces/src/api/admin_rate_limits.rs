//! `PUT /admin/activities/{id}/rate-limit`: a sale's own purchase rate limit, stored so it
//! survives restarts and reaches every node (each node reads the stored limits as often as it
//! refreshes its activity cache), and applied on the answering node at once.

use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use seckiller_application::Adapters;
use seckiller_domain::ActivityId;
use uuid::Uuid;

use super::ApiTags;
use crate::app::{SaleLimitStore, Services};
use crate::auth::{BearerAuth, admin};
use crate::dto::RateLimitDto;
use crate::flow_control::FlowLimits;
use crate::problem::ApiError;

/// Sales' own rate limits.
pub(crate) struct AdminRateLimitsApi<A: Adapters> {
    /// The use cases (accounts to check the admin, activities to find the sale).
    pub services: Services<A>,
    /// This node's limits.
    pub flow: FlowLimits,
    /// Where limits are kept for every node.
    pub store: SaleLimitStore,
}

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::Admin")]
impl<A: Adapters> AdminRateLimitsApi<A> {
    /// Give a sale its own purchase rate limit, per node (0 = the node's default); every node
    /// applies it within seconds, and it survives restarts. Over it, buyers get 429
    /// `rate_limited` with `Retry-After`.
    #[oai(
        path = "/activities/:id/rate-limit",
        method = "put",
        operation_id = "setActivityRateLimit"
    )]
    async fn set(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<RateLimitDto>,
    ) -> Result<Json<RateLimitDto>, ApiError> {
        let admin = admin(&self.services.accounts, &auth)?;
        let activity = ActivityId::from_uuid(id.0);
        let per_second = body.per_second()?;
        self.services.activities.get_any(&admin, activity).await?;
        (self.store)(activity, per_second)
            .await
            .map_err(|e| ApiError::unavailable(seckiller_application::Unavailable::said(e)))?;
        self.flow.set_sale_limit(activity, per_second);
        Ok(Json(per_second.into()))
    }
}
