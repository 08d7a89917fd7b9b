//! A gate per test, under a fresh key prefix, whose keys are deleted when the test ends, also
//! when it fails.

use std::sync::Arc;

use fred::prelude::{Builder, Client, ClientLike, Config, Key, KeysInterface};
use futures::TryStreamExt;
use seckiller_contract::gate::GateUnderTest;
use seckiller_redis::RedisStockGate;
use uuid::Uuid;

/// The Redis the tests use.
pub fn redis_url() -> String {
    std::env::var("SECKILLER_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix no other test uses.
pub fn fresh_prefix() -> String {
    format!("seckiller-test:{}:", Uuid::now_v7().simple())
}

/// A gate under its own prefix; its keys go when it is dropped.
pub struct TestGate {
    pub gate: Arc<RedisStockGate>,
    pub prefix: String,
    _cleanup: Cleanup,
}

impl GateUnderTest for TestGate {
    type Gate = RedisStockGate;

    fn gate(&self) -> &Arc<RedisStockGate> {
        &self.gate
    }
}

/// Connects a gate under a fresh prefix.
pub async fn open() -> TestGate {
    let prefix = fresh_prefix();
    let cleanup = Cleanup {
        prefix: prefix.clone(),
    };
    let gate = RedisStockGate::connect(&redis_url(), &prefix)
        .await
        .unwrap_or_else(|e| panic!("no Redis at {} ({e})", redis_url()));
    TestGate {
        gate: Arc::new(gate),
        prefix,
        _cleanup: cleanup,
    }
}

/// A plain client, to look at or tamper with what the gate stored.
pub async fn redis() -> Client {
    let client = Builder::from_config(Config::from_url(&redis_url()).unwrap())
        .build()
        .unwrap();
    client.init().await.unwrap();
    client
}

/// Every key under `prefix` (SCAN, so the server is never blocked).
pub async fn keys_under(client: &Client, prefix: &str) -> Vec<String> {
    let keys: Vec<Key> = client
        .scan_buffered(format!("{prefix}*"), Some(500), None)
        .try_collect()
        .await
        .unwrap();
    keys.iter()
        .map(|k| k.as_str().unwrap_or_default().to_owned())
        .collect()
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Deletes every key under its prefix when dropped. The test's runtime may be going down (or
/// the test panicking), so the deletion runs on a thread with a runtime and client of its own.
struct Cleanup {
    prefix: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let prefix = self.prefix.clone();
        let done = std::thread::spawn(move || -> Result<(), BoxError> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let client = redis().await;
                let keys = keys_under(&client, &prefix).await;
                if !keys.is_empty() {
                    client.del::<i64, _>(keys).await?;
                }
                client.quit().await?;
                Ok(())
            })
        })
        .join();
        // A panic inside a drop during a panic would abort the whole test binary: report only.
        match done {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("keys under {} not deleted: {error}", self.prefix),
            Err(_) => eprintln!("keys under {} not deleted: cleanup panicked", self.prefix),
        }
    }
}
