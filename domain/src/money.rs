//! Money as an integer count of minor units (cents) with its currency: floating point never
//! touches a price, and a sum can only be made of amounts in the same currency.

use std::fmt;

use crate::quantity::Quantity;

mod iso4217;

/// The largest amount a single price may carry, in minor units. Prices above it are refused so
/// that price × quantity can never overflow.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Negative amounts are not prices.
    #[error("amount must not be negative")]
    Negative,
    /// The amount is above [`MAX_AMOUNT_MINOR`].
    #[error("amount must be at most {MAX_AMOUNT_MINOR} minor units")]
    TooLarge,
    /// A currency is the ISO 4217 code of a currency in circulation.
    #[error("currency must be the ISO 4217 code of a currency in circulation, such as USD")]
    BadCurrency,
}

/// An ISO 4217 currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a new code like `USD`: only currencies in circulation (see
    /// [`Currency::ACCEPTED`]); not `XXX`, `XTS`, metals or fund units.
    ///
    /// # Errors
    /// [`MoneyError::BadCurrency`] for any other text.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        if iso4217::is_active(code) {
            Self::from_stored(code)
        } else {
            Err(MoneyError::BadCurrency)
        }
    }

    /// Reads a code stored or sent before the list of accepted codes was enforced: any three
    /// upper-case ASCII letters, so an old product, sale, order or queued purchase stays
    /// readable. Never for new input.
    ///
    /// # Errors
    /// [`MoneyError::BadCurrency`] unless the code is exactly three upper-case ASCII letters.
    pub fn from_stored(code: &str) -> Result<Self, MoneyError> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(MoneyError::BadCurrency),
        }
    }

    /// Every code [`Currency::parse`] accepts, in ascending order.
    pub const ACCEPTED: &'static [&'static str] = &iso4217::ACTIVE;

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // The bytes were checked to be ASCII upper-case letters on construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-negative amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    amount_minor: i64,
    currency: Currency,
}

impl Money {
    /// A price of `amount_minor` minor units.
    ///
    /// # Errors
    /// [`MoneyError::Negative`] or [`MoneyError::TooLarge`] when the amount is outside
    /// `0..=MAX_AMOUNT_MINOR`.
    pub fn new(amount_minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount_minor < 0 {
            Err(MoneyError::Negative)
        } else if amount_minor > MAX_AMOUNT_MINOR {
            Err(MoneyError::TooLarge)
        } else {
            Ok(Self {
                amount_minor,
                currency,
            })
        }
    }

    /// The amount in minor units.
    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The price of `quantity` items at this unit price. Cannot overflow: the unit price is capped
    /// at [`MAX_AMOUNT_MINOR`] and a quantity at `u32::MAX`.
    pub fn times(&self, quantity: Quantity) -> i128 {
        i128::from(self.amount_minor) * i128::from(quantity.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn a_currency_is_three_upper_case_letters() {
        assert_eq!(usd().as_str(), "USD");
        for bad in ["usd", "US", "USDT", "U$D", ""] {
            assert_eq!(Currency::parse(bad), Err(MoneyError::BadCurrency), "{bad}");
            assert_eq!(
                Currency::from_stored(bad),
                Err(MoneyError::BadCurrency),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_currencies_in_circulation_are_accepted() {
        for good in [
            "EUR", "JPY", "CHF", "XAF", "XOF", "XCD", "XPF", "ZWG", "VES",
        ] {
            assert_eq!(
                Currency::parse(good).map(|c| c.to_string()),
                Ok(good.to_owned())
            );
        }
        for bad in [
            "XXX", "XTS", "XAU", "XAG", "XDR", "XBA", "ABC", "USN", "CLF", "HRK", "ZZZ",
        ] {
            assert_eq!(Currency::parse(bad), Err(MoneyError::BadCurrency), "{bad}");
        }
    }

    #[test]
    fn a_code_stored_before_the_list_is_still_read() {
        assert_eq!(
            Currency::from_stored("XXX").map(|c| c.to_string()),
            Ok("XXX".to_owned())
        );
        assert!(Currency::ACCEPTED.contains(&"USD"));
    }

    #[test]
    fn negative_and_huge_amounts_are_refused() {
        assert_eq!(Money::new(-1, usd()), Err(MoneyError::Negative));
        assert_eq!(
            Money::new(MAX_AMOUNT_MINOR + 1, usd()),
            Err(MoneyError::TooLarge)
        );
        assert!(Money::new(MAX_AMOUNT_MINOR, usd()).is_ok());
        assert!(Money::new(0, usd()).is_ok());
    }

    #[test]
    fn a_total_never_overflows() {
        let price = Money::new(MAX_AMOUNT_MINOR, usd()).unwrap();
        let many = Quantity::new(u32::MAX).unwrap();
        assert_eq!(
            price.times(many),
            i128::from(MAX_AMOUNT_MINOR) * i128::from(u32::MAX)
        );
    }
}
