//! The rush: at the opening second every buyer takes a purchase token and buys one item at a
//! time until its limit, sold out, or time is up. Every answer is timed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use crate::api::Api;
use crate::setup::{Buyer, Sale};

/// Latencies per kind of answer, in microseconds.
pub struct Latencies {
    pub token: Histogram<u64>,
    pub accepted: Histogram<u64>,
    pub refused: Histogram<u64>,
}

/// What the crowd saw.
pub struct Outcome {
    pub accepted: Vec<(String, String)>,
    pub sold_out: u64,
    pub limit_reached: u64,
    pub other: Vec<(u16, String)>,
    pub elapsed: Duration,
    pub latencies: Latencies,
}

/// An empty outcome, its histograms covering 1 µs to 60 s at 3 significant digits.
fn empty() -> anyhow::Result<Outcome> {
    let histogram = || Histogram::new_with_bounds(1, 60_000_000, 3);
    Ok(Outcome {
        accepted: Vec::new(),
        sold_out: 0,
        limit_reached: 0,
        other: Vec::new(),
        elapsed: Duration::ZERO,
        latencies: Latencies {
            token: histogram()?,
            accepted: histogram()?,
            refused: histogram()?,
        },
    })
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Waits for the opening, then lets every buyer loose for at most `budget`.
pub async fn rush(
    api: &Api,
    sale: &Sale,
    buyers: &[Buyer],
    budget: Duration,
) -> anyhow::Result<Outcome> {
    let wait = (sale.opens_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    let shared = Arc::new(Mutex::new(empty()?));
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for buyer in buyers {
        let (api, shared, activity, buyer) =
            (api.clone(), shared.clone(), sale.id.clone(), buyer.clone());
        tasks.spawn(
            async move { one_buyer(&api, &activity, &buyer, start + budget, &shared).await },
        );
    }
    while tasks.join_next().await.is_some() {}
    let mut outcome = std::mem::replace(&mut *shared.lock().await, empty()?);
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}

async fn one_buyer(
    api: &Api,
    activity: &str,
    buyer: &Buyer,
    until: Instant,
    shared: &Mutex<Outcome>,
) {
    let Ok(token) = api
        .post(
            &format!("/api/v1/activities/{activity}/purchase-tokens"),
            Some(&buyer.token),
            &json!({}),
        )
        .await
    else {
        return;
    };
    {
        let mut o = shared.lock().await;
        let _ = o.latencies.token.record(micros(token.took));
        if token.status != StatusCode::CREATED {
            match token.body["code"].as_str() {
                Some("sold_out") => o.sold_out += 1,
                _ => o.other.push((
                    token.status.as_u16(),
                    token.body["code"].as_str().unwrap_or("?").to_owned(),
                )),
            }
            return;
        }
    }
    let purchase_token = token.body["token"].as_str().unwrap_or_default().to_owned();
    while Instant::now() < until {
        let body = json!({"purchase_token": purchase_token, "quantity": 1});
        let Ok(answer) = api
            .post(
                &format!("/api/v1/activities/{activity}/purchases"),
                Some(&buyer.token),
                &body,
            )
            .await
        else {
            return;
        };
        let mut o = shared.lock().await;
        match (answer.status, answer.body["code"].as_str()) {
            (StatusCode::ACCEPTED, _) => {
                let _ = o.latencies.accepted.record(micros(answer.took));
                let purchase = answer.body["purchase_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                o.accepted.push((buyer.token.clone(), purchase));
            }
            (_, Some("sold_out")) => {
                let _ = o.latencies.refused.record(micros(answer.took));
                o.sold_out += 1;
                return;
            }
            (_, Some("limit_reached")) => {
                let _ = o.latencies.refused.record(micros(answer.took));
                o.limit_reached += 1;
                return;
            }
            (status, code) => {
                o.other
                    .push((status.as_u16(), code.unwrap_or("?").to_owned()));
                return;
            }
        }
    }
}
