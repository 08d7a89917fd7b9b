//! The database stock gate's own tables: the same decisions the Redis gate makes, kept in the
//! database for small sales without Redis and as the baseline the benchmarks compare against.
//! They are separate from `stock_ledgers` on purpose: the gate is its own component, and the
//! ledger is reconciled against it, not shared with it.
//!
//! `gate_stock` holds one row per loaded activity. It does not reference `activities`: the gate
//! decides for whatever it was preheated with, as the Redis gate does. Its CHECK keeps
//! `available` from going below zero whatever a writer does.
//!
//! `gate_purchases` holds every purchase the gate accepted; `returned` marks the ones given back
//! (a given-back purchase tried again is re-activated in place). The (activity_id, buyer_id)
//! index serves the per-buyer sum of the limit check and an activity's holdings.
//!
//! `accepted_at` is text, RFC 3339 in UTC with nine fractional digits: the gate must give a
//! purchase back to the nanosecond, which a Postgres timestamp (microseconds) cannot, and the
//! fixed width keeps text order the same as time order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GateStock {
    Table,
    ActivityId,
    Available,
    PerUserLimit,
}

#[derive(DeriveIden)]
enum GatePurchases {
    Table,
    PurchaseId,
    ActivityId,
    BuyerId,
    Quantity,
    UnitPriceMinor,
    Currency,
    AcceptedAt,
    Returned,
}

const BUYER_INDEX: &str = "gate_purchases_activity_id_buyer_id_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GateStock::Table)
                    .col(pk_uuid(GateStock::ActivityId))
                    .col(integer(GateStock::Available))
                    .col(integer(GateStock::PerUserLimit))
                    .check(Check::named(
                        "gate_stock_available_not_negative",
                        Expr::col(GateStock::Available).gte(0),
                    ))
                    .check(Check::named(
                        "gate_stock_per_user_limit_positive",
                        Expr::col(GateStock::PerUserLimit).gt(0),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GatePurchases::Table)
                    .col(pk_uuid(GatePurchases::PurchaseId))
                    .col(uuid(GatePurchases::ActivityId))
                    .col(uuid(GatePurchases::BuyerId))
                    .col(integer(GatePurchases::Quantity))
                    .col(big_integer(GatePurchases::UnitPriceMinor))
                    .col(string_len(GatePurchases::Currency, 3))
                    .col(text(GatePurchases::AcceptedAt))
                    .col(boolean(GatePurchases::Returned))
                    .check(Check::named(
                        "gate_purchases_quantity_positive",
                        Expr::col(GatePurchases::Quantity).gt(0),
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("gate_purchases_activity_id_fkey")
                            .from(GatePurchases::Table, GatePurchases::ActivityId)
                            .to(GateStock::Table, GateStock::ActivityId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(BUYER_INDEX)
                    .table(GatePurchases::Table)
                    .col(GatePurchases::ActivityId)
                    .col(GatePurchases::BuyerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            GatePurchases::Table.into_iden(),
            GateStock::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
