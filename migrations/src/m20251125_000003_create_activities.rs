//! Flash sales. `version` backs optimistic concurrency for admin edits; the (state, starts_at)
//! index serves the public listing and the "what opens next" queries.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20251125_000002_create_products::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Activities {
    Table,
    Id,
    ProductId,
    Title,
    SalePriceMinor,
    Currency,
    TotalStock,
    PerUserLimit,
    StartsAt,
    EndsAt,
    PaymentWindowSeconds,
    State,
    Version,
    CreatedAt,
    UpdatedAt,
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
                    .table(Activities::Table)
                    .col(pk_uuid(Activities::Id))
                    .col(uuid(Activities::ProductId))
                    .col(text(Activities::Title))
                    .col(big_integer(Activities::SalePriceMinor))
                    .col(string_len(Activities::Currency, 3))
                    .col(big_integer(Activities::TotalStock))
                    .col(big_integer(Activities::PerUserLimit))
                    .col(timestamp_with_time_zone(Activities::StartsAt))
                    .col(timestamp_with_time_zone(Activities::EndsAt))
                    .col(big_integer(Activities::PaymentWindowSeconds))
                    .col(string_len(Activities::State, 16))
                    .col(big_integer(Activities::Version))
                    .col(timestamp_with_time_zone(Activities::CreatedAt))
                    .col(timestamp_with_time_zone(Activities::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("activities_product_id_fkey")
                            .from(Activities::Table, Activities::ProductId)
                            .to(Products::Table, Products::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("activities_state_starts_at_idx")
                    .table(Activities::Table)
                    .col(Activities::State)
                    .col(Activities::StartsAt)
                    .to_owned(),
            )
            .await?;
        // The listing orders by creation time, newest first.
        manager
            .create_index(
                Index::create()
                    .name("activities_created_at_idx")
                    .table(Activities::Table)
                    .col(Activities::CreatedAt)
                    .col(Activities::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Activities::Table).to_owned())
            .await
    }
}
