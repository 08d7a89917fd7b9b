//! The stock ledger of one activity (and of a product's regular stock): `total = available + held + sold` at all times. Held stock
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
    /// A total below what buyers hold and bought.
    #[error("{committed} items are held or sold; the total cannot go below that")]
    BelowCommitted {
        /// Items held and sold.
        committed: u32,
    },
    /// A total beyond what can be counted.
    #[error("the total would exceed {max} items")]
    TooMany {
        /// The largest total a ledger keeps.
        max: u32,
    },
}

/// The largest total a ledger keeps: what every backend's integer column holds with room.
pub const MAX_STOCK: u32 = 1_000_000_000;

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

    /// Sets the total while buyers hold or own some of it: what is held and sold stays, and
    /// available becomes the rest. The regular stock's "set" of an admin.
    ///
    /// # Errors
    /// [`StockError::BelowCommitted`] when `total` is less than held + sold;
    /// [`StockError::TooMany`] beyond [`MAX_STOCK`].
    pub fn set_total(&mut self, total: u32) -> Result<(), StockError> {
        if total > MAX_STOCK {
            return Err(StockError::TooMany { max: MAX_STOCK });
        }
        let committed = self.held + self.sold;
        if total < committed {
            return Err(StockError::BelowCommitted { committed });
        }
        self.total = total;
        self.available = total - committed;
        Ok(())
    }

    /// Adds `n` new items, all available: a restock.
    ///
    /// # Errors
    /// [`StockError::TooMany`] when the total would pass [`MAX_STOCK`].
    pub fn restock(&mut self, n: u32) -> Result<(), StockError> {
        let total = self
            .total
            .checked_add(n)
            .filter(|t| *t <= MAX_STOCK)
            .ok_or(StockError::TooMany { max: MAX_STOCK })?;
        self.total = total;
        self.available += n;
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
    fn setting_the_total_keeps_what_buyers_hold_and_bought() {
        let mut l = StockLedger::new(10);
        l.hold(3).unwrap();
        l.confirm(1).unwrap();
        l.set_total(5).unwrap();
        assert_eq!((l.total(), l.available(), l.held(), l.sold()), (5, 2, 2, 1));
        assert_eq!(
            l.set_total(2),
            Err(StockError::BelowCommitted { committed: 3 })
        );
        l.restock(4).unwrap();
        assert_eq!((l.total(), l.available()), (9, 6));
        assert!(balanced(&l));
        assert_eq!(
            l.restock(MAX_STOCK),
            Err(StockError::TooMany { max: MAX_STOCK })
        );
        assert_eq!(l.total(), 9);
    }

    #[test]
    fn stored_counts_that_do_not_add_up_are_refused() {
        assert!(StockLedger::from_counts(10, 5, 3, 2).is_some());
        assert!(StockLedger::from_counts(10, 5, 3, 3).is_none());
    }
}
