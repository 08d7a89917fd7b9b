//! The purchase record stored in an activity's `:purchases` (and, once given back, `:returned`)
//! hash, under the purchase id:
//! `1|<activity>|<buyer>|<quantity>|<unit price, minor units>|<currency>|<accepted at>`, the time
//! in RFC 3339 with nanoseconds. Plain text so an operator can read it with `redis-cli`; the
//! leading `1` is the format version. The give-back script reads the buyer and quantity from it,
//! so their positions must not move.

use chrono::{DateTime, SecondsFormat, Utc};
use seckiller_domain::ports::GateError;
use seckiller_domain::{Currency, Money, Purchase, PurchaseId, Quantity};

const VERSION: &str = "1";

/// The stored form of `purchase` (its id is the hash field, not part of the record).
pub(crate) fn encode(purchase: &Purchase) -> String {
    format!(
        "{VERSION}|{}|{}|{}|{}|{}|{}",
        purchase.activity_id,
        purchase.buyer_id,
        purchase.quantity.get(),
        purchase.unit_price.amount_minor(),
        purchase.unit_price.currency(),
        purchase
            .accepted_at
            .to_rfc3339_opts(SecondsFormat::Nanos, true),
    )
}

/// Reads back a record stored under `id`.
///
/// # Errors
/// [`GateError`] naming the purchase when the record is not one this module wrote.
pub(crate) fn decode(id: PurchaseId, record: &str) -> Result<Purchase, GateError> {
    let bad =
        |what: &str| GateError::from(format!("unreadable gate record of purchase {id}: {what}"));
    let fields: Vec<&str> = record.split('|').collect();
    let [
        version,
        activity,
        buyer,
        quantity,
        price,
        currency,
        accepted_at,
    ] = fields[..]
    else {
        return Err(bad("wrong number of fields"));
    };
    if version != VERSION {
        return Err(bad("unknown format version"));
    }
    let quantity = quantity
        .parse::<u32>()
        .ok()
        .and_then(|n| Quantity::new(n).ok())
        .ok_or_else(|| bad("quantity"))?;
    let currency = Currency::from_stored(currency).map_err(|_| bad("currency"))?;
    let unit_price = price
        .parse::<i64>()
        .ok()
        .and_then(|minor| Money::new(minor, currency).ok())
        .ok_or_else(|| bad("price"))?;
    Ok(Purchase {
        id,
        activity_id: activity.parse().map_err(|_| bad("activity id"))?,
        buyer_id: buyer.parse().map_err(|_| bad("buyer id"))?,
        quantity,
        unit_price,
        accepted_at: DateTime::parse_from_rfc3339(accepted_at)
            .map_err(|_| bad("time"))?
            .with_timezone(&Utc),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use seckiller_domain::{ActivityId, UserId};

    use super::*;

    fn a_purchase() -> Purchase {
        Purchase {
            id: "0190a0b4-7c3e-7d2a-9f00-00000000000a".parse().unwrap(),
            activity_id: ActivityId::from_uuid(
                "0190a0b4-7c3e-7d2a-9f00-00000000000b".parse().unwrap(),
            ),
            buyer_id: UserId::from_uuid("0190a0b4-7c3e-7d2a-9f00-00000000000c".parse().unwrap()),
            quantity: Quantity::new(3).unwrap(),
            unit_price: Money::new(9_990, Currency::parse("EUR").unwrap()).unwrap(),
            accepted_at: Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap(),
        }
    }

    #[test]
    fn a_record_is_readable_text_that_round_trips_to_the_nanosecond() {
        let purchase = a_purchase();
        let record = encode(&purchase);
        assert_eq!(
            record,
            "1|0190a0b4-7c3e-7d2a-9f00-00000000000b|0190a0b4-7c3e-7d2a-9f00-00000000000c|3|9990|EUR|2023-11-14T22:13:20.123456789Z"
        );
        assert_eq!(decode(purchase.id, &record).unwrap(), purchase);
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let purchase = a_purchase();
        let good = encode(&purchase);
        let damaged = [
            String::new(),
            "garbage".to_owned(),
            good.replacen("1|", "2|", 1),
            good.replace("|3|", "|0|"),
            good.replace("|3|", "|-3|"),
            good.replace("|9990|", "|-1|"),
            good.replace("EUR", "eur"),
            good.replace("2023-11-14", "yesterday"),
            format!("{good}|extra"),
            good.replace("0190a0b4-7c3e-7d2a-9f00-00000000000c", "nobody"),
        ];
        for record in damaged {
            assert!(decode(purchase.id, &record).is_err(), "{record:?}");
        }
    }
}
