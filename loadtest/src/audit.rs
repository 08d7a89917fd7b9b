//! After the run: the orders each winning buyer can see (`GET /orders`), the evidence the
//! verdict weighs against what the crowd was told.

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::task::JoinSet;

use crate::api::Nodes;
use crate::setup::Buyer;

/// Buyers audited at once.
const IN_FLIGHT: usize = 64;
/// The largest page `GET /orders` serves.
const PAGE: usize = 100;

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
    /// Reads one order of `buyer`'s list; `None` when it is not an order.
    pub fn parse(buyer: usize, v: &Value) -> Option<Self> {
        let time = |k: &str| {
            v[k].as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        Some(Self {
            buyer,
            id: v["id"].as_str()?.to_owned(),
            purchase_id: v["purchase_id"].as_str()?.to_owned(),
            quantity: u32::try_from(v["quantity"].as_u64()?).ok()?,
            status: v["status"].as_str()?.to_owned(),
            pay_deadline: time("pay_deadline")?,
            cancelled_at: time("cancelled_at"),
        })
    }
}

/// Every order of `activity` held by the buyers numbered in `who`, each asked on its own node.
///
/// # Errors
/// A buyer's order list could not be read.
pub async fn orders(
    nodes: &Nodes,
    buyers: &[Buyer],
    who: &BTreeSet<usize>,
    activity: &str,
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
            let (api, token, activity) = (
                nodes.for_buyer(i).clone(),
                buyer.token.clone(),
                activity.to_owned(),
            );
            tasks.spawn(async move {
                let mut mine = Vec::new();
                // A buyer holds at most its limit (1,000 at most) of live orders, plus expired ones.
                for page in 0..1000 {
                    let path = format!("/api/v1/orders?limit={PAGE}&offset={}", page * PAGE);
                    let answer = api.get(&path, Some(&token)).await?;
                    anyhow::ensure!(
                        answer.status == StatusCode::OK,
                        "orders of buyer {i}: {} {}",
                        answer.status,
                        answer.body
                    );
                    let list = answer.body.as_array().cloned().unwrap_or_default();
                    mine.extend(
                        list.iter()
                            .filter(|o| o["activity_id"] == activity.as_str())
                            .filter_map(|o| SeenOrder::parse(i, o)),
                    );
                    if list.len() < PAGE {
                        break;
                    }
                }
                anyhow::Ok(mine)
            });
        }
        let Some(done) = tasks.join_next().await else {
            break;
        };
        found.extend(done??);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_order_reads_with_its_deadline_and_cancellation() {
        let v = json!({"id": "o1", "purchase_id": "p1", "activity_id": "a", "quantity": 2,
            "status": "cancelled_by_buyer", "pay_deadline": "2030-01-01T00:00:10Z",
            "cancelled_at": "2030-01-01T00:00:05Z"});
        let o = SeenOrder::parse(3, &v);
        assert_eq!(o.as_ref().map(|o| (o.buyer, o.quantity)), Some((3, 2)));
        assert!(o.is_some_and(|o| o.cancelled_at.is_some()));
        assert_eq!(SeenOrder::parse(0, &json!({"id": "o1"})), None);
    }
}
