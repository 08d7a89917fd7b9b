//! The regular shop: each product's state (active or archived) and its regular stock ledger, a
//! search index over names and descriptions, buyers' carts, and regular orders with their lines.
//!
//! `product_stock` is a ledger of its own, apart from every sale's `stock_ledgers`, with the same
//! CHECKs (`total = available + held + sold`, nothing negative): a checkout and a flash sale of
//! one product never touch the same row. The search index is Postgres full-text search (a GIN
//! index over the 'simple' configuration, no stemming) or SQLite FTS5 (a table kept by triggers,
//! the unicode61 tokenizer): both split on anything but letters and digits and fold case.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20251125_000001_create_users::Users;
use crate::m20251125_000002_create_products::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductsState {
    State,
}

#[derive(DeriveIden)]
enum ProductStock {
    Table,
    ProductId,
    Total,
    Available,
    Held,
    Sold,
}

#[derive(DeriveIden)]
enum CartLines {
    Table,
    BuyerId,
    ProductId,
    Quantity,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RegularOrders {
    Table,
    Id,
    BuyerId,
    Currency,
    TotalMinor,
    Status,
    CreatedAt,
    PayDeadline,
    PaidAt,
    PaymentRef,
    CancelledAt,
    ExpiredAt,
    ReleasedAt,
}

#[derive(DeriveIden)]
enum RegularOrderLines {
    Table,
    OrderId,
    ProductId,
    Name,
    UnitPriceMinor,
    Quantity,
}

const POSTGRES_SEARCH: &str = "CREATE INDEX products_search_idx ON products \
     USING GIN (to_tsvector('simple', name || ' ' || description))";

const SQLITE_SEARCH: [&str; 5] = [
    "CREATE VIRTUAL TABLE product_search USING fts5(product_id UNINDEXED, body, \
     tokenize = 'unicode61 remove_diacritics 0')",
    "INSERT INTO product_search (product_id, body) \
     SELECT id, name || ' ' || description FROM products",
    "CREATE TRIGGER product_search_insert AFTER INSERT ON products BEGIN \
     INSERT INTO product_search (product_id, body) VALUES (new.id, new.name || ' ' || new.description); END",
    "CREATE TRIGGER product_search_update AFTER UPDATE OF name, description ON products BEGIN \
     UPDATE product_search SET body = new.name || ' ' || new.description WHERE product_id = new.id; END",
    "CREATE TRIGGER product_search_delete AFTER DELETE ON products BEGIN \
     DELETE FROM product_search WHERE product_id = old.id; END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(string_len(ProductsState::State, 16).default("active"))
                    .to_owned(),
            )
            .await?;
        create_product_stock(manager).await?;
        create_carts(manager).await?;
        create_regular_orders(manager).await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(POSTGRES_SEARCH).await?;
            }
            DatabaseBackend::Sqlite => {
                for statement in SQLITE_SEARCH {
                    db.execute_unprepared(statement).await?;
                }
            }
            _ => {
                return Err(DbErr::Migration(
                    "only Postgres and SQLite are supported".into(),
                ));
            }
        }
        db.execute_unprepared(
            "INSERT INTO product_stock (product_id, total, available, held, sold) \
             SELECT id, 0, 0, 0, 0 FROM products",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for trigger in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!(
                        "DROP TRIGGER IF EXISTS product_search_{trigger}"
                    ))
                    .await?;
                }
                db.execute_unprepared("DROP TABLE IF EXISTS product_search")
                    .await?;
            }
            _ => {
                db.execute_unprepared("DROP INDEX IF EXISTS products_search_idx")
                    .await?;
            }
        }
        for table in [
            RegularOrderLines::Table.into_iden(),
            RegularOrders::Table.into_iden(),
            CartLines::Table.into_iden(),
            ProductStock::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(ProductsState::State)
                    .to_owned(),
            )
            .await
    }
}

