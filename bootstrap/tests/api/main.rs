//! API tests: the real application on a free port, spoken to over HTTP. Every test runs twice,
//! once on the embedded wiring (SQLite) and once on Postgres, each in its own fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod helpers;

mod accounts;
mod activities;
mod bad_input;
mod health;
mod products;
