//! The stored form of a queued purchase: JSON of a private DTO, so the domain type carries no
//! serde and the format only changes on purpose here.

use chrono::{DateTime, Utc};
use seckiller_domain::{ActivityId, Currency, Money, Purchase, PurchaseId, Quantity, UserId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A purchase on the queue. `accepted_at` is RFC 3339 with every digit chrono keeps
/// (nanoseconds), so a purchase comes back exactly as it was published.
#[derive(Debug, Serialize, Deserialize)]
struct PurchaseMessage {
    id: Uuid,
    activity_id: Uuid,
    buyer_id: Uuid,
    quantity: u32,
    unit_price_minor: i64,
    currency: String,
    accepted_at: DateTime<Utc>,
}

/// The payload stored for `purchase`.
pub(super) fn encode(purchase: &Purchase) -> Result<String, serde_json::Error> {
    serde_json::to_string(&PurchaseMessage {
        id: purchase.id.as_uuid(),
        activity_id: purchase.activity_id.as_uuid(),
        buyer_id: purchase.buyer_id.as_uuid(),
        quantity: purchase.quantity.get(),
        unit_price_minor: purchase.unit_price.amount_minor(),
        currency: purchase.unit_price.currency().as_str().to_owned(),
        accepted_at: purchase.accepted_at,
    })
}

/// The purchase stored as `payload`, or why it cannot be one.
pub(super) fn decode(payload: &str) -> Result<Purchase, String> {
    let message: PurchaseMessage =
        serde_json::from_str(payload).map_err(|e| format!("unreadable purchase: {e}"))?;
    let currency =
        Currency::from_stored(&message.currency).map_err(|e| format!("currency: {e}"))?;
    Ok(Purchase {
        id: PurchaseId::from_uuid(message.id),
        activity_id: ActivityId::from_uuid(message.activity_id),
        buyer_id: UserId::from_uuid(message.buyer_id),
        quantity: Quantity::new(message.quantity).map_err(|e| format!("quantity: {e}"))?,
        unit_price: Money::new(message.unit_price_minor, currency)
            .map_err(|e| format!("unit price: {e}"))?,
        accepted_at: message.accepted_at,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn a_purchase() -> Purchase {
        Purchase {
            id: PurchaseId::from_uuid(Uuid::now_v7()),
            activity_id: ActivityId::from_uuid(Uuid::now_v7()),
            buyer_id: UserId::from_uuid(Uuid::now_v7()),
            quantity: Quantity::new(3).unwrap(),
            unit_price: Money::new(9_990, Currency::parse("EUR").unwrap()).unwrap(),
            accepted_at: Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap(),
        }
    }

    #[test]
    fn a_purchase_survives_encoding_to_the_last_nanosecond() {
        let purchase = a_purchase();
        assert_eq!(decode(&encode(&purchase).unwrap()), Ok(purchase));
    }

    #[test]
    fn payloads_breaking_the_rules_are_refused_with_a_reason() {
        let purchase = a_purchase();
        let good: serde_json::Value = serde_json::from_str(&encode(&purchase).unwrap()).unwrap();
        for (field, bad) in [
            ("quantity", serde_json::json!(0)),
            ("currency", serde_json::json!("eur")),
            ("unit_price_minor", serde_json::json!(-1)),
            ("id", serde_json::json!("not-a-uuid")),
        ] {
            let mut broken = good.clone();
            broken[field] = bad;
            let outcome = decode(&broken.to_string());
            assert!(outcome.is_err(), "{field}: {outcome:?}");
        }
        assert!(decode("{").is_err());
    }
}
