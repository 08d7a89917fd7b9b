//! [`RegularOrderRepository`] over sea-orm: `regular_orders` and their `regular_order_lines`.
//! Placing an order is one transaction: each line's stock moved available → held with a guarded
//! update, in product id order (the order its lines are kept in), then the order and its lines
//! inserted and the ordered products taken out of the cart. Concurrent checkouts of the same
//! products queue on the stock rows in the same order, so they never deadlock and never
//! oversell: a guard that finds too little available stops the checkout with nothing written.

mod moves;
mod rows;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use seckiller_domain::ports::{
    MoveOutcome, PlaceOutcome, RegularFigures, RegularOrderRepository, RegularTotals, StorageError,
};
use seckiller_domain::{CancelReason, OrderId, OrderStatus, ProductId, RegularOrder, UserId};
use uuid::Uuid;

use super::stock::shift;
use crate::database::Database;
use crate::entities::{cart_line, product_stock, regular_order, regular_order_line, stored};
use crate::error::storage;
use crate::orders::begin_write;
use moves::abandon;
use rows::{line_rows, order_row, to_regular_order};

/// How many ids go into one `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// Statuses of orders that wait in the outbox until any charge is refunded.
const AWAITING_RELEASE: [OrderStatus; 3] = [
    OrderStatus::Cancelled(CancelReason::Expired),
    OrderStatus::Cancelled(CancelReason::ByBuyer),
    OrderStatus::Cancelled(CancelReason::ByAdmin),
];

/// [`RegularOrderRepository`] over sea-orm, for Postgres and SQLite alike.
#[derive(Debug, Clone)]
pub struct SeaRegularOrderRepository {
    db: Database,
}

impl SeaRegularOrderRepository {
    /// Regular orders stored in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }
}

/// The lines of these orders.
async fn lines_of<C: ConnectionTrait>(
    connection: &C,
    ids: &[Uuid],
) -> Result<Vec<regular_order_line::Model>, StorageError> {
    let mut lines = Vec::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        lines.extend(
            regular_order_line::Entity::find()
                .filter(regular_order_line::Column::OrderId.is_in(chunk.iter().copied()))
                .all(connection)
                .await
                .map_err(storage)?,
        );
    }
    Ok(lines)
}

/// Orders with their lines, in the order of `rows`.
async fn with_lines<C: ConnectionTrait>(
    connection: &C,
    rows: Vec<regular_order::Model>,
) -> Result<Vec<RegularOrder>, StorageError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut lines = lines_of(connection, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                lines.drain(..).partition(|l| l.order_id == row.id);
            lines = rest;
            to_regular_order(row, mine)
        })
        .collect()
}

/// These orders with their lines.
async fn load<C: ConnectionTrait>(
    connection: &C,
    ids: &[Uuid],
) -> Result<Vec<RegularOrder>, StorageError> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        rows.extend(
            regular_order::Entity::find()
                .filter(regular_order::Column::Id.is_in(chunk.iter().copied()))
                .all(connection)
                .await
                .map_err(storage)?,
        );
    }
    with_lines(connection, rows).await
}

async fn place_in(
    transaction: &DatabaseTransaction,
    order: &RegularOrder,
    from_cart: bool,
) -> Result<PlaceOutcome, StorageError> {
    for line in &order.lines {
        let product = line.product_id.as_uuid();
        let quantity = i64::from(line.quantity.get());
        let held = shift(
            transaction,
            product,
            quantity,
            product_stock::Column::Available,
            product_stock::Column::Held,
        )
        .await?;
        if !held {
            let available: Option<i64> = product_stock::Entity::find_by_id(product)
                .select_only()
                .column(product_stock::Column::Available)
                .into_tuple()
                .one(transaction)
                .await
                .map_err(storage)?;
            return Ok(PlaceOutcome::Short {
                product_id: line.product_id,
                available: available.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            });
        }
    }
    regular_order::Entity::insert(order_row(order)?)
        .exec_without_returning(transaction)
        .await
        .map_err(storage)?;
    regular_order_line::Entity::insert_many(line_rows(order))
        .exec_without_returning(transaction)
        .await
        .map_err(storage)?;
    if from_cart {
        cart_line::Entity::delete_many()
            .filter(cart_line::Column::BuyerId.eq(order.buyer_id.as_uuid()))
            .filter(
                cart_line::Column::ProductId
                    .is_in(order.lines.iter().map(|l| l.product_id.as_uuid())),
            )
            .exec(transaction)
            .await
            .map_err(storage)?;
    }
    Ok(PlaceOutcome::Placed)
}

