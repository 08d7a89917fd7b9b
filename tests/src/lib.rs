//! End-to-end harness: runs the real `seckiller` binary as a child process over real Postgres,
//! Redis and NATS JetStream, so a test can do what no in-process test can — `kill -9` a node
//! mid-sale and start it again — and then prove from the outside that nothing accepted was lost.
//!
//! Outage scenarios also start their own Redis, NATS and Postgres ([`servers`]) to kill, freeze
//! and restart them, and drive a crowd that keeps retrying through the outage
//! ([`retrying_crowd`]).
//!
//! Each test owns an [`Environment`] (its own database, Redis key prefix and JetStream stream),
//! so the suite runs in parallel and cleans up after itself, even when a test panics.
//!
//! This crate is test support only: it talks to the service through the client generated from
//! the OpenAPI document (`seckiller-client`), reads the database directly only to check
//! invariants or to insert buyers, and must not depend on the service's own crates (apart from
//! `seckiller-nats`' stream clean-up).

pub mod api;
pub mod binary;
pub mod buyers;
pub mod crowd;
pub mod environment;
pub mod ledger;
pub mod node;
pub mod orders;
pub mod retrying_crowd;
pub mod sale_audit;
pub mod servers;

pub use api::{Api, ApiError, PurchaseState, SaleSpec, is_no_answer};
pub use binary::{crowd_binary, seckiller_binary};
pub use buyers::{Buyer, insert_buyers};
pub use crowd::{Answer, Outcome, rush};
pub use environment::{Environment, ServerUrls};
pub use ledger::{LedgerVerdict, check_until_balanced};
pub use node::{KillSwitch, Node};
pub use orders::{SaleOrder, orders_of_sale};
pub use retrying_crowd::{CrowdReport, Latencies, RetryPlan, RetryingCrowd};
pub use sale_audit::{SaleAudit, audit_sale};
pub use servers::{NatsServer, PostgresServer, RedisPersistence, RedisServer};
