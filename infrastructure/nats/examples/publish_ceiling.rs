//! Measures the publish ceiling of the JetStream purchase queue: how many purchases per second
//! become durable (publish acked) with C publishes in flight. A measurement for
//! docs/benchmarks.md, not a test: it asserts nothing and its figure depends on the machine.
//!
//! ```text
//! cargo run --release -p seckiller-nats --example publish_ceiling -- [N] [C]
//! ```
//! N purchases (default 20000), C in flight (default 500), against `SECKILLER_NATS_URL`
//! (default `nats://127.0.0.1:4222`). Uses a throw-away stream, deleted at the end.

// Printing the result is this program's whole job.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::Instant;

use chrono::Utc;
use futures::StreamExt;
use seckiller_domain::ports::PurchaseQueue;
use seckiller_domain::{ActivityId, Currency, Money, Purchase, PurchaseId, Quantity, UserId};
use seckiller_nats::JetStreamPurchaseQueue;
use uuid::Uuid;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let in_flight: usize = args.next().map_or(Ok(500), |c| c.parse())?;
    let url =
        std::env::var("SECKILLER_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let stream = format!("BENCH{}", Uuid::now_v7().simple());

    let queue = JetStreamPurchaseQueue::connect(&url, &stream).await?;
    let outcome = measure(&queue, total, in_flight.max(1)).await;
    queue.delete_streams().await?;
    let (acked, failed, seconds) = outcome?;

    println!("publish ceiling against {url}");
    println!("  purchases: {total}, in flight: {in_flight}");
    println!("  acked: {acked}, failed: {failed}, elapsed: {seconds:.3} s");
    println!(
        "  acked publishes per second: {:.0}",
        acked as f64 / seconds
    );
    Ok(())
}

async fn measure(
    queue: &JetStreamPurchaseQueue,
    total: usize,
    in_flight: usize,
) -> Result<(usize, usize, f64), Box<dyn Error>> {
    let activity = ActivityId::from_uuid(Uuid::now_v7());
    let price = Money::new(9_900, Currency::parse("USD")?)?;
    let purchases: Vec<Purchase> = (0..total)
        .map(|_| Purchase {
            id: PurchaseId::from_uuid(Uuid::now_v7()),
            activity_id: activity,
            buyer_id: UserId::from_uuid(Uuid::now_v7()),
            quantity: Quantity::ONE,
            unit_price: price,
            accepted_at: Utc::now(),
        })
        .collect();

    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(&purchases)
        .map(|purchase| queue.publish(purchase))
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let failed = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(err)) = results.iter().find(|r| r.is_err()) {
        println!("first failure: {err}");
    }
    Ok((results.len() - failed, failed, seconds))
}
