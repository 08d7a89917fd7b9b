//! The Redis stock gate against a real Redis (`redis://127.0.0.1:6379`, or
//! `SECKILLER_TEST_REDIS_URL`): the shared gate contract, then what only Redis can get wrong
//! (key layout, rebuilds from live orders, lost script cache, lost server). Each test works
//! under its own key prefix and deletes its keys when it ends, so the tests run in parallel on
//! one server.

#![allow(missing_docs)]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed step must fail the test at once"
)]

mod contract;
mod harness;
mod layout;
mod outages;
mod rebuild;
mod scripts;
