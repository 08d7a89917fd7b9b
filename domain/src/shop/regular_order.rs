//! An order at the regular price: one or more lines, each with the price shown at checkout
//! copied into it, so a later price edit changes nothing already ordered. It moves through the
//! same payment lifecycle as a flash-sale order (`order::lifecycle`).

use chrono::{DateTime, Utc};

use crate::ids::{OrderId, ProductId, UserId};
use crate::money::{Currency, Money};
use crate::order::lifecycle::{self, CancelReason, OrderError, OrderStatus, Stage};
use crate::quantity::Quantity;
use crate::shop::cart::{MAX_CART_LINES, MAX_LINE_QUANTITY};
use crate::text::Name;

/// One product of a regular order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// The product.
    pub product_id: ProductId,
    /// Its name when ordered.
    pub name: Name,
    /// Its regular price when ordered.
    pub unit_price: Money,
    /// How many.
    pub quantity: Quantity,
}

impl OrderLine {
    /// What the line costs, in minor units.
    pub fn total_minor(&self) -> i128 {
        self.unit_price.times(self.quantity)
    }
}

/// What a set of priced lines costs in one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// The currency.
    pub currency: Currency,
    /// The sum, in minor units.
    pub total_minor: i128,
}

/// Sums priced lines per currency, in the order currencies first appear.
pub fn totals_by_currency(
    lines: impl IntoIterator<Item = (Money, Quantity)>,
) -> Vec<CurrencyTotal> {
    let mut totals: Vec<CurrencyTotal> = Vec::new();
    for (price, quantity) in lines {
        let amount = price.times(quantity);
        match totals.iter_mut().find(|t| t.currency == price.currency()) {
            Some(total) => total.total_minor += amount,
            None => totals.push(CurrencyTotal {
                currency: price.currency(),
                total_minor: amount,
            }),
        }
    }
    totals
}

/// Why lines could not become a regular order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegularOrderError {
    /// No lines.
    #[error("an order needs at least one line")]
    Empty,
    /// More lines than an order may have.
    #[error("an order has at most {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// A line asks for more than a line may.
    #[error("a line asks for at most {max} items")]
    LineTooLarge {
        /// The limit.
        max: u32,
    },
    /// The same product twice.
    #[error("product {0} appears on more than one line")]
    DuplicateProduct(ProductId),
    /// Prices in more than one currency: one order is paid with one charge.
    #[error("the lines are priced in {0} and {1}; one order is paid in one currency")]
    MixedCurrencies(Currency, Currency),
}

/// An order at the regular price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegularOrder {
    /// Its id.
    pub id: OrderId,
    /// Who ordered.
    pub buyer_id: UserId,
    /// Its lines, in product id order: the order storage moves their stock in.
    pub lines: Vec<OrderLine>,
    /// The one currency of every line.
    pub currency: Currency,
    /// Where it is.
    pub status: OrderStatus,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// Pay before this instant or the stock goes back.
    pub pay_deadline: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// The payment provider's reference for the charge that paid it.
    pub payment_ref: Option<String>,
    /// When its buyer cancelled it.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When it expired unpaid.
    pub expired_at: Option<DateTime<Utc>>,
}

