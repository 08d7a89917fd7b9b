//! sea-orm entities mirroring the tables created by `seckiller-migrations`. They never leave this
//! crate: repositories convert them to domain types at the boundary.

pub(crate) mod activity;
pub(crate) mod dead_purchase;
pub(crate) mod gate_purchase;
pub(crate) mod gate_stock;
pub(crate) mod idempotency_key;
pub(crate) mod order;
pub(crate) mod product;
pub(crate) mod purchase_rejection;
pub(crate) mod queued_purchase;
pub(crate) mod refresh_token;
pub(crate) mod session;
pub(crate) mod setting;
pub(crate) mod stock_ledger;
pub(crate) mod user;

use chrono::{DateTime, SubsecRound, Utc};

/// A timestamp as stored: cut to microseconds, the precision of Postgres, on SQLite as well, so
/// both backends give back the same instant and order rows alike.
pub(crate) fn stored(instant: DateTime<Utc>) -> DateTime<Utc> {
    instant.trunc_subsecs(6)
}
