//! The activity: one product on sale at a special price, with a fixed stock, a per-buyer limit and
//! a sale window. Its lifecycle is Draft → Published → (Cancelled); whether it is upcoming, open,
//! sold out or ended is not stored but derived from the clock and the stock, so it can never be
//! stale.

mod window;

use chrono::{DateTime, Utc};

pub use window::{PaymentWindow, SaleWindow};

use crate::ids::{ActivityId, ProductId};
use crate::money::Money;
use crate::quantity::Quantity;
use crate::text::Name;

/// The most stock one activity may sell; a flash sale of more is a warehouse, not a sale.
pub const MAX_TOTAL_STOCK: u32 = 10_000_000;
/// The highest per-buyer limit.
pub const MAX_PER_USER_LIMIT: u32 = 1_000;

/// Why an activity change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivityError {
    /// The whole window lies in the past.
    #[error("the sale window has already ended")]
    WindowInPast,
    /// The end is not after the start.
    #[error("the sale must end after it starts")]
    EndBeforeStart,
    /// The payment window is outside the allowed range.
    #[error("the payment window must be between {min} and {max} seconds")]
    BadPaymentWindow {
        /// Shortest allowed, in seconds.
        min: u32,
        /// Longest allowed, in seconds.
        max: u32,
    },
    /// Published and already started: stock, price and times are frozen.
    #[error("the sale has started; it can no longer be edited")]
    AlreadyStarted,
    /// Publishing twice.
    #[error("the activity is already published")]
    AlreadyPublished,
    /// Cancelled activities are final.
    #[error("the activity is cancelled")]
    Cancelled,
    /// The sale price is zero: a flash sale sells, it does not give away.
    #[error("the sale price must be above zero")]
    FreeSale,
    /// The sale is over.
    #[error("the sale has ended")]
    Ended,
}

/// Where an activity is in its lifecycle, as decided by its admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityState {
    /// Being prepared; invisible to buyers.
    Draft,
    /// Visible to buyers; sells during its window.
    Published,
    /// Called off; sells nothing.
    Cancelled,
}

impl ActivityState {
    /// The stable name used in storage.
    pub fn as_str(&self) -> &'static str {
        match self {
            ActivityState::Draft => "draft",
            ActivityState::Published => "published",
            ActivityState::Cancelled => "cancelled",
        }
    }

    /// Reads a stored state name back.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "draft" => Some(ActivityState::Draft),
            "published" => Some(ActivityState::Published),
            "cancelled" => Some(ActivityState::Cancelled),
            _ => None,
        }
    }
}

/// What a buyer would see right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Not published yet.
    Draft,
    /// Published, before its start.
    Upcoming,
    /// Selling.
    Open,
    /// Inside the window, but nothing left to sell.
    SoldOut,
    /// After its end.
    Ended,
    /// Called off.
    Cancelled,
}

impl Phase {
    /// The stable name used in the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Draft => "draft",
            Phase::Upcoming => "upcoming",
            Phase::Open => "open",
            Phase::SoldOut => "sold_out",
            Phase::Ended => "ended",
            Phase::Cancelled => "cancelled",
        }
    }
}

/// What an admin supplies to plan a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    /// The product on sale.
    pub product_id: ProductId,
    /// Headline shown to buyers.
    pub title: Name,
    /// The flash-sale price of one item.
    pub sale_price: Money,
    /// How many items the sale has.
    pub total_stock: Quantity,
    /// How many one buyer may get.
    pub per_user_limit: Quantity,
    /// When it sells.
    pub window: SaleWindow,
    /// How long a buyer has to pay an order.
    pub payment_window: PaymentWindow,
}

/// A partial edit; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityChanges {
    /// New headline.
    pub title: Option<Name>,
    /// New sale price.
    pub sale_price: Option<Money>,
    /// New stock.
    pub total_stock: Option<Quantity>,
    /// New per-buyer limit.
    pub per_user_limit: Option<Quantity>,
    /// New opening instant.
    pub starts_at: Option<DateTime<Utc>>,
    /// New closing instant.
    pub ends_at: Option<DateTime<Utc>>,
    /// New payment window.
    pub payment_window: Option<PaymentWindow>,
}