impl RegularOrder {
    /// A pending order of `lines`, payable until `pay_deadline`.
    ///
    /// # Errors
    /// [`RegularOrderError`] for no lines, too many, a line too large, a product twice, or two
    /// currencies.
    pub fn place(
        id: OrderId,
        buyer_id: UserId,
        mut lines: Vec<OrderLine>,
        pay_deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, RegularOrderError> {
        let first = lines.first().ok_or(RegularOrderError::Empty)?;
        let currency = first.unit_price.currency();
        if lines.len() > MAX_CART_LINES {
            return Err(RegularOrderError::TooManyLines {
                max: MAX_CART_LINES,
            });
        }
        if let Some(other) = lines.iter().find(|l| l.unit_price.currency() != currency) {
            return Err(RegularOrderError::MixedCurrencies(
                currency,
                other.unit_price.currency(),
            ));
        }
        if lines.iter().any(|l| l.quantity.get() > MAX_LINE_QUANTITY) {
            return Err(RegularOrderError::LineTooLarge {
                max: MAX_LINE_QUANTITY,
            });
        }
        lines.sort_by_key(|l| l.product_id);
        if let Some(pair) = lines
            .windows(2)
            .find(|w| w[0].product_id == w[1].product_id)
        {
            return Err(RegularOrderError::DuplicateProduct(pair[0].product_id));
        }
        Ok(Self {
            id,
            buyer_id,
            lines,
            currency,
            status: OrderStatus::PendingPayment,
            created_at: now,
            pay_deadline,
            paid_at: None,
            payment_ref: None,
            cancelled_at: None,
            expired_at: None,
        })
    }

    /// What the buyer owes, in minor units.
    pub fn total_minor(&self) -> i128 {
        self.lines.iter().map(OrderLine::total_minor).sum()
    }

    /// How many items the order has.
    pub fn items(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity.get())).sum()
    }

    /// Whether the order is unpaid and can no longer be paid: the sweeper's claim.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        lifecycle::is_overdue(self.status, self.pay_deadline, now)
    }

    /// Records payment, strictly before the deadline.
    ///
    /// # Errors
    /// As [`Stage::pay`].
    pub fn pay(&mut self, now: DateTime<Utc>, payment_ref: &str) -> Result<(), OrderError> {
        self.stage().pay(now, payment_ref)
    }

    /// The buyer withdraws before paying.
    ///
    /// # Errors
    /// As [`Stage::cancel`].
    pub fn cancel_by_buyer(&mut self, now: DateTime<Utc>) -> Result<(), OrderError> {
        self.stage().cancel(CancelReason::ByBuyer, now)
    }

    /// Expires the order at or after its deadline.
    ///
    /// # Errors
    /// As [`Stage::expire`].
    pub fn expire(&mut self, now: DateTime<Utc>) -> Result<(), OrderError> {
        self.stage().expire(now)
    }

    fn stage(&mut self) -> Stage<'_> {
        Stage {
            status: &mut self.status,
            pay_deadline: self.pay_deadline,
            paid_at: &mut self.paid_at,
            payment_ref: &mut self.payment_ref,
            cancelled_at: &mut self.cancelled_at,
            expired_at: &mut self.expired_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    fn line(n: u128, price: i64, currency: &str, quantity: u32) -> OrderLine {
        OrderLine {
            product_id: ProductId::from_uuid(Uuid::from_u128(n)),
            name: Name::parse("Mug").unwrap(),
            unit_price: Money::new(price, Currency::parse(currency).unwrap()).unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
        }
    }

    fn place(lines: Vec<OrderLine>) -> Result<RegularOrder, RegularOrderError> {
        RegularOrder::place(
            OrderId::from_uuid(Uuid::now_v7()),
            UserId::from_uuid(Uuid::now_v7()),
            lines,
            t(60),
            t(0),
        )
    }

    #[test]
    fn an_order_sorts_its_lines_by_product_and_sums_them() {
        let order = place(vec![line(2, 150, "EUR", 2), line(1, 1_000, "EUR", 1)]).unwrap();
        let ids: Vec<_> = order.lines.iter().map(|l| l.product_id).collect();
        assert!(ids[0] < ids[1]);
        assert_eq!(order.total_minor(), 1_300);
        assert_eq!(order.items(), 3);
        assert_eq!(order.status, OrderStatus::PendingPayment);
    }

    #[test]
    fn bad_line_sets_are_refused() {
        assert_eq!(place(vec![]), Err(RegularOrderError::Empty));
        assert!(matches!(
            place(vec![line(1, 1, "EUR", 1), line(2, 1, "USD", 1)]),
            Err(RegularOrderError::MixedCurrencies(_, _))
        ));
        assert!(matches!(
            place(vec![line(1, 1, "EUR", 1), line(1, 1, "EUR", 2)]),
            Err(RegularOrderError::DuplicateProduct(_))
        ));
        assert_eq!(
            place(vec![line(1, 1, "EUR", MAX_LINE_QUANTITY + 1)]),
            Err(RegularOrderError::LineTooLarge {
                max: MAX_LINE_QUANTITY
            })
        );
        let many = (0..=MAX_CART_LINES as u128)
            .map(|n| line(n, 1, "EUR", 1))
            .collect();
        assert_eq!(
            place(many),
            Err(RegularOrderError::TooManyLines {
                max: MAX_CART_LINES
            })
        );
    }

    #[test]
    fn a_regular_order_follows_the_shared_lifecycle() {
        let mut order = place(vec![line(1, 100, "EUR", 1)]).unwrap();
        assert_eq!(order.pay(t(60), "ch"), Err(OrderError::PaymentWindowClosed));
        assert!(order.is_overdue(t(60)));
        order.pay(t(59), "ch").unwrap();
        assert_eq!(order.cancel_by_buyer(t(61)), Err(OrderError::AlreadyPaid));
        let mut late = place(vec![line(1, 100, "EUR", 1)]).unwrap();
        assert_eq!(late.expire(t(59)), Err(OrderError::NotDue));
        late.expire(t(60)).unwrap();
        assert_eq!(late.status, OrderStatus::Cancelled(CancelReason::Expired));
        let mut withdrawn = place(vec![line(1, 100, "EUR", 1)]).unwrap();
        withdrawn.cancel_by_buyer(t(1)).unwrap();
        assert_eq!(withdrawn.cancelled_at, Some(t(1)));
    }

    #[test]
    fn totals_are_kept_apart_per_currency() {
        let eur = Currency::parse("EUR").unwrap();
        let usd = Currency::parse("USD").unwrap();
        let two = Quantity::new(2).unwrap();
        let totals = totals_by_currency([
            (Money::new(100, eur).unwrap(), two),
            (Money::new(5, usd).unwrap(), Quantity::ONE),
            (Money::new(1, eur).unwrap(), Quantity::ONE),
        ]);
        assert_eq!(
            totals,
            vec![
                CurrencyTotal {
                    currency: eur,
                    total_minor: 201
                },
                CurrencyTotal {
                    currency: usd,
                    total_minor: 5
                }
            ]
        );
    }
}