async fn create_product_stock(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let balanced = Expr::col(ProductStock::Total).eq(Expr::col(ProductStock::Available)
        .add(Expr::col(ProductStock::Held))
        .add(Expr::col(ProductStock::Sold)));
    manager
        .create_table(
            Table::create()
                .table(ProductStock::Table)
                .col(pk_uuid(ProductStock::ProductId))
                .col(big_integer(ProductStock::Total))
                .col(big_integer(ProductStock::Available))
                .col(big_integer(ProductStock::Held))
                .col(big_integer(ProductStock::Sold))
                .check(Check::named(
                    "product_stock_available_not_negative",
                    Expr::col(ProductStock::Available).gte(0),
                ))
                .check(Check::named(
                    "product_stock_held_not_negative",
                    Expr::col(ProductStock::Held).gte(0),
                ))
                .check(Check::named(
                    "product_stock_sold_not_negative",
                    Expr::col(ProductStock::Sold).gte(0),
                ))
                .check(Check::named("product_stock_balanced", balanced))
                .foreign_key(
                    ForeignKey::create()
                        .name("product_stock_product_id_fkey")
                        .from(ProductStock::Table, ProductStock::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
}

async fn create_carts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(CartLines::Table)
                .col(uuid(CartLines::BuyerId))
                .col(uuid(CartLines::ProductId))
                .col(integer(CartLines::Quantity))
                .col(timestamp_with_time_zone(CartLines::UpdatedAt))
                .primary_key(
                    Index::create()
                        .name("cart_lines_pkey")
                        .col(CartLines::BuyerId)
                        .col(CartLines::ProductId),
                )
                .check(Check::named(
                    "cart_lines_quantity_positive",
                    Expr::col(CartLines::Quantity).gte(1),
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("cart_lines_buyer_id_fkey")
                        .from(CartLines::Table, CartLines::BuyerId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("cart_lines_product_id_fkey")
                        .from(CartLines::Table, CartLines::ProductId)
                        .to(Products::Table, Products::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
}

async fn create_regular_orders(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RegularOrders::Table)
                .col(pk_uuid(RegularOrders::Id))
                .col(uuid(RegularOrders::BuyerId))
                .col(string_len(RegularOrders::Currency, 3))
                .col(big_integer(RegularOrders::TotalMinor))
                .col(string_len(RegularOrders::Status, 32))
                .col(timestamp_with_time_zone(RegularOrders::CreatedAt))
                .col(timestamp_with_time_zone(RegularOrders::PayDeadline))
                .col(timestamp_with_time_zone_null(RegularOrders::PaidAt))
                .col(text_null(RegularOrders::PaymentRef))
                .col(timestamp_with_time_zone_null(RegularOrders::CancelledAt))
                .col(timestamp_with_time_zone_null(RegularOrders::ExpiredAt))
                .col(timestamp_with_time_zone_null(RegularOrders::ReleasedAt))
                .check(Check::named(
                    "regular_orders_total_not_negative",
                    Expr::col(RegularOrders::TotalMinor).gte(0),
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("regular_orders_buyer_id_fkey")
                        .from(RegularOrders::Table, RegularOrders::BuyerId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("regular_orders_buyer_idx")
                .table(RegularOrders::Table)
                .col(RegularOrders::BuyerId)
                .col(RegularOrders::CreatedAt)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("regular_orders_due_idx")
                .table(RegularOrders::Table)
                .col(RegularOrders::Status)
                .col(RegularOrders::PayDeadline)
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(RegularOrderLines::Table)
                .col(uuid(RegularOrderLines::OrderId))
                .col(uuid(RegularOrderLines::ProductId))
                .col(text(RegularOrderLines::Name))
                .col(big_integer(RegularOrderLines::UnitPriceMinor))
                .col(integer(RegularOrderLines::Quantity))
                .primary_key(
                    Index::create()
                        .name("regular_order_lines_pkey")
                        .col(RegularOrderLines::OrderId)
                        .col(RegularOrderLines::ProductId),
                )
                .check(Check::named(
                    "regular_order_lines_quantity_positive",
                    Expr::col(RegularOrderLines::Quantity).gte(1),
                ))
                .check(Check::named(
                    "regular_order_lines_price_not_negative",
                    Expr::col(RegularOrderLines::UnitPriceMinor).gte(0),
                ))
                .foreign_key(
                    ForeignKey::create()
                        .name("regular_order_lines_order_id_fkey")
                        .from(RegularOrderLines::Table, RegularOrderLines::OrderId)
                        .to(RegularOrders::Table, RegularOrders::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("regular_order_lines_product_id_fkey")
                        .from(RegularOrderLines::Table, RegularOrderLines::ProductId)
                        .to(Products::Table, Products::Id),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("regular_order_lines_product_idx")
                .table(RegularOrderLines::Table)
                .col(RegularOrderLines::ProductId)
                .to_owned(),
        )
        .await
}
