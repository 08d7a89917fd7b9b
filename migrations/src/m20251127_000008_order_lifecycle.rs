//! What an order needs after it is recorded: the payment provider's reference for the charge that
//! paid it, and `released_at`, set once a cancelled or expired order's stock is back in the stock
//! gate. Orders cancelled but not yet released are an outbox: a node dying between the database
//! move and the gate call leaves them behind for the next sweep instead of losing stock.
//!
//! The sweeper's (status, pay_deadline) index already exists since the orders table was created.
//! Two more serve the new queries: (activity_id, status) for an activity's totals, its live
//! orders and calling off its pending ones; (status, released_at, cancelled_at) for the outbox.
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    ActivityId,
    Status,
    CancelledAt,
    PaymentRef,
    ReleasedAt,
}

const ACTIVITY_STATUS_INDEX: &str = "orders_activity_id_status_idx";
const UNRELEASED_INDEX: &str = "orders_status_released_at_idx";

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
                    .add_column(text_null(Orders::PaymentRef))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(timestamp_with_time_zone_null(Orders::ReleasedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ACTIVITY_STATUS_INDEX)
                    .table(Orders::Table)
                    .col(Orders::ActivityId)
                    .col(Orders::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(UNRELEASED_INDEX)
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::ReleasedAt)
                    .col(Orders::CancelledAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Indexes first: SQLite refuses to drop a column an index still uses.
        for index in [UNRELEASED_INDEX, ACTIVITY_STATUS_INDEX] {
            manager
                .drop_index(Index::drop().name(index).table(Orders::Table).to_owned())
                .await?;
        }
        for column in [Orders::ReleasedAt, Orders::PaymentRef] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
