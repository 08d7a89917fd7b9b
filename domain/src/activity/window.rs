//! Time rules of a sale: when it sells and how long a winner has to pay.

use chrono::{DateTime, Duration, Utc};

use super::ActivityError;

/// The half-open interval `[starts_at, ends_at)` during which a sale sells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleWindow {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

impl SaleWindow {
    /// A window from `starts_at` until (not including) `ends_at`.
    ///
    /// # Errors
    /// [`ActivityError::EndBeforeStart`] unless `ends_at` is after `starts_at`.
    pub fn new(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<Self, ActivityError> {
        if ends_at <= starts_at {
            Err(ActivityError::EndBeforeStart)
        } else {
            Ok(Self { starts_at, ends_at })
        }
    }

    /// The opening instant.
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    /// The closing instant.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }

    /// True from the opening instant on.
    pub fn has_started(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts_at
    }

    /// True from the closing instant on.
    pub fn has_ended(&self, now: DateTime<Utc>) -> bool {
        now >= self.ends_at
    }
}

/// How long a buyer has to pay an order before it is cancelled and its stock sold again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentWindow(u32);

impl PaymentWindow {
    /// Shortest window, in seconds; short windows exist for tests and drills.
    pub const MIN_SECONDS: u32 = 1;
    /// Longest window, in seconds (one day).
    pub const MAX_SECONDS: u32 = 86_400;
    /// The usual window: fifteen minutes.
    pub const DEFAULT: PaymentWindow = PaymentWindow(15 * 60);

    /// A window of `seconds`.
    ///
    /// # Errors
    /// [`ActivityError::BadPaymentWindow`] outside `MIN_SECONDS..=MAX_SECONDS`.
    pub fn from_seconds(seconds: i64) -> Result<Self, ActivityError> {
        match u32::try_from(seconds) {
            Ok(s) if (Self::MIN_SECONDS..=Self::MAX_SECONDS).contains(&s) => Ok(Self(s)),
            _ => Err(ActivityError::BadPaymentWindow {
                min: Self::MIN_SECONDS,
                max: Self::MAX_SECONDS,
            }),
        }
    }

    /// The window in seconds.
    pub fn seconds(&self) -> u32 {
        self.0
    }

    /// The window as a duration, to compute a payment deadline.
    pub fn duration(&self) -> Duration {
        Duration::seconds(i64::from(self.0))
    }
}
