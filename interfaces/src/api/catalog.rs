//! `GET /products/{id}` for everyone; `POST /admin/products`, `PATCH /admin/products/{id}` for
//! admins.

use poem::Request;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use seckiller_application::Adapters;
use seckiller_domain::{IdempotencyScope, ProductId};
use uuid::Uuid;

use super::{ApiTags, created};
use crate::app::Services;
use crate::auth::{BearerAuth, admin};
use crate::dto::{ProductDto, ProductPatch, ProductRequest};
use crate::idempotency::{Idempotent, canonical, keyed};
use crate::problem::ApiError;

created!(ProductCreated, ProductDto);

/// The catalogue.
pub(crate) struct CatalogApi<A: Adapters>(pub Services<A>);

#[OpenApi(prefix_path = "/api/v1")]
impl<A: Adapters> CatalogApi<A> {
    /// A catalogue item.
    #[oai(
        path = "/products/:id",
        method = "get",
        operation_id = "getProduct",
        tag = "ApiTags::Products"
    )]
    async fn get(&self, id: Path<Uuid>) -> Result<Json<ProductDto>, ApiError> {
        Ok(Json(
            self.0.catalog.get(ProductId::from_uuid(id.0)).await?.into(),
        ))
    }

    /// Add a catalogue item.
    #[oai(
        path = "/admin/products",
        method = "post",
        operation_id = "createProduct",
        tag = "ApiTags::Admin"
    )]
    async fn create(
        &self,
        auth: BearerAuth,
        body: Json<ProductRequest>,
        req: &Request,
        /// Add a product safely again: a retry with the same key and body replays the first answer
        /// and adds no second one. The same key with another body or path answers 422
        /// `idempotency_key_reused`; while the first request still runs, 409
        /// `idempotency_key_in_use` with `Retry-After`. A 503 is not remembered.
        #[oai(
            name = "Idempotency-Key",
            validator(max_length = 255, pattern = r"^[!-~]([ -~]*[!-~])?$")
        )]
        idempotency_key: Header<Option<String>>,
    ) -> Result<Idempotent<ProductCreated>, ApiError> {
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
            let product = self.0.catalog.create(&admin, body.parse()?).await?;
            Ok(ProductCreated::Created(Json(product.into())))
        })
        .await
    }

    /// Edit a catalogue item; running sales keep their own price.
    #[oai(
        path = "/admin/products/:id",
        method = "patch",
        operation_id = "editProduct",
        tag = "ApiTags::Admin"
    )]
    async fn edit(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ProductPatch>,
    ) -> Result<Json<ProductDto>, ApiError> {
        let admin = admin(&self.0.accounts, &auth)?;
        let product = self
            .0
            .catalog
            .edit(&admin, ProductId::from_uuid(id.0), body.parse()?)
            .await?;
        Ok(Json(product.into()))
    }
}
