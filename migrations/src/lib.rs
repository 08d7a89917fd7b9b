//! The database schema, as an ordered list of sea-orm migrations that run unchanged on Postgres
//! (production) and SQLite (the embedded default). Each migration lives in its own file and is
//! never edited once released: a schema change is a new file appended to [`Migrator`].
//!
//! Every migration runs in a transaction on both backends (SQLite has transactional DDL too), so
//! a failed run leaves nothing half-applied and can simply be retried.
//!
//! This crate knows tables and constraints only; it must not depend on the domain or on any
//! adapter. Invariants the database itself can guard (a stock ledger that adds up, one order per
//! purchase) are written here as constraints, so no code path can break them.

use sea_orm_migration::prelude::*;

/// Re-exported so callers can run [`Migrator`] without depending on sea-orm-migration themselves.
pub use sea_orm_migration::MigratorTrait;

mod m20251125_000001_create_users;
mod m20251125_000002_create_products;
mod m20251125_000003_create_activities;
mod m20251125_000004_create_stock_ledgers;
mod m20251125_000005_create_orders;
mod m20251125_000006_create_settings;
mod m20251126_000007_create_purchase_tables;
mod m20251127_000008_order_lifecycle;
mod m20251127_000009_database_gate;
mod m20251128_000010_create_sessions;
mod m20251128_000011_token_secret_out_of_database;
mod m20251128_000012_order_expired_at;
mod m20251128_000013_idempotency_keys;

/// Applies the schema, in order; `Migrator::up(db, None)` is safe to run on every start because
/// applied migrations are recorded and skipped.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251125_000001_create_users::Migration),
            Box::new(m20251125_000002_create_products::Migration),
            Box::new(m20251125_000003_create_activities::Migration),
            Box::new(m20251125_000004_create_stock_ledgers::Migration),
            Box::new(m20251125_000005_create_orders::Migration),
            Box::new(m20251125_000006_create_settings::Migration),
            Box::new(m20251126_000007_create_purchase_tables::Migration),
            Box::new(m20251127_000008_order_lifecycle::Migration),
            Box::new(m20251127_000009_database_gate::Migration),
            Box::new(m20251128_000010_create_sessions::Migration),
            Box::new(m20251128_000011_token_secret_out_of_database::Migration),
            Box::new(m20251128_000012_order_expired_at::Migration),
            Box::new(m20251128_000013_idempotency_keys::Migration),
        ]
    }
}
