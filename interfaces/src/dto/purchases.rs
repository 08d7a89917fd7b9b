//! Purchase tokens, purchases, orders and sale statistics on the wire.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use seckiller_application::purchases::{PurchaseStatus, PurchaseToken};
use seckiller_application::stats::ActivityStats;
use seckiller_domain::activity::MAX_PER_USER_LIMIT;
use seckiller_domain::{Order, PurchaseId, Quantity};
use uuid::Uuid;

use super::MoneyDto;
use super::wire::{AnyText, Integer, Text};
use crate::problem::ApiError;

/// A purchase token: send it with the purchase.
#[derive(Debug, Object)]
#[oai(rename = "PurchaseToken")]
pub(crate) struct PurchaseTokenDto {
    /// The token, good for this buyer and this sale only.
    pub token: String,
    /// It stops working at this instant; ask for a new one after.
    pub expires_at: DateTime<Utc>,
}

impl From<PurchaseToken> for PurchaseTokenDto {
    fn from(t: PurchaseToken) -> Self {
        Self {
            token: t.token,
            expires_at: t.expires_at,
        }
    }
}

/// A purchase attempt.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub(crate) struct PurchaseRequestDto {
    /// The token from `POST /activities/{id}/purchase-tokens`.
    pub purchase_token: Text<AnyText>,
    /// How many items (default 1), at most the sale's per-buyer limit.
    pub quantity: Option<Integer<1, { MAX_PER_USER_LIMIT as i64 }>>,
}

impl PurchaseRequestDto {
    /// The checked quantity.
    pub(crate) fn quantity(&self) -> Result<Quantity, ApiError> {
        Quantity::bounded(self.quantity.map_or(1, Integer::get), MAX_PER_USER_LIMIT)
            .map_err(|e| ApiError::invalid("quantity", e))
    }
}

/// Where a purchase is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "PurchaseState", rename_all = "snake_case")]
pub(crate) enum PurchaseStateDto {
    /// Accepted and durable; its order is being written.
    Pending,
    /// Its order exists: see `order_id`.
    Ordered,
    /// It could not become an order: see `reason`.
    Rejected,
}

/// A purchase and what became of it.
#[derive(Debug, Object)]
#[oai(rename = "Purchase")]
pub(crate) struct PurchaseDto {
    /// The purchase id.
    pub purchase_id: Uuid,
    /// Where it is.
    pub status: PurchaseStateDto,
    /// Its order, once it exists.
    pub order_id: Option<Uuid>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Where to ask again (long poll with `?wait=5`).
    pub status_url: String,
}

impl PurchaseDto {
    /// A purchase in the given state.
    pub(crate) fn from_status(id: PurchaseId, status: PurchaseStatus) -> Self {
        let status_url = format!("/api/v1/purchases/{id}");
        let (status, order_id, reason) = match status {
            PurchaseStatus::Pending => (PurchaseStateDto::Pending, None, None),
            PurchaseStatus::Ordered(order) => {
                (PurchaseStateDto::Ordered, Some(order.id.as_uuid()), None)
            }
            PurchaseStatus::Rejected { reason } => (PurchaseStateDto::Rejected, None, Some(reason)),
        };
        Self {
            purchase_id: id.as_uuid(),
            status,
            order_id,
            reason,
            status_url,
        }
    }
}

/// An order.
#[derive(Debug, Object)]
#[oai(rename = "Order")]
pub(crate) struct OrderDto {
    /// Order id.
    pub id: Uuid,
    /// The purchase it was born from.
    pub purchase_id: Uuid,
    /// The sale.
    pub activity_id: Uuid,
    /// Items.
    pub quantity: u32,
    /// Price of one item.
    pub unit_price: MoneyDto,
    /// What is owed, in minor units of the unit price's currency.
    pub total_minor: i64,
    /// `pending_payment`, `paid`, `expired`, `cancelled_by_buyer` or `cancelled_by_admin`.
    pub status: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Pay before this instant.
    pub pay_deadline: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// When it was cancelled by its buyer or with its sale; null for an expired order.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When it expired unpaid (status `expired`).
    pub expired_at: Option<DateTime<Utc>>,
    /// The payment provider's reference of the charge that paid it.
    pub payment_ref: Option<String>,
}

impl From<Order> for OrderDto {
    fn from(o: Order) -> Self {
        Self {
            id: o.id.as_uuid(),
            purchase_id: o.purchase_id.as_uuid(),
            activity_id: o.activity_id.as_uuid(),
            quantity: o.quantity.get(),
            unit_price: o.unit_price.into(),
            // Price ≤ 10^12 and quantity ≤ the per-buyer limit: the total fits an i64.
            total_minor: i64::try_from(o.total_minor()).unwrap_or(i64::MAX),
            status: o.status.as_str().to_owned(),
            created_at: o.created_at,
            pay_deadline: o.pay_deadline,
            paid_at: o.paid_at,
            cancelled_at: o.cancelled_at,
            expired_at: o.expired_at,
            payment_ref: o.payment_ref,
        }
    }
}

/// A sale's numbers: the database ledger next to the gate and the queue.
#[derive(Debug, Object)]
#[oai(rename = "ActivityStats")]
pub(crate) struct StatsDto {
    /// Stock the sale has.
    pub total: u32,
    /// Available in the database ledger.
    pub available: u32,
    /// Held by orders awaiting payment.
    pub held: u32,
    /// Paid for.
    pub sold: u32,
    /// Available in the gate (null when not loaded).
    pub gate_available: Option<u32>,
    /// Orders not cancelled.
    pub live_orders: u64,
    /// Items in those orders.
    pub live_items: u64,
    /// Accepted purchases not yet written as orders (all sales).
    pub queue_lag: u64,
    /// True when every stock invariant holds: total = available + held + sold, held and sold
    /// match the orders, and (with the queue drained) the gate matches the database.
    pub balanced: bool,
    /// Each broken invariant, in words.
    pub problems: Vec<String>,
    /// This node's circuit breakers around its dependencies, and where each stands.
    pub breakers: Vec<BreakerDto>,
}

/// One circuit breaker of the node that answered.
#[derive(Debug, Clone, Object)]
pub(crate) struct BreakerDto {
    /// The dependency it guards: `redis`, `nats` or `database`.
    pub dependency: String,
    /// `closed` (calls go through), `open` (refused at once) or `half_open` (one probe is on
    /// its way).
    pub state: String,
}

impl From<ActivityStats> for StatsDto {
    fn from(s: ActivityStats) -> Self {
        Self {
            total: s.total,
            available: s.available,
            held: s.held,
            sold: s.sold,
            gate_available: s.gate_available,
            live_orders: s.live_orders,
            live_items: s.live_items,
            queue_lag: s.queue_lag,
            balanced: s.problems.is_empty(),
            problems: s.problems,
            breakers: Vec::new(),
        }
    }
}