/// Sums a grouped `(status, n)` query into per-status counts.
async fn grouped(
    connection: &DatabaseConnection,
    sql: &str,
    value: Option<Uuid>,
) -> Result<Vec<(String, i64)>, StorageError> {
    let backend = connection.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    let values = value.map(|v| vec![v.into()]).unwrap_or_default();
    let rows = connection
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map_err(storage)?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "status").map_err(storage)?,
                row.try_get::<i64>("", "n").map_err(storage)?,
            ))
        })
        .collect()
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl RegularOrderRepository for SeaRegularOrderRepository {
    async fn place(
        &self,
        order: &RegularOrder,
        from_cart: bool,
    ) -> Result<PlaceOutcome, StorageError> {
        let transaction = begin_write(self.db.connection()).await?;
        match place_in(&transaction, order, from_cart).await {
            Ok(PlaceOutcome::Placed) => {
                transaction.commit().await.map_err(storage)?;
                Ok(PlaceOutcome::Placed)
            }
            Ok(short) => {
                transaction.rollback().await.map_err(storage)?;
                Ok(short)
            }
            Err(e) => Err(abandon(transaction, e).await),
        }
    }

    async fn by_id(&self, id: OrderId) -> Result<Option<RegularOrder>, StorageError> {
        Ok(load(self.db.connection(), &[id.as_uuid()]).await?.pop())
    }

    async fn for_buyer(
        &self,
        buyer: UserId,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RegularOrder>, StorageError> {
        let connection = self.db.connection();
        let rows = regular_order::Entity::find()
            .filter(regular_order::Column::BuyerId.eq(buyer.as_uuid()))
            .order_by_desc(regular_order::Column::CreatedAt)
            .order_by_desc(regular_order::Column::Id)
            .limit(u64::from(limit))
            .offset(u64::from(offset))
            .all(connection)
            .await
            .map_err(storage)?;
        with_lines(connection, rows).await
    }

    async fn pay(
        &self,
        id: OrderId,
        payment_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome<RegularOrder>, StorageError> {
        moves::pay(self.db.connection(), id, payment_ref, now).await
    }

    async fn cancel(
        &self,
        id: OrderId,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<MoveOutcome<RegularOrder>, StorageError> {
        moves::cancel(self.db.connection(), id, reason, now).await
    }

    async fn expire_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<RegularOrder>, StorageError> {
        moves::expire_due(self.db.connection(), now, limit).await
    }

    async fn unreleased(&self, limit: u32) -> Result<Vec<RegularOrder>, StorageError> {
        let connection = self.db.connection();
        let rows = regular_order::Entity::find()
            .filter(regular_order::Column::Status.is_in(AWAITING_RELEASE.map(|s| s.as_str())))
            .filter(regular_order::Column::ReleasedAt.is_null())
            .order_by_asc(regular_order::Column::CreatedAt)
            .order_by_asc(regular_order::Column::Id)
            .limit(u64::from(limit))
            .all(connection)
            .await
            .map_err(storage)?;
        with_lines(connection, rows).await
    }

    async fn mark_released(&self, ids: &[OrderId], now: DateTime<Utc>) -> Result<(), StorageError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = stored(now);
        let transaction = begin_write(self.db.connection()).await?;
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let marked = regular_order::Entity::update_many()
                .col_expr(regular_order::Column::ReleasedAt, Expr::value(now))
                .filter(regular_order::Column::Id.is_in(chunk.iter().map(|id| id.as_uuid())))
                .filter(regular_order::Column::Status.is_in(AWAITING_RELEASE.map(|s| s.as_str())))
                .filter(regular_order::Column::ReleasedAt.is_null())
                .exec(&transaction)
                .await;
            if let Err(e) = marked {
                return Err(abandon(transaction, storage(e)).await);
            }
        }
        transaction.commit().await.map_err(storage)
    }

    async fn totals(&self, product: ProductId) -> Result<RegularTotals, StorageError> {
        let rows = grouped(
            self.db.connection(),
            "SELECT o.status AS status, CAST(SUM(l.quantity) AS BIGINT) AS n \
             FROM regular_order_lines l JOIN regular_orders o ON o.id = l.order_id \
             WHERE l.product_id = $1 GROUP BY o.status",
            Some(product.as_uuid()),
        )
        .await?;
        let mut totals = RegularTotals::default();
        for (status, n) in rows {
            match OrderStatus::parse(&status) {
                Some(OrderStatus::PendingPayment) => totals.pending_items += count(n),
                Some(OrderStatus::Paid) => totals.paid_items += count(n),
                _ => {}
            }
        }
        Ok(totals)
    }

    async fn figures(&self) -> Result<RegularFigures, StorageError> {
        let connection = self.db.connection();
        let orders = grouped(
            connection,
            "SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM regular_orders GROUP BY status",
            None,
        )
        .await?;
        let items = grouped(
            connection,
            "SELECT o.status AS status, CAST(SUM(l.quantity) AS BIGINT) AS n \
             FROM regular_order_lines l JOIN regular_orders o ON o.id = l.order_id \
             WHERE o.status = 'paid' GROUP BY o.status",
            None,
        )
        .await?;
        let mut figures = RegularFigures {
            items_sold: items.iter().map(|(_, n)| count(*n)).sum(),
            ..RegularFigures::default()
        };
        for (status, n) in orders {
            let n = count(n);
            match OrderStatus::parse(&status) {
                Some(OrderStatus::PendingPayment) => figures.pending += n,
                Some(OrderStatus::Paid) => figures.paid += n,
                Some(OrderStatus::Cancelled(CancelReason::Expired)) => figures.expired += n,
                Some(OrderStatus::Cancelled(_)) => figures.cancelled += n,
                None => {}
            }
        }
        Ok(figures)
    }
}
