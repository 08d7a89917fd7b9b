//! Preheating: an activity's stock row and its holdings, written in one transaction, and only
//! by the first load.

use std::collections::HashSet;

use sea_orm::{DatabaseConnection, EntityTrait, Set, TryInsertResult};
use seckiller_domain::ports::GateError;
use seckiller_domain::{ActivityId, Purchase, Quantity};

use super::begin_write;
use super::rows::{holding_row, stored_count, unavailable};
use crate::entities::{gate_purchase, gate_stock};

/// Holdings per insert statement: 8 values a row keeps each statement far below every
/// backend's bound-parameter limit.
const HOLDINGS_PER_STATEMENT: usize = 500;

pub(super) async fn preheat(
    connection: &DatabaseConnection,
    activity: ActivityId,
    available: u32,
    per_user_limit: Quantity,
    holdings: &[Purchase],
) -> Result<(), GateError> {
    GateError::refuse_foreign(activity, holdings, "a holding")?;
    let stock = gate_stock::ActiveModel {
        activity_id: Set(activity.as_uuid()),
        available: Set(stored_count("a stock of", available)?),
        per_user_limit: Set(stored_count("a per-buyer limit of", per_user_limit.get())?),
    };
    // Listed twice, a holding still holds its stock once: the first listing is kept.
    let mut seen = HashSet::with_capacity(holdings.len());
    let rows = holdings
        .iter()
        .filter(|held| seen.insert(held.id))
        .map(holding_row)
        .collect::<Result<Vec<_>, _>>()?;

    let transaction = begin_write(connection).await?;
    // Two nodes preheating at once meet at the primary key: the second waits for the first's
    // commit, then inserts nothing, so the first load wins with all of its holdings.
    let loaded = gate_stock::Entity::insert(stock)
        .on_conflict_do_nothing_on([gate_stock::Column::ActivityId])
        .exec_without_returning(&transaction)
        .await
        .map_err(unavailable)?;
    if !matches!(loaded, TryInsertResult::Inserted(rows) if rows > 0) {
        // Loaded already: stock, limit and holdings stay as the first load left them.
        return transaction.commit().await.map_err(unavailable);
    }
    for chunk in rows.chunks(HOLDINGS_PER_STATEMENT) {
        gate_purchase::Entity::insert_many(chunk.iter().cloned())
            .on_conflict_do_nothing_on([gate_purchase::Column::PurchaseId])
            .exec_without_returning(&transaction)
            .await
            .map_err(unavailable)?;
    }
    transaction.commit().await.map_err(unavailable)
}

/// Records `given_back` as purchases whose stock went back: rows with `returned` set, added only
/// where the purchase has no row yet, so a purchase holding stock keeps holding it.
pub(super) async fn remember_given_back(
    connection: &DatabaseConnection,
    activity: ActivityId,
    given_back: &[Purchase],
) -> Result<(), GateError> {
    GateError::refuse_foreign(activity, given_back, "given back")?;
    let rows = given_back
        .iter()
        .map(|purchase| {
            let mut row = holding_row(purchase)?;
            row.returned = Set(true);
            Ok(row)
        })
        .collect::<Result<Vec<_>, GateError>>()?;
    for chunk in rows.chunks(HOLDINGS_PER_STATEMENT) {
        gate_purchase::Entity::insert_many(chunk.iter().cloned())
            .on_conflict_do_nothing_on([gate_purchase::Column::PurchaseId])
            .exec_without_returning(connection)
            .await
            .map_err(unavailable)?;
    }
    Ok(())
}
