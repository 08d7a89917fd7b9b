//! Gate test data: every call makes fresh ids, so checks sharing one gate never meet, and every
//! purchase carries a full-precision time, so an adapter that rounds it fails a round trip.

use chrono::Utc;
use seckiller_domain::{ActivityId, Currency, Money, Purchase, PurchaseId, Quantity, UserId};
use uuid::Uuid;

/// An activity id no other check uses.
pub fn an_activity_id() -> ActivityId {
    ActivityId::from_uuid(Uuid::now_v7())
}

/// A buyer no other check uses.
pub fn a_buyer() -> UserId {
    UserId::from_uuid(Uuid::now_v7())
}

/// A count of `n` (at least 1).
pub fn items(n: u32) -> Quantity {
    Quantity::new(n).expect("a fixture count is positive")
}

/// A new purchase of `quantity` items by `buyer` at 99.90 EUR each, made now (nanoseconds kept).
pub fn a_purchase(activity_id: ActivityId, buyer_id: UserId, quantity: u32) -> Purchase {
    Purchase {
        id: PurchaseId::from_uuid(Uuid::now_v7()),
        activity_id,
        buyer_id,
        quantity: items(quantity),
        unit_price: Money::new(
            9_990,
            Currency::parse("EUR").expect("a fixture currency is valid"),
        )
        .expect("a fixture price is valid"),
        accepted_at: Utc::now(),
    }
}
