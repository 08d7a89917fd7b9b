//! The JSON form of a purchase on the queue. Domain types carry no serde; this DTO is the only
//! wire format, and decoding re-checks every domain rule so a bad message becomes poison instead
//! of a bad order.

use chrono::{DateTime, Utc};
use seckiller_domain::{ActivityId, Currency, Money, Purchase, PurchaseId, Quantity, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A purchase as published. Fields are only ever added, with defaults, so old and new nodes can
/// read each other's messages during a rolling upgrade.
#[derive(Debug, Serialize, Deserialize)]
struct PurchaseMessage {
    id: Uuid,
    activity_id: Uuid,
    buyer_id: Uuid,
    quantity: u32,
    unit_price_minor: i64,
    currency: String,
    /// RFC 3339 with nanoseconds: the full precision of the domain value.
    accepted_at: DateTime<Utc>,
}

/// The message body for `purchase`.
pub(crate) fn encode(purchase: &Purchase) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&PurchaseMessage {
        id: purchase.id.as_uuid(),
        activity_id: purchase.activity_id.as_uuid(),
        buyer_id: purchase.buyer_id.as_uuid(),
        quantity: purchase.quantity.get(),
        unit_price_minor: purchase.unit_price.amount_minor(),
        currency: purchase.unit_price.currency().as_str().to_owned(),
        accepted_at: purchase.accepted_at,
    })
}

/// The purchase in a message body, or why it is not one (the reason a poison message carries).
pub(crate) fn decode(payload: &[u8]) -> Result<Purchase, String> {
    let message: PurchaseMessage =
        serde_json::from_slice(payload).map_err(|err| format!("not a purchase message: {err}"))?;
    let quantity = Quantity::new(message.quantity).map_err(|err| format!("bad quantity: {err}"))?;
    let currency =
        Currency::from_stored(&message.currency).map_err(|err| format!("bad currency: {err}"))?;
    let unit_price = Money::new(message.unit_price_minor, currency)
        .map_err(|err| format!("bad unit price: {err}"))?;
    Ok(Purchase {
        id: PurchaseId::from_uuid(message.id),
        activity_id: ActivityId::from_uuid(message.activity_id),
        buyer_id: UserId::from_uuid(message.buyer_id),
        quantity,
        unit_price,
        accepted_at: message.accepted_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase() -> Purchase {
        Purchase {
            id: PurchaseId::from_uuid(Uuid::now_v7()),
            activity_id: ActivityId::from_uuid(Uuid::now_v7()),
            buyer_id: UserId::from_uuid(Uuid::now_v7()),
            quantity: Quantity::new(3).unwrap(),
            unit_price: Money::new(1_999, Currency::parse("EUR").unwrap()).unwrap(),
            accepted_at: Utc::now(),
        }
    }

    #[test]
    fn a_purchase_survives_the_wire_exactly() {
        let original = purchase();
        let decoded = decode(&encode(&original).unwrap()).unwrap();
        assert_eq!(decoded, original);
    }

    #[test]
    fn garbage_is_not_a_purchase() {
        let reason = decode(b"\x00garbage").unwrap_err();
        assert!(reason.starts_with("not a purchase message"), "{reason}");
    }

    #[test]
    fn a_message_breaking_a_domain_rule_is_not_a_purchase() {
        let mut json: serde_json::Value =
            serde_json::from_slice(&encode(&purchase()).unwrap()).unwrap();
        json["quantity"] = 0.into();
        let reason = decode(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert!(reason.starts_with("bad quantity"), "{reason}");

        let mut json: serde_json::Value =
            serde_json::from_slice(&encode(&purchase()).unwrap()).unwrap();
        json["currency"] = "euro".into();
        let reason = decode(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert!(reason.starts_with("bad currency"), "{reason}");

        let mut json: serde_json::Value =
            serde_json::from_slice(&encode(&purchase()).unwrap()).unwrap();
        json["unit_price_minor"] = (-1).into();
        let reason = decode(&serde_json::to_vec(&json).unwrap()).unwrap_err();
        assert!(reason.starts_with("bad unit price"), "{reason}");
    }
}
