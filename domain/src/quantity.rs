//! A positive count of items: stock, a per-buyer limit, the size of one purchase.

/// Why a count was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Zero items is no purchase, no stock and no limit.
    #[error("must be at least 1")]
    Zero,
    /// Negative or beyond what a count may hold.
    #[error("must be between 1 and {max}")]
    OutOfRange {
        /// The largest value allowed where the count was used.
        max: u64,
    },
}

/// A count of at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(u32);

impl Quantity {
    /// One item.
    pub const ONE: Quantity = Quantity(1);

    /// A count of `n` items.
    ///
    /// # Errors
    /// [`QuantityError::Zero`] when `n` is zero.
    pub fn new(n: u32) -> Result<Self, QuantityError> {
        if n == 0 {
            Err(QuantityError::Zero)
        } else {
            Ok(Self(n))
        }
    }

    /// A count from a wide signed integer as it arrives from JSON, capped at `max`.
    ///
    /// # Errors
    /// [`QuantityError::Zero`] for zero, [`QuantityError::OutOfRange`] for negatives or values
    /// above `max`.
    pub fn bounded(n: i64, max: u32) -> Result<Self, QuantityError> {
        if n == 0 {
            return Err(QuantityError::Zero);
        }
        match u32::try_from(n) {
            Ok(v) if v <= max => Ok(Self(v)),
            _ => Err(QuantityError::OutOfRange {
                max: u64::from(max),
            }),
        }
    }

    /// The count.
    pub fn get(&self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_not_a_quantity() {
        assert_eq!(Quantity::new(0), Err(QuantityError::Zero));
        assert_eq!(Quantity::new(3).unwrap().get(), 3);
    }

    #[test]
    fn bounded_refuses_negatives_and_values_over_the_cap() {
        assert_eq!(Quantity::bounded(0, 10), Err(QuantityError::Zero));
        assert_eq!(
            Quantity::bounded(-5, 10),
            Err(QuantityError::OutOfRange { max: 10 })
        );
        assert_eq!(
            Quantity::bounded(11, 10),
            Err(QuantityError::OutOfRange { max: 10 })
        );
        assert_eq!(
            Quantity::bounded(i64::MAX, 10),
            Err(QuantityError::OutOfRange { max: 10 })
        );
        assert_eq!(Quantity::bounded(10, 10).unwrap().get(), 10);
    }
}
