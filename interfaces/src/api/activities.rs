//! `GET /activities`, `GET /activities/{id}`: what buyers browse.

use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use seckiller_application::Adapters;
use seckiller_domain::ActivityId;
use uuid::Uuid;

use super::{ApiTags, page};
use crate::app::Services;
use crate::dto::{ActivityDto, PhaseDto};
use crate::problem::ApiError;

/// Flash sales for buyers.
pub(crate) struct ActivitiesApi<A: Adapters>(pub Services<A>);

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Activities")]
impl<A: Adapters> ActivitiesApi<A> {
    /// Published sales, newest first, optionally only those in one phase.
    #[oai(path = "/activities", method = "get", operation_id = "listActivities")]
    async fn list(
        &self,
        /// Only sales in this phase.
        phase: Query<Option<PhaseDto>>,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// How many to skip.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<u32>>,
    ) -> Result<Json<Vec<ActivityDto>>, ApiError> {
        let (limit, offset) = page(limit.0, offset.0);
        let views = self
            .0
            .activities
            .list(None, phase.0.map(Into::into), limit, offset)
            .await?;
        Ok(Json(views.into_iter().map(Into::into).collect()))
    }

    /// One published sale with its phase and remaining stock.
    #[oai(path = "/activities/:id", method = "get", operation_id = "getActivity")]
    async fn get(&self, id: Path<Uuid>) -> Result<Json<ActivityDto>, ApiError> {
        Ok(Json(
            self.0
                .activities
                .get(ActivityId::from_uuid(id.0))
                .await?
                .into(),
        ))
    }
}
