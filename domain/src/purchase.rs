//! A purchase: a buyer's accepted claim on stock, made at the gate in the hot path. It becomes an
//! order asynchronously; its id is the de-duplication key that makes that exactly-once.

use chrono::{DateTime, Utc};

use crate::ids::{ActivityId, PurchaseId, UserId};
use crate::money::Money;
use crate::quantity::Quantity;

/// An accepted claim on stock, not yet an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    /// Its id (UUIDv7): also the id of the queue message and the unique key of its order.
    pub id: PurchaseId,
    /// The sale.
    pub activity_id: ActivityId,
    /// Who bought.
    pub buyer_id: UserId,
    /// How many items.
    pub quantity: Quantity,
    /// The sale price of one item when the claim was made.
    pub unit_price: Money,
    /// When the gate accepted it.
    pub accepted_at: DateTime<Utc>,
}
