//! Regular orders to rows and back; every stored value is checked against the domain's rules.

use sea_orm::ActiveValue::Set;
use seckiller_domain::ports::StorageError;
use seckiller_domain::{
    Currency, Money, Name, OrderId, OrderLine, OrderStatus, ProductId, Quantity, RegularOrder,
    UserId,
};

use crate::entities::{regular_order, regular_order_line, stored};
use crate::error::corrupt;

pub(super) fn order_row(order: &RegularOrder) -> Result<regular_order::ActiveModel, StorageError> {
    let total = i64::try_from(order.total_minor())
        .map_err(|_| StorageError::from("order total out of range".to_owned()))?;
    Ok(regular_order::ActiveModel {
        id: Set(order.id.as_uuid()),
        buyer_id: Set(order.buyer_id.as_uuid()),
        currency: Set(order.currency.as_str().to_owned()),
        total_minor: Set(total),
        status: Set(order.status.as_str().to_owned()),
        created_at: Set(stored(order.created_at)),
        pay_deadline: Set(stored(order.pay_deadline)),
        paid_at: Set(order.paid_at.map(stored)),
        payment_ref: Set(order.payment_ref.clone()),
        cancelled_at: Set(order.cancelled_at.map(stored)),
        expired_at: Set(order.expired_at.map(stored)),
        released_at: Set(None),
    })
}

pub(super) fn line_rows(order: &RegularOrder) -> Vec<regular_order_line::ActiveModel> {
    order
        .lines
        .iter()
        .map(|line| regular_order_line::ActiveModel {
            order_id: Set(order.id.as_uuid()),
            product_id: Set(line.product_id.as_uuid()),
            name: Set(line.name.as_str().to_owned()),
            unit_price_minor: Set(line.unit_price.amount_minor()),
            quantity: Set(i32::try_from(line.quantity.get()).unwrap_or(i32::MAX)),
        })
        .collect()
}

/// An order from its row and its lines' rows (any order; they are sorted by product here).
pub(super) fn to_regular_order(
    row: regular_order::Model,
    mut lines: Vec<regular_order_line::Model>,
) -> Result<RegularOrder, StorageError> {
    let bad = |problem: String| corrupt("regular_orders", row.id, problem);
    let currency =
        Currency::from_stored(&row.currency).map_err(|e| bad(format!("currency: {e}")))?;
    let status = OrderStatus::parse(&row.status)
        .ok_or_else(|| bad(format!("unknown status {:?}", row.status)))?;
    lines.sort_by_key(|l| l.product_id);
    let lines = lines
        .into_iter()
        .map(|l| {
            Ok(OrderLine {
                product_id: ProductId::from_uuid(l.product_id),
                name: Name::parse(&l.name).map_err(|e| bad(format!("line name: {e}")))?,
                unit_price: Money::new(l.unit_price_minor, currency)
                    .map_err(|e| bad(format!("line price: {e}")))?,
                quantity: u32::try_from(l.quantity)
                    .ok()
                    .and_then(|n| Quantity::new(n).ok())
                    .ok_or_else(|| bad(format!("line quantity {}", l.quantity)))?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    if lines.is_empty() {
        return Err(bad("no lines".to_owned()));
    }
    Ok(RegularOrder {
        id: OrderId::from_uuid(row.id),
        buyer_id: UserId::from_uuid(row.buyer_id),
        lines,
        currency,
        status,
        created_at: row.created_at,
        pay_deadline: row.pay_deadline,
        paid_at: row.paid_at,
        payment_ref: row.payment_ref,
        cancelled_at: row.cancelled_at,
        expired_at: row.expired_at,
    })
}
