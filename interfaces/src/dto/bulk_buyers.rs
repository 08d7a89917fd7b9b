//! Buyers created in bulk for load tests.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use seckiller_application::accounts::IssuedBuyer;
use uuid::Uuid;

/// How many buyers to create.
#[derive(Debug, Object)]
#[oai(rename = "BulkBuyersRequest", deny_unknown_fields)]
pub(crate) struct BulkBuyersRequest {
    /// 1 to 1000.
    #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
    pub count: u32,
}

/// A buyer created in bulk, ready to act.
#[derive(Debug, Object)]
#[oai(rename = "IssuedBuyer")]
pub(crate) struct IssuedBuyerDto {
    /// Account id.
    pub id: Uuid,
    /// Its generated username (`crowd-…`).
    pub username: String,
    /// A bearer token for it; the account has no password anyone knows.
    pub token: String,
    /// The token stops working at this instant.
    pub expires_at: DateTime<Utc>,
}

impl From<IssuedBuyer> for IssuedBuyerDto {
    fn from(b: IssuedBuyer) -> Self {
        Self {
            id: b.user.id.as_uuid(),
            username: b.user.username.as_str().to_owned(),
            token: b.session.token,
            expires_at: b.session.expires_at,
        }
    }
}

/// The buyers created.
#[derive(Debug, Object)]
#[oai(rename = "BulkBuyers")]
pub(crate) struct BulkBuyersDto {
    /// In creation order.
    pub buyers: Vec<IssuedBuyerDto>,
}
