//! `expired_at`: when an order expired unpaid, apart from `cancelled_at`, which is kept for real
//! cancellations (by the buyer, or with the sale). Orders that expired before this migration
//! carry their expiry in `cancelled_at`; it moves over, so old rows read the same as new ones.
//!
//! The outbox reads "ended at" as whichever of the two is set; the index on
//! (status, released_at, cancelled_at) still narrows it to the unreleased orders.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Status,
    CancelledAt,
    ExpiredAt,
}

/// The stored status of an expired order.
const EXPIRED: &str = "expired";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(timestamp_with_time_zone_null(Orders::ExpiredAt))
                    .to_owned(),
            )
            .await?;
        let move_over = Query::update()
            .table(Orders::Table)
            .value(Orders::ExpiredAt, Expr::col(Orders::CancelledAt))
            .value(Orders::CancelledAt, Expr::cust("NULL"))
            .and_where(Expr::col(Orders::Status).eq(EXPIRED))
            .to_owned();
        manager.exec_stmt(move_over).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let move_back = Query::update()
            .table(Orders::Table)
            .value(Orders::CancelledAt, Expr::col(Orders::ExpiredAt))
            .and_where(Expr::col(Orders::Status).eq(EXPIRED))
            .to_owned();
        manager.exec_stmt(move_back).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::ExpiredAt)
                    .to_owned(),
            )
            .await
    }
}
