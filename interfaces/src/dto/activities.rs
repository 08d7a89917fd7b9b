//! Activities on the wire.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use seckiller_application::activities::ActivityView;
use seckiller_domain::activity::{MAX_PER_USER_LIMIT, MAX_TOTAL_STOCK};
use seckiller_domain::{
    ActivityChanges, Name, NewActivity, PaymentWindow, Phase, ProductId, Quantity, SaleWindow,
};
use uuid::Uuid;

use super::MoneyDto;
use super::wire::{Integer, NameText, Text};
use crate::problem::ApiError;

/// Items for sale in one activity, as the document bounds them.
type StockField = Integer<1, { MAX_TOTAL_STOCK as i64 }>;
/// Items one buyer may get, as the document bounds them.
type LimitField = Integer<1, { MAX_PER_USER_LIMIT as i64 }>;
/// A payment window in seconds, as the document bounds it.
type PaymentWindowField =
    Integer<{ PaymentWindow::MIN_SECONDS as i64 }, { PaymentWindow::MAX_SECONDS as i64 }>;

/// Where a sale is, as of the answer's `server_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "Phase", rename_all = "snake_case")]
pub(crate) enum PhaseDto {
    /// Not published (admins only).
    Draft,
    /// Published, not started.
    Upcoming,
    /// Selling.
    Open,
    /// Inside its window with nothing left.
    SoldOut,
    /// Over.
    Ended,
    /// Called off.
    Cancelled,
}

impl From<Phase> for PhaseDto {
    fn from(p: Phase) -> Self {
        match p {
            Phase::Draft => Self::Draft,
            Phase::Upcoming => Self::Upcoming,
            Phase::Open => Self::Open,
            Phase::SoldOut => Self::SoldOut,
            Phase::Ended => Self::Ended,
            Phase::Cancelled => Self::Cancelled,
        }
    }
}

impl From<PhaseDto> for Phase {
    fn from(p: PhaseDto) -> Self {
        match p {
            PhaseDto::Draft => Self::Draft,
            PhaseDto::Upcoming => Self::Upcoming,
            PhaseDto::Open => Self::Open,
            PhaseDto::SoldOut => Self::SoldOut,
            PhaseDto::Ended => Self::Ended,
            PhaseDto::Cancelled => Self::Cancelled,
        }
    }
}

fn title(text: &Text<NameText>) -> Result<Name, ApiError> {
    Name::parse(text.within_limit("title")?).map_err(|e| ApiError::invalid("title", e))
}

fn stock(field: &str, n: StockField) -> Result<Quantity, ApiError> {
    Quantity::bounded(n.get(), MAX_TOTAL_STOCK).map_err(|e| ApiError::invalid(field, e))
}

fn limit(field: &str, n: LimitField) -> Result<Quantity, ApiError> {
    Quantity::bounded(n.get(), MAX_PER_USER_LIMIT).map_err(|e| ApiError::invalid(field, e))
}

fn payment_window(seconds: PaymentWindowField) -> Result<PaymentWindow, ApiError> {
    PaymentWindow::from_seconds(seconds.get())
        .map_err(|e| ApiError::invalid("payment_window_seconds", e))
}

/// A new sale (created as a draft).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ActivityRequest {
    /// The product on sale.
    pub product_id: Uuid,
    /// Headline, 1–120 characters.
    pub title: Text<NameText>,
    /// Sale price of one item, in the product's currency.
    pub sale_price: MoneyDto,
    /// Items for sale, 1 to 10,000,000.
    pub total_stock: StockField,
    /// Items one buyer may get, 1 to 1,000.
    pub per_user_limit: LimitField,
    /// Opening instant (RFC 3339).
    pub starts_at: DateTime<Utc>,
    /// Closing instant, after the opening.
    pub ends_at: DateTime<Utc>,
    /// Seconds a winner has to pay, 1 to 86,400; default 900.
    pub payment_window_seconds: Option<PaymentWindowField>,
}

