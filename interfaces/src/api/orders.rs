//! `GET /orders`, `GET /orders/{id}`, and paying or cancelling one: a buyer's own orders.

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use seckiller_application::Adapters;
use seckiller_domain::{IdempotencyScope, OrderId};
use uuid::Uuid;

use super::{ApiTags, page};
use crate::app::Services;
use crate::auth::{BearerAuth, caller};
use crate::dto::OrderDto;
use crate::idempotency::{Idempotent, keyed};
use crate::problem::ApiError;

/// Orders.
pub(crate) struct OrdersApi<A: Adapters>(pub Services<A>);

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Orders")]
impl<A: Adapters> OrdersApi<A> {
    /// Your orders, newest first.
    #[oai(path = "/orders", method = "get", operation_id = "listOrders")]
    async fn list(
        &self,
        auth: BearerAuth,
        /// Page size, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// How many to skip.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<u32>>,
    ) -> Result<Json<Vec<OrderDto>>, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        let (limit, offset) = page(limit.0, offset.0);
        let orders = self.0.orders.mine(&caller, limit, offset).await?;
        Ok(Json(orders.into_iter().map(Into::into).collect()))
    }

    /// One of your orders.
    #[oai(path = "/orders/:id", method = "get", operation_id = "getOrder")]
    async fn get(&self, auth: BearerAuth, id: Path<Uuid>) -> Result<Json<OrderDto>, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        Ok(Json(
            self.0
                .orders
                .one(&caller, OrderId::from_uuid(id.0))
                .await?
                .into(),
        ))
    }

    /// Pays one of your orders before its deadline. Asking again for a paid order answers it
    /// again and charges nothing more.
    #[oai(
        path = "/orders/:id/payment",
        method = "post",
        operation_id = "payOrder"
    )]
    async fn pay(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        req: &Request,
        /// Pay safely again: a retry with the same key replays the first answer (a decline
        /// too) without asking the provider again. The key on another order answers 422
        /// `idempotency_key_reused`; while the first payment still runs, 409
        /// `idempotency_key_in_use` with `Retry-After`. A 503 is not remembered.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<Json<OrderDto>>, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        let scope = IdempotencyScope::caller(caller.user_id);
        keyed(&self.0.idempotency, req, idempotency_key.0, scope, None)?
            .run(|| async {
                let order = self
                    .0
                    .order_actions
                    .pay(&caller, OrderId::from_uuid(id.0))
                    .await?;
                Ok(Json(order.into()))
            })
            .await
    }

    /// Cancels one of your unpaid orders; its stock goes back on sale at once. Asking again
    /// answers the cancelled order again.
    #[oai(
        path = "/orders/:id/cancellation",
        method = "post",
        operation_id = "cancelOrder"
    )]
    async fn cancel(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        req: &Request,
        /// Cancel safely again: a retry with the same key replays the first answer. The key on
        /// another order answers 422 `idempotency_key_reused`; while the first request still
        /// runs, 409 `idempotency_key_in_use` with `Retry-After`. A 503 is not remembered.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<Json<OrderDto>>, ApiError> {
        let caller = caller(&self.0.accounts, &auth)?;
        let scope = IdempotencyScope::caller(caller.user_id);
        keyed(&self.0.idempotency, req, idempotency_key.0, scope, None)?
            .run(|| async {
                let order = self
                    .0
                    .order_actions
                    .cancel(&caller, OrderId::from_uuid(id.0))
                    .await?;
                Ok(Json(order.into()))
            })
            .await
    }
}
