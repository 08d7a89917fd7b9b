//! A sale's own purchase rate limit on the wire.

use poem_openapi::Object;

use super::wire::Integer;
use crate::problem::ApiError;

/// The most purchase-path requests per second a sale's limit may name.
pub(crate) const MAX_SALE_RATE: u32 = 1_000_000;

/// A sale's own rate limit.
#[derive(Debug, Object)]
#[oai(rename = "RateLimit", deny_unknown_fields)]
pub(crate) struct RateLimitDto {
    /// Purchase-path requests (purchase tokens and purchases) per second each node serves for
    /// this sale; 0 returns the sale to the node's default.
    pub per_second: Integer<0, { MAX_SALE_RATE as i64 }>,
}

impl RateLimitDto {
    /// The checked rate.
    pub(crate) fn per_second(&self) -> Result<u32, ApiError> {
        u32::try_from(self.per_second.get())
            .ok()
            .filter(|n| *n <= MAX_SALE_RATE)
            .ok_or_else(|| ApiError::invalid("per_second", format!("must be 0 to {MAX_SALE_RATE}")))
    }
}

impl From<u32> for RateLimitDto {
    fn from(per_second: u32) -> Self {
        Self {
            per_second: i64::from(per_second).into(),
        }
    }
}
