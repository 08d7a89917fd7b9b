//! Reading orders and rejections back. Every stored value is checked against the domain's rules;
//! a row that breaks one is reported as corrupt instead of panicking.

use seckiller_domain::ports::{Rejection, StorageError};
use seckiller_domain::{
    ActivityId, Currency, Money, Order, OrderId, OrderStatus, PurchaseId, Quantity, UserId,
};

use crate::entities::{order, purchase_rejection};
use crate::error::corrupt;

pub(super) fn to_order(row: order::Model) -> Result<Order, StorageError> {
    let bad = |problem: String| corrupt("orders", row.id, problem);
    let quantity = u32::try_from(row.quantity)
        .ok()
        .and_then(|n| Quantity::new(n).ok())
        .ok_or_else(|| bad(format!("quantity {} is not a positive count", row.quantity)))?;
    let currency =
        Currency::from_stored(&row.currency).map_err(|e| bad(format!("currency: {e}")))?;
    let unit_price =
        Money::new(row.unit_price_minor, currency).map_err(|e| bad(format!("unit price: {e}")))?;
    let status = OrderStatus::parse(&row.status)
        .ok_or_else(|| bad(format!("unknown status {:?}", row.status)))?;
    Ok(Order {
        id: OrderId::from_uuid(row.id),
        purchase_id: PurchaseId::from_uuid(row.purchase_id),
        activity_id: ActivityId::from_uuid(row.activity_id),
        buyer_id: UserId::from_uuid(row.buyer_id),
        quantity,
        unit_price,
        status,
        created_at: row.created_at,
        pay_deadline: row.pay_deadline,
        paid_at: row.paid_at,
        payment_ref: row.payment_ref,
        cancelled_at: row.cancelled_at,
        expired_at: row.expired_at,
    })
}

pub(super) fn to_rejection(row: purchase_rejection::Model) -> Rejection {
    Rejection {
        purchase_id: PurchaseId::from_uuid(row.purchase_id),
        activity_id: ActivityId::from_uuid(row.activity_id),
        buyer_id: UserId::from_uuid(row.buyer_id),
        reason: row.reason,
        rejected_at: row.rejected_at,
    }
}
