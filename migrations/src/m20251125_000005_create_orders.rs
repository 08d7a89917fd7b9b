//! Orders. The unique purchase id is what turns at-least-once delivery of accepted purchases into
//! exactly one order each (`ON CONFLICT (purchase_id) DO NOTHING`). The (status, pay_deadline)
//! index serves the expiry sweeper; (buyer_id, created_at) serves "my orders".

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20251125_000001_create_users::Users;
use crate::m20251125_000003_create_activities::Activities;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    PurchaseId,
    ActivityId,
    BuyerId,
    Quantity,
    UnitPriceMinor,
    Currency,
    Status,
    CreatedAt,
    PayDeadline,
    PaidAt,
    CancelledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(pk_uuid(Orders::Id))
                    .col(uuid(Orders::PurchaseId))
                    .col(uuid(Orders::ActivityId))
                    .col(uuid(Orders::BuyerId))
                    .col(big_integer(Orders::Quantity))
                    .col(big_integer(Orders::UnitPriceMinor))
                    .col(string_len(Orders::Currency, 3))
                    .col(string_len(Orders::Status, 32))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::PayDeadline))
                    .col(timestamp_with_time_zone_null(Orders::PaidAt))
                    .col(timestamp_with_time_zone_null(Orders::CancelledAt))
                    .check(Check::named(
                        "orders_quantity_positive",
                        Expr::col(Orders::Quantity).gt(0),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("orders_activity_id_fkey")
                            .from(Orders::Table, Orders::ActivityId)
                            .to(Activities::Table, Activities::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("orders_buyer_id_fkey")
                            .from(Orders::Table, Orders::BuyerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_purchase_id_key")
                    .table(Orders::Table)
                    .col(Orders::PurchaseId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_status_pay_deadline_idx")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::PayDeadline)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("orders_buyer_id_created_at_idx")
                    .table(Orders::Table)
                    .col(Orders::BuyerId)
                    .col(Orders::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}
