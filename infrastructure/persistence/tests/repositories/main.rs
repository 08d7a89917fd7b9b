//! The persistence adapters against real databases, as one test binary: the shared repository
//! contract on SQLite and on Postgres, then what only a database adapter has to prove
//! (migrations, settings, constraints, atomicity, corrupt rows, concurrent order writers, order
//! moves racing across nodes, the embedded purchase queue's own behaviour), and the database stock
//! gate with the gate contract.
//!
//! Every test gets its own database (a fresh SQLite file, a fresh Postgres database) that is
//! removed when the test ends, even by a panic, so the suite runs in parallel. Postgres is taken
//! from `SECKILLER_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`.

#![allow(
    clippy::expect_used,
    reason = "test code: clippy's allow-expect-in-tests covers #[test] bodies but not their helpers"
)]

/// Runs each named `async fn check(store: harness::Store)` of the calling module once per backend,
/// as `sqlite::check` and `postgres::check`.
macro_rules! on_both_backends {
    ($($check:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $check() {
                    super::$check(crate::harness::sqlite().await).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $check() {
                    super::$check(crate::harness::postgres().await).await;
                }
            )+
        }
    };
}

mod connecting;
mod constraints;
mod gate;
mod harness;
mod lifecycle;
mod orders;
mod queue;
mod schema;
mod sessions;
mod timestamps;

mod sqlite {
    seckiller_contract::repository_contract!(crate::harness::sqlite());
    mod sessions {
        seckiller_contract::session_contract!(crate::harness::sqlite());
    }
    seckiller_contract::order_contract!(crate::harness::sqlite());
    seckiller_contract::feed_contract!(crate::harness::sqlite_queue());
    seckiller_contract::idempotency_contract!(crate::harness::sqlite());
}

mod postgres {
    seckiller_contract::repository_contract!(crate::harness::postgres());
    mod sessions {
        seckiller_contract::session_contract!(crate::harness::postgres());
    }
    seckiller_contract::order_contract!(crate::harness::postgres());
    seckiller_contract::feed_contract!(crate::harness::postgres_queue());
    seckiller_contract::idempotency_contract!(crate::harness::postgres());
}
