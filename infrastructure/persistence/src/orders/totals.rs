//! Reading an activity's orders as a whole: counts and items by status, for the ledger check and
//! stats, and the live and ended orders from which a stock gate that lost its data is rebuilt.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use seckiller_domain::ports::{OrderTotals, StorageError};
use seckiller_domain::{ActivityId, Order, OrderStatus};

use super::rows::to_order;
use crate::entities::order;
use crate::error::storage;

/// Orders and items of `activity` by status, in one grouped query.
pub(super) async fn totals(
    connection: &DatabaseConnection,
    activity: ActivityId,
) -> Result<OrderTotals, StorageError> {
    // SUM of a bigint is numeric on Postgres; the cast brings both backends to one type.
    let groups: Vec<(String, i64, i64)> = order::Entity::find()
        .select_only()
        .column(order::Column::Status)
        .expr_as(Expr::cust("COUNT(*)"), "orders")
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(quantity), 0) AS BIGINT)"),
            "items",
        )
        .filter(order::Column::ActivityId.eq(activity.as_uuid()))
        .group_by(order::Column::Status)
        .into_tuple()
        .all(connection)
        .await
        .map_err(storage)?;
    let bad = |problem: String| {
        StorageError::from(format!("order totals of activity {activity}: {problem}"))
    };
    let mut totals = OrderTotals::default();
    for (name, orders, items) in groups {
        let count = |value: i64| u64::try_from(value).map_err(|_| bad(format!("{value} < 0")));
        let (orders, items) = (count(orders)?, count(items)?);
        match OrderStatus::parse(&name) {
            Some(OrderStatus::PendingPayment) => {
                totals.pending_items += items;
                totals.live_orders += orders;
            }
            Some(OrderStatus::Paid) => {
                totals.paid_items += items;
                totals.live_orders += orders;
            }
            Some(OrderStatus::Cancelled(_)) => totals.cancelled_items += items,
            None => return Err(bad(format!("unknown status {name:?}"))),
        }
    }
    Ok(totals)
}

/// Every pending and paid order of `activity` (`live`), or every other one, oldest first.
pub(super) async fn orders_by_liveness(
    connection: &DatabaseConnection,
    activity: ActivityId,
    live: bool,
) -> Result<Vec<Order>, StorageError> {
    let live_statuses = [OrderStatus::PendingPayment, OrderStatus::Paid].map(|s| s.as_str());
    let status = match live {
        true => order::Column::Status.is_in(live_statuses),
        false => order::Column::Status.is_not_in(live_statuses),
    };
    let rows = order::Entity::find()
        .filter(order::Column::ActivityId.eq(activity.as_uuid()))
        .filter(status)
        .order_by_asc(order::Column::CreatedAt)
        .order_by_asc(order::Column::Id)
        .all(connection)
        .await
        .map_err(storage)?;
    rows.into_iter().map(to_order).collect()
}
