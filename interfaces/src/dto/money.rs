//! Money on the wire: integer minor units and an ISO currency code, never a float.

use poem_openapi::Object;
use seckiller_domain::money::MAX_AMOUNT_MINOR;
use seckiller_domain::{Currency, Money};

use super::wire::{CurrencyText, Integer, Text};
use crate::problem::ApiError;

/// An amount of money.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Money", deny_unknown_fields)]
pub(crate) struct MoneyDto {
    /// Amount in minor units (cents): 1999 is 19.99; 0 to 10^12.
    pub amount_minor: Integer<0, MAX_AMOUNT_MINOR>,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: Text<CurrencyText>,
}

impl MoneyDto {
    /// The domain value, or a 422 naming `field`.
    pub(crate) fn parse(&self, field: &str) -> Result<Money, ApiError> {
        let currency = Currency::parse(self.currency.as_str())
            .map_err(|e| ApiError::invalid(&format!("{field}.currency"), e))?;
        Money::new(self.amount_minor.get(), currency)
            .map_err(|e| ApiError::invalid(&format!("{field}.amount_minor"), e))
    }
}

impl From<Money> for MoneyDto {
    fn from(m: Money) -> Self {
        Self {
            amount_minor: m.amount_minor().into(),
            currency: m.currency().to_string().into(),
        }
    }
}
