//! The catalogue: regular prices only, in integer minor units.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub(crate) enum Products {
    Table,
    Id,
    Name,
    Description,
    ImageUrl,
    PriceMinor,
    Currency,
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
                    .table(Products::Table)
                    .col(pk_uuid(Products::Id))
                    .col(text(Products::Name))
                    .col(text(Products::Description))
                    .col(text_null(Products::ImageUrl))
                    .col(big_integer(Products::PriceMinor))
                    .col(string_len(Products::Currency, 3))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .check(Check::named(
                        "products_price_not_negative",
                        Expr::col(Products::PriceMinor).gte(0),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
