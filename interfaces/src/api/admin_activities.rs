//! Running sales: `POST /admin/activities`, `PATCH /admin/activities/{id}`, publication,
//! cancellation, and the admin's own listing (drafts included).

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use seckiller_application::Adapters;
use seckiller_domain::{ActivityId, IdempotencyScope};
use uuid::Uuid;

use super::{ApiTags, created, page};
use crate::app::Services;
use crate::auth::{BearerAuth, admin};
use crate::dto::{ActivityDto, ActivityPatch, ActivityRequest, BreakerDto, PhaseDto, StatsDto};
use crate::idempotency::{Idempotent, canonical, keyed};
use crate::problem::ApiError;

created!(ActivityCreated, ActivityDto);

/// Flash sales for admins.
pub(crate) struct AdminActivitiesApi<A: Adapters>(pub Services<A>);

#[OpenApi(prefix_path = "/api/v1/admin", tag = "ApiTags::Admin")]
impl<A: Adapters> AdminActivitiesApi<A> {
    /// Plan a sale; it starts as a draft, invisible to buyers.
    #[oai(path = "/activities", method = "post", operation_id = "createActivity")]
    async fn create(
        &self,
        auth: BearerAuth,
        body: Json<ActivityRequest>,
        req: &Request,
        /// Plan a sale safely again: a retry with the same key and body replays the first answer
        /// and plans no second one. The same key with another body or path answers 422
        /// `idempotency_key_reused`; while the first request still runs, 409
        /// `idempotency_key_in_use` with `Retry-After`. A 503 is not remembered.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<ActivityCreated>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let scope = IdempotencyScope::caller(admin.user_id());
        keyed(
            &self.0.idempotency,
            req,
            idempotency_key.0,
            scope,
            canonical(&body.0),
        )?
        .run(|| async {
            let view = self.0.activities.create(&admin, body.parse()?).await?;
            Ok(ActivityCreated::Created(Json(view.into())))
        })
        .await
    }

    /// All sales, drafts included, newest first.
    #[oai(
        path = "/activities",
        method = "get",
        operation_id = "adminListActivities"
    )]
    async fn list(
        &self,
        auth: BearerAuth,
        /// Only sales in this phase.
        phase: Query<Option<PhaseDto>>,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// How many to skip.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<u32>>,
    ) -> Result<Json<Vec<ActivityDto>>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let (limit, offset) = page(limit.0, offset.0);
        let views = self
            .0
            .activities
            .list(Some(&admin), phase.0.map(Into::into), limit, offset)
            .await?;
        Ok(Json(views.into_iter().map(Into::into).collect()))
    }

    /// Any sale, drafts included.
    #[oai(
        path = "/activities/:id",
        method = "get",
        operation_id = "adminGetActivity"
    )]
    async fn get(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<ActivityDto>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        Ok(Json(
            self.0
                .activities
                .get_any(&admin, ActivityId::from_uuid(id.0))
                .await?
                .into(),
        ))
    }

    /// Edit a sale that has not started.
    #[oai(
        path = "/activities/:id",
        method = "patch",
        operation_id = "editActivity"
    )]
    async fn edit(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ActivityPatch>,
    ) -> Result<Json<ActivityDto>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let view = self
            .0
            .activities
            .edit(&admin, ActivityId::from_uuid(id.0), body.parse()?)
            .await?;
        Ok(Json(view.into()))
    }

    /// Publish a draft: buyers see it and it sells during its window.
    #[oai(
        path = "/activities/:id/publication",
        method = "post",
        operation_id = "publishActivity"
    )]
    async fn publish(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        req: &Request,
        /// Publish safely again: a retry with the same key replays the first answer
        /// and replays that publication. The same key with another body or path answers 422
        /// `idempotency_key_reused`; while the first request still runs, 409
        /// `idempotency_key_in_use` with `Retry-After`. A 503 is not remembered.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<Json<ActivityDto>>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let scope = IdempotencyScope::caller(admin.user_id());
        keyed(&self.0.idempotency, req, idempotency_key.0, scope, None)?
            .run(|| async {
                Ok(Json(
                    self.0
                        .activities
                        .publish(&admin, ActivityId::from_uuid(id.0))
                        .await?
                        .into(),
                ))
            })
            .await
    }

    /// Call a sale off.
    #[oai(
        path = "/activities/:id/cancellation",
        method = "post",
        operation_id = "cancelActivity"
    )]
    async fn cancel(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        req: &Request,
        /// Call off safely again: a retry with the same key replays the first answer
        /// and replays that cancellation. The same key with another body or path answers 422
        /// `idempotency_key_reused`; while the first request still runs, 409
        /// `idempotency_key_in_use` with `Retry-After`. A 503 is not remembered.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<Json<ActivityDto>>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let scope = IdempotencyScope::caller(admin.user_id());
        keyed(&self.0.idempotency, req, idempotency_key.0, scope, None)?
            .run(|| async {
                Ok(Json(
                    self.0
                        .activities
                        .cancel(&admin, ActivityId::from_uuid(id.0))
                        .await?
                        .into(),
                ))
            })
            .await
    }

    /// A sale's numbers: sold, held and available in the database and in the gate, queue lag,
    /// and the answering node's circuit breakers.
    #[oai(
        path = "/activities/:id/stats",
        method = "get",
        operation_id = "activityStats"
    )]
    async fn stats(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<StatsDto>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let mut stats: StatsDto = self
            .0
            .stats
            .of(&admin, ActivityId::from_uuid(id.0))
            .await?
            .into();
        stats.breakers = (self.0.breakers)()
            .into_iter()
            .map(|(dependency, state)| BreakerDto {
                dependency: dependency.to_owned(),
                state: state.to_owned(),
            })
            .collect();
        Ok(Json(stats))
    }
}
