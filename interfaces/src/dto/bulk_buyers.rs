//! Buyers created in bulk for load tests.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use seckiller_application::accounts::IssuedBuyer;
use uuid::Uuid;

use super::wire::Integer;
use crate::problem::ApiError;

/// The most buyers one request creates.
pub(crate) const MAX_BULK_BUYERS: i64 = 1000;

/// How many buyers to create.
#[derive(Debug, Object)]
#[oai(rename = "BulkBuyersRequest", deny_unknown_fields)]
pub(crate) struct BulkBuyersRequest {
    /// 1 to 1000. Out of range answers 422 `validation_failed`, like every other range rule of a
    /// body (a validator here would answer 400 from the framework instead).
    pub count: Integer<1, MAX_BULK_BUYERS>,
}

impl BulkBuyersRequest {
    /// The count, once within its range.
    ///
    /// # Errors
    /// 422 `validation_failed` naming `count` otherwise.
    pub(crate) fn count(&self) -> Result<u32, ApiError> {
        u32::try_from(self.count.get())
            .ok()
            .filter(|n| (1..=MAX_BULK_BUYERS).contains(&i64::from(*n)))
            .ok_or_else(|| ApiError::invalid("count", format!("must be 1 to {MAX_BULK_BUYERS}")))
    }
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
