//! One stock ledger per activity. The CHECK constraints are invariant 3 of the design
//! (`total = available + held + sold`, nothing negative) enforced by the database itself, so a
//! buggy or concurrent writer is refused instead of silently overselling.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20251125_000003_create_activities::Activities;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StockLedgers {
    Table,
    ActivityId,
    Total,
    Available,
    Held,
    Sold,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // CHECK constraints are written inline in CREATE TABLE, which both backends accept
        // (SQLite cannot add them later with ALTER TABLE).
        let balanced = Expr::col(StockLedgers::Total).eq(Expr::col(StockLedgers::Available)
            .add(Expr::col(StockLedgers::Held))
            .add(Expr::col(StockLedgers::Sold)));
        manager
            .create_table(
                Table::create()
                    .table(StockLedgers::Table)
                    .col(pk_uuid(StockLedgers::ActivityId))
                    .col(big_integer(StockLedgers::Total))
                    .col(big_integer(StockLedgers::Available))
                    .col(big_integer(StockLedgers::Held))
                    .col(big_integer(StockLedgers::Sold))
                    .check(Check::named(
                        "stock_ledgers_available_not_negative",
                        Expr::col(StockLedgers::Available).gte(0),
                    ))
                    .check(Check::named(
                        "stock_ledgers_held_not_negative",
                        Expr::col(StockLedgers::Held).gte(0),
                    ))
                    .check(Check::named(
                        "stock_ledgers_sold_not_negative",
                        Expr::col(StockLedgers::Sold).gte(0),
                    ))
                    .check(Check::named("stock_ledgers_balanced", balanced))
                    .foreign_key(
                        ForeignKey::create()
                            .name("stock_ledgers_activity_id_fkey")
                            .from(StockLedgers::Table, StockLedgers::ActivityId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StockLedgers::Table).to_owned())
            .await
    }
}
