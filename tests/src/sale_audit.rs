//! The promises of a sale read from the database after a storm: every accepted purchase became
//! exactly one order, the ledger rejected none, no more live items than stock, nobody past the
//! per-buyer limit. Read straight from the tables, not from what the service says about itself.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use tokio::time::Instant;
use uuid::Uuid;

use crate::environment::Environment;
use crate::orders::{SaleOrder, orders_of_sale};

/// How often the tables are read while purchases are still on their way to orders.
const POLL: Duration = Duration::from_millis(300);

/// What the tables say about a sale; each list empty when the promise was kept.
#[derive(Debug, Clone, Default)]
pub struct SaleAudit {
    /// Accepted purchases without an order (and without a rejection).
    pub without_order: Vec<Uuid>,
    /// Accepted purchases with more than one order.
    pub with_many_orders: Vec<Uuid>,
    /// Purchases of the sale the order writer rejected, with the stored reason.
    pub rejections: Vec<(Uuid, String)>,
    /// Items of orders neither cancelled nor expired.
    pub live_items: i64,
    /// Buyers holding more live items than the limit, with their items.
    pub over_limit: Vec<(Uuid, i64)>,
    /// Every order of the sale.
    pub orders: Vec<SaleOrder>,
}

/// A purchase the order writer rejected.
async fn rejections_of_sale(
    environment: &Environment,
    activity: Uuid,
) -> anyhow::Result<Vec<(Uuid, String)>> {
    let db = environment.database().await?;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT purchase_id, reason FROM purchase_rejections WHERE activity_id = $1",
            [activity.into()],
        ))
        .await
        .context("reading the sale's rejections");
    db.close().await.ok();
    rows?
        .iter()
        .map(|row| Ok((row.try_get("", "purchase_id")?, row.try_get("", "reason")?)))
        .collect()
}

/// Reads the sale's orders and rejections until every purchase in `accepted` has an order or a
/// rejection, or `patience` runs out, and reports against `per_user_limit`.
///
/// # Errors
/// When the database cannot be read.
pub async fn audit_sale(
    environment: &Environment,
    activity: Uuid,
    accepted: &[Uuid],
    per_user_limit: u32,
    patience: Duration,
) -> anyhow::Result<SaleAudit> {
    let deadline = Instant::now() + patience;
    loop {
        let orders = orders_of_sale(environment, activity).await?;
        let rejections = rejections_of_sale(environment, activity).await?;
        let mut per_purchase: HashMap<Uuid, usize> = HashMap::new();
        for order in &orders {
            *per_purchase.entry(order.purchase_id).or_default() += 1;
        }
        let rejected: Vec<Uuid> = rejections.iter().map(|(id, _)| *id).collect();
        let without_order: Vec<Uuid> = accepted
            .iter()
            .filter(|id| !per_purchase.contains_key(id) && !rejected.contains(id))
            .copied()
            .collect();
        if without_order.is_empty() || Instant::now() >= deadline {
            let mut per_buyer: HashMap<Uuid, i64> = HashMap::new();
            for order in orders.iter().filter(|o| o.is_live()) {
                *per_buyer.entry(order.buyer_id).or_default() += order.quantity;
            }
            return Ok(SaleAudit {
                without_order,
                with_many_orders: per_purchase
                    .iter()
                    .filter(|(_, n)| **n > 1)
                    .map(|(id, _)| *id)
                    .collect(),
                rejections,
                live_items: per_buyer.values().sum(),
                over_limit: per_buyer
                    .into_iter()
                    .filter(|(_, items)| *items > i64::from(per_user_limit))
                    .collect(),
                orders,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}
