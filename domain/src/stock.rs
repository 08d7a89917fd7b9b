//! The stock ledger of one activity: `total = available + held + sold` at all times. Held stock
//! belongs to orders awaiting payment; it returns to available if they are cancelled or expire.

/// Why a stock movement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    /// Not enough in the bucket the movement takes from.
    #[error("only {left} left to move")]
    Short {
        /// What the bucket held.
        left: u32,
    },
    /// The total can only change before anything was sold or held.
    #[error("stock is already committed to buyers")]
    Committed,
}

/// Counts of one activity's stock by where each item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockLedger {
    total: u32,
    available: u32,
    held: u32,
    sold: u32,
}

impl StockLedger {
    /// A fresh ledger: everything available.
    pub fn new(total: u32) -> Self {
        Self {
            total,
            available: total,
            held: 0,
            sold: 0,
        }
    }

    /// Rebuilds a ledger from stored counts, refusing counts that break the invariant.
    pub fn from_counts(total: u32, available: u32, held: u32, sold: u32) -> Option<Self> {
        let sum = u64::from(available) + u64::from(held) + u64::from(sold);
        (sum == u64::from(total)).then_some(Self {
            total,
            available,
            held,
            sold,
        })
    }

    /// Everything the sale ever had.
    pub fn total(&self) -> u32 {
        self.total
    }
    /// Free to buy.
    pub fn available(&self) -> u32 {
        self.available
    }
    /// Reserved by orders awaiting payment.
    pub fn held(&self) -> u32 {
        self.held
    }
    /// Paid for.
    pub fn sold(&self) -> u32 {
        self.sold
    }

    /// Reserves `n` items for a new order.
    ///
    /// # Errors
    /// [`StockError::Short`] when fewer than `n` are available; nothing moves.
    pub fn hold(&mut self, n: u32) -> Result<(), StockError> {
        self.available = self.available.checked_sub(n).ok_or(StockError::Short {
            left: self.available,
        })?;
        self.held += n;
        Ok(())
    }

    /// Gives `n` held items back to sale (an order was cancelled or expired).
    ///
    /// # Errors
    /// [`StockError::Short`] when fewer than `n` are held; nothing moves.
    pub fn release(&mut self, n: u32) -> Result<(), StockError> {
        self.held = self
            .held
            .checked_sub(n)
            .ok_or(StockError::Short { left: self.held })?;
        self.available += n;
        Ok(())
    }

    /// Marks `n` held items as sold (an order was paid).
    ///
    /// # Errors
    /// [`StockError::Short`] when fewer than `n` are held; nothing moves.
    pub fn confirm(&mut self, n: u32) -> Result<(), StockError> {
        self.held = self
            .held
            .checked_sub(n)
            .ok_or(StockError::Short { left: self.held })?;
        self.sold += n;
        Ok(())
    }

    /// Changes the total before the sale has committed anything to buyers.
    ///
    /// # Errors
    /// [`StockError::Committed`] once anything is held or sold.
    pub fn resize(&mut self, total: u32) -> Result<(), StockError> {
        if self.held != 0 || self.sold != 0 {
            return Err(StockError::Committed);
        }
        *self = Self::new(total);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced(l: &StockLedger) -> bool {
        l.total() == l.available() + l.held() + l.sold()
    }

    #[test]
    fn holding_releasing_and_confirming_keep_the_ledger_balanced() {
        let mut l = StockLedger::new(10);
        l.hold(4).unwrap();
        l.release(1).unwrap();
        l.confirm(2).unwrap();
        assert_eq!((l.available(), l.held(), l.sold()), (7, 1, 2));
        assert!(balanced(&l));
    }

    #[test]
    fn a_short_bucket_refuses_and_moves_nothing() {
        let mut l = StockLedger::new(2);
        assert_eq!(l.hold(3), Err(StockError::Short { left: 2 }));
        assert_eq!(l.release(1), Err(StockError::Short { left: 0 }));
        assert_eq!(l.confirm(1), Err(StockError::Short { left: 0 }));
        assert_eq!(l, StockLedger::new(2));
    }

    #[test]
    fn the_total_is_fixed_once_buyers_hold_stock() {
        let mut l = StockLedger::new(5);
        l.resize(8).unwrap();
        assert_eq!(l.available(), 8);
        l.hold(1).unwrap();
        assert_eq!(l.resize(3), Err(StockError::Committed));
    }

    #[test]
    fn stored_counts_that_do_not_add_up_are_refused() {
        assert!(StockLedger::from_counts(10, 5, 3, 2).is_some());
        assert!(StockLedger::from_counts(10, 5, 3, 3).is_none());
    }
}
