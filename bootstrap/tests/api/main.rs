//! API tests: the real application on a free port, spoken to over HTTP. Every test runs twice:
//! on the embedded wiring (SQLite, in-process gate and queue) and on the production wiring
//! (Postgres, Redis, NATS JetStream), each in its own fresh database, key prefix and stream.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod helpers;

mod accounts;
mod activities;
mod authorization;
mod bad_input;
mod connections;
mod contract;
mod crowd;
mod flow_control;
mod health;
mod http_manners;
mod idempotency;
mod lifecycle;
mod metrics;
mod products;
mod purchases;
mod request_ids;
mod sessions;
mod spec;