/// One product on sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Its id.
    pub id: ActivityId,
    /// The product on sale.
    pub product_id: ProductId,
    /// Headline shown to buyers.
    pub title: Name,
    /// The flash-sale price of one item.
    pub sale_price: Money,
    /// How many items the sale has.
    pub total_stock: Quantity,
    /// How many one buyer may get.
    pub per_user_limit: Quantity,
    /// When it sells.
    pub window: SaleWindow,
    /// How long a buyer has to pay an order.
    pub payment_window: PaymentWindow,
    /// The admin's decision.
    pub state: ActivityState,
    /// Bumped on every change, so two concurrent edits cannot silently overwrite each other.
    pub version: i64,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Activity {
    /// Plans a new sale as a draft.
    ///
    /// # Errors
    /// [`ActivityError::WindowInPast`] when the window has already ended,
    /// [`ActivityError::FreeSale`] when the sale price is zero.
    pub fn plan(
        id: ActivityId,
        new: NewActivity,
        now: DateTime<Utc>,
    ) -> Result<Self, ActivityError> {
        if new.window.has_ended(now) {
            return Err(ActivityError::WindowInPast);
        }
        if new.sale_price.amount_minor() == 0 {
            return Err(ActivityError::FreeSale);
        }
        Ok(Self {
            id,
            product_id: new.product_id,
            title: new.title,
            sale_price: new.sale_price,
            total_stock: new.total_stock,
            per_user_limit: new.per_user_limit,
            window: new.window,
            payment_window: new.payment_window,
            state: ActivityState::Draft,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// Applies an edit. Refused once a published sale has started (buyers may hold stock at the
    /// advertised terms) and on cancelled activities.
    ///
    /// # Errors
    /// [`ActivityError::Cancelled`], [`ActivityError::AlreadyStarted`],
    /// [`ActivityError::EndBeforeStart`], [`ActivityError::FreeSale`] for a price of zero, or
    /// [`ActivityError::WindowInPast`] when the new window has already ended.
    pub fn edit(
        &mut self,
        changes: ActivityChanges,
        now: DateTime<Utc>,
    ) -> Result<(), ActivityError> {
        match self.state {
            ActivityState::Cancelled => return Err(ActivityError::Cancelled),
            ActivityState::Published if self.window.has_started(now) => {
                return Err(ActivityError::AlreadyStarted);
            }
            ActivityState::Published | ActivityState::Draft => {}
        }
        if changes.sale_price.is_some_and(|p| p.amount_minor() == 0) {
            return Err(ActivityError::FreeSale);
        }
        let window = SaleWindow::new(
            changes.starts_at.unwrap_or(self.window.starts_at()),
            changes.ends_at.unwrap_or(self.window.ends_at()),
        )?;
        if window.has_ended(now) {
            return Err(ActivityError::WindowInPast);
        }
        self.window = window;
        if let Some(title) = changes.title {
            self.title = title;
        }
        if let Some(price) = changes.sale_price {
            self.sale_price = price;
        }
        if let Some(stock) = changes.total_stock {
            self.total_stock = stock;
        }
        if let Some(limit) = changes.per_user_limit {
            self.per_user_limit = limit;
        }
        if let Some(payment_window) = changes.payment_window {
            self.payment_window = payment_window;
        }
        self.touch(now);
        Ok(())
    }

    /// Makes a draft visible to buyers.
    ///
    /// # Errors
    /// [`ActivityError::AlreadyPublished`], [`ActivityError::Cancelled`], or
    /// [`ActivityError::Ended`] when the window is already over.
    pub fn publish(&mut self, now: DateTime<Utc>) -> Result<(), ActivityError> {
        match self.state {
            ActivityState::Published => Err(ActivityError::AlreadyPublished),
            ActivityState::Cancelled => Err(ActivityError::Cancelled),
            ActivityState::Draft if self.window.has_ended(now) => Err(ActivityError::Ended),
            ActivityState::Draft => {
                self.state = ActivityState::Published;
                self.touch(now);
                Ok(())
            }
        }
    }

    /// Calls the sale off.
    ///
    /// # Errors
    /// [`ActivityError::Cancelled`] when already cancelled, [`ActivityError::Ended`] when a
    /// published sale is already over (its result stands).
    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<(), ActivityError> {
        match self.state {
            ActivityState::Cancelled => Err(ActivityError::Cancelled),
            ActivityState::Published if self.window.has_ended(now) => Err(ActivityError::Ended),
            ActivityState::Published | ActivityState::Draft => {
                self.state = ActivityState::Cancelled;
                self.touch(now);
                Ok(())
            }
        }
    }

    /// What buyers see at `now`, given how much stock is still available.
    pub fn phase(&self, now: DateTime<Utc>, available: u32) -> Phase {
        match self.state {
            ActivityState::Draft => Phase::Draft,
            ActivityState::Cancelled => Phase::Cancelled,
            ActivityState::Published if !self.window.has_started(now) => Phase::Upcoming,
            ActivityState::Published if self.window.has_ended(now) => Phase::Ended,
            ActivityState::Published if available == 0 => Phase::SoldOut,
            ActivityState::Published => Phase::Open,
        }
    }

    fn touch(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests;
