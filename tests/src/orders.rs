//! Orders read straight from the database, so a scenario can check the service's promises
//! against what is stored rather than against what the service says about itself.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use uuid::Uuid;

use crate::environment::Environment;

/// One stored order of a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleOrder {
    /// The order's id.
    pub id: Uuid,
    /// The purchase it was written for (unique per order).
    pub purchase_id: Uuid,
    /// Who bought.
    pub buyer_id: Uuid,
    /// Items.
    pub quantity: i64,
    /// `pending_payment`, `paid`, `cancelled`, …
    pub status: String,
}

impl SaleOrder {
    /// True while the order holds or has sold its items (pending payment or paid).
    pub fn is_live(&self) -> bool {
        matches!(self.status.as_str(), "pending_payment" | "paid")
    }
}

/// Every order of `activity`.
///
/// # Errors
/// When the database is unreachable or a row does not have the expected shape.
pub async fn orders_of_sale(
    environment: &Environment,
    activity: Uuid,
) -> anyhow::Result<Vec<SaleOrder>> {
    let db = environment.database().await?;
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT id, purchase_id, buyer_id, quantity, status FROM orders WHERE activity_id = $1",
            [activity.into()],
        ))
        .await
        .context("reading the sale's orders");
    db.close().await.ok();
    rows?
        .iter()
        .map(|row| {
            Ok(SaleOrder {
                id: row.try_get("", "id")?,
                purchase_id: row.try_get("", "purchase_id")?,
                buyer_id: row.try_get("", "buyer_id")?,
                quantity: row.try_get("", "quantity")?,
                status: row.try_get("", "status")?,
            })
        })
        .collect()
}
