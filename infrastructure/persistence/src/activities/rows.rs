//! Converting between activity records and their two rows. Reading checks every stored value
//! against the domain's rules and reports a corrupt row instead of panicking.

use sea_orm::ActiveValue::Set;
use seckiller_domain::ports::{ActivityRecord, StorageError};
use seckiller_domain::{
    Activity, ActivityId, ActivityState, Currency, Money, Name, PaymentWindow, ProductId, Quantity,
    SaleWindow, StockLedger,
};
use uuid::Uuid;

use crate::entities::{activity, stock_ledger, stored};
use crate::error::corrupt;

pub(super) fn activity_row(activity: &Activity) -> activity::ActiveModel {
    activity::ActiveModel {
        id: Set(activity.id.as_uuid()),
        product_id: Set(activity.product_id.as_uuid()),
        title: Set(activity.title.as_str().to_owned()),
        sale_price_minor: Set(activity.sale_price.amount_minor()),
        currency: Set(activity.sale_price.currency().as_str().to_owned()),
        total_stock: Set(i64::from(activity.total_stock.get())),
        per_user_limit: Set(i64::from(activity.per_user_limit.get())),
        starts_at: Set(stored(activity.window.starts_at())),
        ends_at: Set(stored(activity.window.ends_at())),
        payment_window_seconds: Set(i64::from(activity.payment_window.seconds())),
        state: Set(activity.state.as_str().to_owned()),
        version: Set(activity.version),
        created_at: Set(stored(activity.created_at)),
        updated_at: Set(stored(activity.updated_at)),
    }
}

pub(super) fn ledger_row(id: ActivityId, stock: &StockLedger) -> stock_ledger::ActiveModel {
    stock_ledger::ActiveModel {
        activity_id: Set(id.as_uuid()),
        total: Set(i64::from(stock.total())),
        available: Set(i64::from(stock.available())),
        held: Set(i64::from(stock.held())),
        sold: Set(i64::from(stock.sold())),
    }
}

pub(super) fn to_record(
    row: activity::Model,
    ledger: Option<stock_ledger::Model>,
) -> Result<ActivityRecord, StorageError> {
    let ledger = ledger.ok_or_else(|| corrupt("activities", row.id, "no stock ledger"))?;
    Ok(ActivityRecord {
        stock: to_ledger(&ledger)?,
        activity: to_activity(row)?,
    })
}

fn to_activity(row: activity::Model) -> Result<Activity, StorageError> {
    let id = row.id;
    let bad = |problem: String| corrupt("activities", id, problem);
    let quantity = |column: &str, value: i64| {
        u32::try_from(value)
            .ok()
            .and_then(|n| Quantity::new(n).ok())
            .ok_or_else(|| bad(format!("{column} {value} is not a positive count")))
    };
    let currency =
        Currency::from_stored(&row.currency).map_err(|e| bad(format!("currency: {e}")))?;
    Ok(Activity {
        id: ActivityId::from_uuid(id),
        product_id: ProductId::from_uuid(row.product_id),
        title: Name::parse(&row.title).map_err(|e| bad(format!("title: {e}")))?,
        sale_price: Money::new(row.sale_price_minor, currency)
            .map_err(|e| bad(format!("sale price: {e}")))?,
        total_stock: quantity("total_stock", row.total_stock)?,
        per_user_limit: quantity("per_user_limit", row.per_user_limit)?,
        window: SaleWindow::new(row.starts_at, row.ends_at)
            .map_err(|e| bad(format!("window: {e}")))?,
        payment_window: PaymentWindow::from_seconds(row.payment_window_seconds)
            .map_err(|e| bad(format!("payment window: {e}")))?,
        state: ActivityState::parse(&row.state)
            .ok_or_else(|| bad(format!("unknown state {:?}", row.state)))?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn to_ledger(row: &stock_ledger::Model) -> Result<StockLedger, StorageError> {
    let id: Uuid = row.activity_id;
    let count = |column: &str, value: i64| {
        u32::try_from(value).map_err(|_| {
            corrupt(
                "stock_ledgers",
                id,
                format!("{column} {value} is out of range"),
            )
        })
    };
    StockLedger::from_counts(
        count("total", row.total)?,
        count("available", row.available)?,
        count("held", row.held)?,
        count("sold", row.sold)?,
    )
    .ok_or_else(|| corrupt("stock_ledgers", id, "counts do not add up to the total"))
}
