//! Identifiers of the aggregates. Each is its own type so an order id can never be passed where an
//! activity id is expected. They wrap UUIDv7 values, which sort by creation time and so keep
//! database indexes append-only.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID read back from storage, a URL or an id source.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The raw UUID, for storage and wire formats.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

entity_id!(
    /// Names one account, buyer or admin.
    UserId
);
entity_id!(
    /// Names one catalogue item.
    ProductId
);
entity_id!(
    /// Names one flash sale of one product.
    ActivityId
);
entity_id!(
    /// Names one order; an order is born from exactly one purchase.
    OrderId
);
entity_id!(
    /// Names one accepted purchase; it is the de-duplication key all the way to the order.
    PurchaseId
);
entity_id!(
    /// Names one sign-in session: the family of refresh tokens rotated from one sign-in, and
    /// the access tokens issued with them. Revoking it ends them all.
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_survives_a_round_trip_through_text() {
        let id = ActivityId::from_uuid(Uuid::now_v7());
        let parsed: ActivityId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
    }

    #[test]
    fn garbage_is_not_an_id() {
        assert!("not-a-uuid".parse::<OrderId>().is_err());
    }
}