impl ActivityRequest {
    /// The checked domain value.
    pub(crate) fn parse(&self) -> Result<NewActivity, ApiError> {
        Ok(NewActivity {
            product_id: ProductId::from_uuid(self.product_id),
            title: title(&self.title)?,
            sale_price: self.sale_price.parse("sale_price")?,
            total_stock: stock("total_stock", self.total_stock)?,
            per_user_limit: limit("per_user_limit", self.per_user_limit)?,
            window: SaleWindow::new(self.starts_at, self.ends_at)
                .map_err(|e| ApiError::invalid("ends_at", e))?,
            payment_window: self
                .payment_window_seconds
                .map(payment_window)
                .transpose()?
                .unwrap_or(PaymentWindow::DEFAULT),
        })
    }
}

/// A partial edit of a sale that has not started; absent fields stay.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct ActivityPatch {
    /// New headline.
    pub title: Option<Text<NameText>>,
    /// New sale price.
    pub sale_price: Option<MoneyDto>,
    /// New stock.
    pub total_stock: Option<StockField>,
    /// New per-buyer limit.
    pub per_user_limit: Option<LimitField>,
    /// New opening instant.
    pub starts_at: Option<DateTime<Utc>>,
    /// New closing instant.
    pub ends_at: Option<DateTime<Utc>>,
    /// New payment window in seconds.
    pub payment_window_seconds: Option<PaymentWindowField>,
}

impl ActivityPatch {
    /// The checked domain value.
    pub(crate) fn parse(&self) -> Result<ActivityChanges, ApiError> {
        Ok(ActivityChanges {
            title: self.title.as_ref().map(title).transpose()?,
            sale_price: self
                .sale_price
                .as_ref()
                .map(|p| p.parse("sale_price"))
                .transpose()?,
            total_stock: self
                .total_stock
                .map(|n| stock("total_stock", n))
                .transpose()?,
            per_user_limit: self
                .per_user_limit
                .map(|n| limit("per_user_limit", n))
                .transpose()?,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            payment_window: self
                .payment_window_seconds
                .map(payment_window)
                .transpose()?,
        })
    }
}

/// A sale as seen at `server_time`.
#[derive(Debug, Object)]
#[oai(rename = "Activity")]
pub(crate) struct ActivityDto {
    /// Activity id.
    pub id: Uuid,
    /// The product on sale.
    pub product_id: Uuid,
    /// Headline.
    pub title: String,
    /// Sale price of one item.
    pub sale_price: MoneyDto,
    /// Items the sale started with.
    pub total_stock: u32,
    /// Items still available (approximate while a sale is running).
    pub remaining_stock: u32,
    /// Items one buyer may get.
    pub per_user_limit: u32,
    /// Opening instant.
    pub starts_at: DateTime<Utc>,
    /// Closing instant.
    pub ends_at: DateTime<Utc>,
    /// Seconds a winner has to pay.
    pub payment_window_seconds: u32,
    /// Where the sale is now.
    pub phase: PhaseDto,
    /// Bumped on every change.
    pub version: i64,
    /// The server's clock when this answer was made; count down against it, not the device clock.
    pub server_time: DateTime<Utc>,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ActivityView> for ActivityDto {
    fn from(v: ActivityView) -> Self {
        let a = v.activity;
        Self {
            id: a.id.as_uuid(),
            product_id: a.product_id.as_uuid(),
            title: a.title.as_str().to_owned(),
            sale_price: a.sale_price.into(),
            total_stock: a.total_stock.get(),
            remaining_stock: v.stock.available(),
            per_user_limit: a.per_user_limit.get(),
            starts_at: a.window.starts_at(),
            ends_at: a.window.ends_at(),
            payment_window_seconds: a.payment_window.seconds(),
            phase: v.phase.into(),
            version: a.version,
            server_time: v.as_of,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}
