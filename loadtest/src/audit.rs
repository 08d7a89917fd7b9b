//! After the run: the orders each winning buyer can see (`GET /orders`), the evidence the
//! verdict weighs against what the crowd was told.

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use anyhow::Context;
use chrono::{DateTime, Utc};
use seckiller_client::types::Order;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::api::Nodes;
use crate::client::{self, Answered};
use crate::setup::Buyer;

/// Buyers audited at once.
const IN_FLIGHT: usize = 64;
/// The largest page `GET /orders` serves.
const PAGE: NonZeroU32 = match NonZeroU32::new(100) {
    Some(page) => page,
    None => NonZeroU32::MIN,
};

/// An order of the sale, as its buyer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenOrder {
    pub buyer: usize,
    pub id: String,
    pub purchase_id: String,
    pub quantity: u32,
    /// `pending_payment`, `paid`, `expired`, `cancelled_by_buyer` or `cancelled_by_admin`.
    pub status: String,
    pub pay_deadline: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl SeenOrder {
    /// One order of `buyer`'s list.
    pub fn read(buyer: usize, order: Order) -> Self {
        Self {
            buyer,
            id: order.id.to_string(),
            purchase_id: order.purchase_id.to_string(),
            quantity: order.quantity,
            status: order.status,
            pay_deadline: order.pay_deadline,
            cancelled_at: order.cancelled_at,
        }
    }
}

/// Every order of `activity` held by the buyers numbered in `who`, each asked on its own node
/// (or, when that one does not answer, the next) through a client carrying its session.
///
/// # Errors
/// A buyer's order list could not be read.
pub async fn orders(
    nodes: &Nodes,
    buyers: &[Buyer],
    who: &BTreeSet<usize>,
    activity: Uuid,
) -> anyhow::Result<Vec<SeenOrder>> {
    let mut tasks = JoinSet::new();
    let mut found = Vec::new();
    let mut pending = who.iter().copied();
    loop {
        while tasks.len() < IN_FLIGHT {
            let Some(i) = pending.next() else { break };
            let buyer = buyers
                .get(i)
                .context("an accepted purchase by an unknown buyer")?;
            let token = buyer.token.clone();
            let bases: Vec<String> = nodes
                .round_from(nodes.home_of(i))
                .map(|node| node.base().to_owned())
                .collect();
            tasks.spawn(async move {
                // The buyer's own node first; one that does not answer (down for good, say) is
                // skipped for the next, since every node serves the same orders.
                let mut first_error = None;
                for base in bases {
                    match orders_of_buyer(&base, &token, i, activity).await {
                        Ok(mine) => return Ok(mine),
                        Err(e) => {
                            first_error.get_or_insert(e);
                        }
                    }
                }
                Err(first_error.unwrap_or_else(|| anyhow::anyhow!("no node to ask")))
            });
        }
        let Some(done) = tasks.join_next().await else {
            break;
        };
        found.extend(done??);
    }
    Ok(found)
}

/// Every order of `activity` that buyer number `i` (acting with `token`) sees at `base`.
async fn orders_of_buyer(
    base: &str,
    token: &str,
    i: usize,
    activity: Uuid,
) -> anyhow::Result<Vec<SeenOrder>> {
    let api = client::at(base, Some(token))?;
    let mut mine = Vec::new();
    // A buyer holds at most its limit (1,000 at most) of live orders, plus expired ones.
    for page in 0..1000 {
        let list = api
            .list_orders(Some(PAGE), Some(page * PAGE.get()))
            .await
            .answer(format_args!("orders of buyer {i} at {base}"))?;
        let full = list.len() >= usize::try_from(PAGE.get())?;
        mine.extend(
            list.into_iter()
                .filter(|o| o.activity_id == activity)
                .map(|o| SeenOrder::read(i, o)),
        );
        if !full {
            break;
        }
    }
    Ok(mine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_order_reads_with_its_deadline_and_cancellation() -> anyhow::Result<()> {
        let v = json!({"id": "0197a2c4-0000-7000-8000-000000000001",
            "purchase_id": "0197a2c4-0000-7000-8000-000000000002",
            "activity_id": "0197a2c4-0000-7000-8000-000000000003", "quantity": 2,
            "status": "cancelled_by_buyer", "pay_deadline": "2030-01-01T00:00:10Z",
            "cancelled_at": "2030-01-01T00:00:05Z", "created_at": "2030-01-01T00:00:00Z",
            "total_minor": 19_800, "unit_price": {"amount_minor": 9_900, "currency": "USD"}});
        let o = SeenOrder::read(3, serde_json::from_value(v)?);
        assert_eq!((o.buyer, o.quantity), (3, 2));
        assert_eq!(o.purchase_id, "0197a2c4-0000-7000-8000-000000000002");
        assert!(o.cancelled_at.is_some());
        assert!(serde_json::from_value::<Order>(json!({"id": "o1"})).is_err());
        Ok(())
    }
}
