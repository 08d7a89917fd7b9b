//! Activities in `activities`, each with its ledger in `stock_ledgers`; the two are always written
//! in one transaction and read in one statement, so a reader never sees one without the other.

mod rows;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use seckiller_domain::ports::{
    ActivityRecord, ActivityRepository, StorageError, UpdateActivityError,
};
use seckiller_domain::{Activity, ActivityId, ActivityState, ProductId};

use crate::database::Database;
use crate::entities::{activity, stock_ledger, stored};
use crate::error::{corrupt, storage};
use rows::{activity_row, ledger_row, to_record};

/// [`ActivityRepository`] over sea-orm, for Postgres and SQLite alike. Updates are optimistic:
/// they apply only while the stored version is the one the caller read.
#[derive(Debug, Clone)]
pub struct SeaActivityRepository {
    db: Database,
}

impl SeaActivityRepository {
    /// Activities stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

impl ActivityRepository for SeaActivityRepository {
    async fn insert(&self, record: &ActivityRecord) -> Result<(), StorageError> {
        let transaction = self.db.connection().begin().await.map_err(storage)?;
        activity::Entity::insert(activity_row(&record.activity))
            .exec_without_returning(&transaction)
            .await
            .map_err(storage)?;
        stock_ledger::Entity::insert(ledger_row(record.activity.id, &record.stock))
            .exec_without_returning(&transaction)
            .await
            .map_err(storage)?;
        transaction.commit().await.map_err(storage)
    }

    async fn update(
        &self,
        activity: &Activity,
        expected_version: i64,
    ) -> Result<(), UpdateActivityError> {
        let transaction = self.db.connection().begin().await.map_err(storage)?;
        // On failure, dropping the transaction rolls it back.
        write_update(&transaction, activity, expected_version).await?;
        transaction.commit().await.map_err(storage)?;
        Ok(())
    }

    async fn by_id(&self, id: ActivityId) -> Result<Option<ActivityRecord>, StorageError> {
        let row = activity::Entity::find_by_id(id.as_uuid())
            .find_also_related(stock_ledger::Entity)
            .one(self.db.connection())
            .await
            .map_err(storage)?;
        row.map(|(activity, ledger)| to_record(activity, ledger))
            .transpose()
    }

    async fn live_sales_of(
        &self,
        product: ProductId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Activity>, StorageError> {
        let rows = activity::Entity::find()
            .filter(activity::Column::ProductId.eq(product.as_uuid()))
            .filter(activity::Column::State.eq(ActivityState::Published.as_str()))
            .filter(activity::Column::EndsAt.gt(stored(now)))
            .find_also_related(stock_ledger::Entity)
            .all(self.db.connection())
            .await
            .map_err(storage)?;
        rows.into_iter()
            .map(|(activity, ledger)| to_record(activity, ledger).map(|r| r.activity))
            .collect()
    }

    async fn list(
        &self,
        include_drafts: bool,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ActivityRecord>, StorageError> {
        let mut query = activity::Entity::find();
        if !include_drafts {
            let public = [
                ActivityState::Published.as_str(),
                ActivityState::Cancelled.as_str(),
            ];
            query = query.filter(activity::Column::State.is_in(public));
        }
        let rows = query
            .order_by_desc(activity::Column::CreatedAt)
            .order_by_desc(activity::Column::Id)
            .limit(u64::from(limit))
            .offset(u64::from(offset))
            .find_also_related(stock_ledger::Entity)
            .all(self.db.connection())
            .await
            .map_err(storage)?;
        rows.into_iter()
            .map(|(activity, ledger)| to_record(activity, ledger))
            .collect()
    }
}

/// Overwrites `activity`'s row in `transaction` if its stored version is still
/// `expected_version`; its ledger is left alone. The caller commits, or drops the transaction on
/// an error.
///
/// # Errors
/// [`UpdateActivityError::Conflict`] when the version moved on or the activity is gone; or a
/// storage failure.
pub(crate) async fn write_activity(
    transaction: &DatabaseTransaction,
    activity: &Activity,
    expected_version: i64,
) -> Result<(), UpdateActivityError> {
    let mut changes = activity_row(activity);
    changes.id = NotSet;
    let updated = activity::Entity::update_many()
        .set(changes)
        .filter(activity::Column::Id.eq(activity.id.as_uuid()))
        .filter(activity::Column::Version.eq(expected_version))
        .exec(transaction)
        .await
        .map_err(storage)?;
    if updated.rows_affected == 0 {
        return Err(UpdateActivityError::Conflict);
    }
    Ok(())
}

/// [`write_activity`], then the ledger follows a new total only while nothing of it is
/// committed to buyers; its movements are never overwritten from here.
///
/// # Errors
/// As [`write_activity`], and [`UpdateActivityError::Conflict`] when the total changed after
/// stock was committed.
async fn write_update(
    transaction: &DatabaseTransaction,
    activity: &Activity,
    expected_version: i64,
) -> Result<(), UpdateActivityError> {
    write_activity(transaction, activity, expected_version).await?;
    let id = activity.id.as_uuid();
    let total = i64::from(activity.total_stock.get());
    let resized = stock_ledger::Entity::update_many()
        .col_expr(stock_ledger::Column::Total, Expr::value(total))
        .col_expr(stock_ledger::Column::Available, Expr::value(total))
        .filter(stock_ledger::Column::ActivityId.eq(id))
        .filter(stock_ledger::Column::Total.ne(total))
        .filter(stock_ledger::Column::Held.eq(0))
        .filter(stock_ledger::Column::Sold.eq(0))
        .exec(transaction)
        .await
        .map_err(storage)?;
    if resized.rows_affected == 0 {
        let ledger = stock_ledger::Entity::find_by_id(id)
            .one(transaction)
            .await
            .map_err(storage)?
            .ok_or_else(|| corrupt("stock_ledgers", id, "the activity has no ledger"))?;
        if ledger.total != total {
            return Err(UpdateActivityError::Conflict);
        }
    }
    Ok(())
}
