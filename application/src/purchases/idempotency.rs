//! Idempotency keys: the same buyer sending the same key for the same sale names the same
//! purchase, so a retried request cannot buy twice, and a key reused in another sale names
//! another purchase there.

use seckiller_domain::{ActivityId, PurchaseId, UserId};
use uuid::Uuid;

/// Purchase ids derived from idempotency keys live in their own namespace.
const IDEMPOTENCY_NAMESPACE: Uuid = Uuid::from_u128(0x5ec1_11e7_0000_4000_8000_0000_0000_0001);

/// The purchase `key` names for `buyer` in `activity`: a UUIDv5 of all three, so nobody can
/// name another buyer's purchase, nor the same buyer's purchase in another sale.
pub fn keyed_purchase_id(buyer: UserId, activity: ActivityId, key: &str) -> PurchaseId {
    PurchaseId::from_uuid(Uuid::new_v5(
        &IDEMPOTENCY_NAMESPACE,
        format!("{buyer}:{activity}:{key}").as_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_one_purchase_per_buyer_and_sale() {
        let (buyer, other_buyer) = (
            UserId::from_uuid(Uuid::now_v7()),
            UserId::from_uuid(Uuid::now_v7()),
        );
        let (sale, other_sale) = (
            ActivityId::from_uuid(Uuid::now_v7()),
            ActivityId::from_uuid(Uuid::now_v7()),
        );
        let id = keyed_purchase_id(buyer, sale, "k");
        assert_eq!(keyed_purchase_id(buyer, sale, "k"), id);
        assert_ne!(keyed_purchase_id(buyer, other_sale, "k"), id);
        assert_ne!(keyed_purchase_id(other_buyer, sale, "k"), id);
        assert_ne!(keyed_purchase_id(buyer, sale, "k2"), id);
    }
}
