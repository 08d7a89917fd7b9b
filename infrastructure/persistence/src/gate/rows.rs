//! Purchases as the gate stores them, and back. A row read back is checked against the domain's
//! rules, so bad stored data becomes a [`GateError`] naming the purchase, never a panic.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{DbErr, Set};
use seckiller_domain::ports::GateError;
use seckiller_domain::{ActivityId, Currency, Money, Purchase, PurchaseId, Quantity, UserId};

use crate::entities::gate_purchase;

/// The database failed or could not be reached: the decision may or may not have been applied.
pub(super) fn unavailable(error: DbErr) -> GateError {
    GateError::from(format!("stock gate database: {error}"))
}

/// `value` as a stored INTEGER, or a [`GateError`] saying what is too large for the gate.
pub(super) fn stored_count(what: &str, value: u32) -> Result<i32, GateError> {
    i32::try_from(value).map_err(|_| {
        GateError::from(format!(
            "{what} {value} is beyond what the database gate stores ({})",
            i32::MAX
        ))
    })
}

/// The row recording `purchase` as holding stock.
///
/// # Errors
/// [`GateError`] when its quantity does not fit the stored column.
pub(super) fn holding_row(purchase: &Purchase) -> Result<gate_purchase::ActiveModel, GateError> {
    Ok(gate_purchase::ActiveModel {
        purchase_id: Set(purchase.id.as_uuid()),
        activity_id: Set(purchase.activity_id.as_uuid()),
        buyer_id: Set(purchase.buyer_id.as_uuid()),
        quantity: Set(stored_count("a quantity of", purchase.quantity.get())?),
        unit_price_minor: Set(purchase.unit_price.amount_minor()),
        currency: Set(purchase.unit_price.currency().as_str().to_owned()),
        accepted_at: Set(stored_time(purchase.accepted_at)),
        returned: Set(false),
    })
}

/// RFC 3339 in UTC with all nine fractional digits: fixed width, so text order is time order,
/// and exact to the nanosecond.
fn stored_time(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The purchase a row records.
///
/// # Errors
/// [`GateError`] naming the purchase when the row breaks a domain rule.
pub(super) fn to_purchase(row: gate_purchase::Model) -> Result<Purchase, GateError> {
    let corrupt = |problem: String| {
        GateError::from(format!(
            "corrupt row in gate_purchases (purchase {}): {problem}",
            row.purchase_id
        ))
    };
    let quantity = u32::try_from(row.quantity)
        .ok()
        .and_then(|n| Quantity::new(n).ok())
        .ok_or_else(|| corrupt(format!("quantity {}", row.quantity)))?;
    let currency =
        Currency::from_stored(&row.currency).map_err(|e| corrupt(format!("currency: {e}")))?;
    let unit_price = Money::new(row.unit_price_minor, currency)
        .map_err(|e| corrupt(format!("unit price: {e}")))?;
    let accepted_at = DateTime::parse_from_rfc3339(&row.accepted_at)
        .map_err(|e| corrupt(format!("accepted_at {:?}: {e}", row.accepted_at)))?
        .with_timezone(&Utc);
    Ok(Purchase {
        id: PurchaseId::from_uuid(row.purchase_id),
        activity_id: ActivityId::from_uuid(row.activity_id),
        buyer_id: UserId::from_uuid(row.buyer_id),
        quantity,
        unit_price,
        accepted_at,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use sea_orm::TryIntoModel;
    use uuid::Uuid;

    use super::*;

    fn a_purchase(accepted_at: DateTime<Utc>) -> Purchase {
        Purchase {
            id: PurchaseId::from_uuid(Uuid::now_v7()),
            activity_id: ActivityId::from_uuid(Uuid::now_v7()),
            buyer_id: UserId::from_uuid(Uuid::now_v7()),
            quantity: Quantity::new(3).unwrap(),
            unit_price: Money::new(9_990, Currency::parse("EUR").unwrap()).unwrap(),
            accepted_at,
        }
    }

    fn stored(row: gate_purchase::ActiveModel) -> gate_purchase::Model {
        row.try_into_model().unwrap()
    }

    #[test]
    fn a_purchase_survives_storage_to_the_last_nanosecond() {
        let purchase = a_purchase(Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap());
        let row = stored(holding_row(&purchase).unwrap());
        assert_eq!(row.accepted_at, "2027-01-15T08:00:00.123456789Z");
        assert!(!row.returned);
        assert_eq!(to_purchase(row), Ok(purchase));
    }

    #[test]
    fn stored_times_sort_as_the_instants_do() {
        let earlier = stored_time(Utc.timestamp_opt(1_800_000_000, 900_000_000).unwrap());
        let whole = stored_time(Utc.timestamp_opt(1_800_000_001, 0).unwrap());
        assert_eq!(whole, "2027-01-15T08:00:01.000000000Z");
        assert!(earlier < whole);
    }

    #[test]
    fn rows_breaking_the_rules_are_refused_with_the_purchase_named() {
        let good = stored(holding_row(&a_purchase(Utc::now())).unwrap());
        let broken = [
            gate_purchase::Model {
                quantity: 0,
                ..good.clone()
            },
            gate_purchase::Model {
                currency: "eur".into(),
                ..good.clone()
            },
            gate_purchase::Model {
                unit_price_minor: -1,
                ..good.clone()
            },
            gate_purchase::Model {
                accepted_at: "yesterday".into(),
                ..good.clone()
            },
        ];
        for row in broken {
            let error = to_purchase(row).unwrap_err();
            assert!(
                error.0.to_string().contains(&good.purchase_id.to_string()),
                "{error}"
            );
        }
    }

    #[test]
    fn counts_beyond_the_stored_integer_are_refused() {
        assert_eq!(stored_count("stock of", 7), Ok(7));
        assert!(stored_count("stock of", u32::MAX).is_err());
    }
}
