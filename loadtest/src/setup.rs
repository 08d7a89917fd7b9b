//! Setting the stage: a product, a sale opening in a moment, and the buyers (created in bulk by
//! the admin, or registered and signed in one by one).

use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::ProgressBar;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::api::Api;

/// The most buyers `POST /admin/buyers` creates per call.
const BULK_CHUNK: usize = 1000;
/// Bulk calls in flight at once.
const BULK_IN_FLIGHT: usize = 4;
/// Registrations in flight at once (password hashing is slow on purpose).
const REGISTER_IN_FLIGHT: usize = 16;

/// The sale under test.
pub struct Sale {
    pub id: String,
    /// The opening, on this machine's clock (corrected by the service's `server_time`).
    pub opens_at: Instant,
}

/// A buyer and its session token.
#[derive(Clone)]
pub struct Buyer {
    pub token: String,
}

/// How the buyers come to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuyerSource {
    /// `POST /admin/buyers`, a thousand per call.
    Bulk,
    /// `POST /users` then `POST /sessions`, one buyer at a time.
    Register,
}

/// What the sale looks like.
pub struct SaleSpec {
    pub stock: u32,
    pub limit: u32,
    pub opens_in: Duration,
    pub payment_window: Duration,
}

fn created(what: &str, answer: &crate::api::Answer, want: StatusCode) -> anyhow::Result<()> {
    anyhow::ensure!(
        answer.status == want,
        "{what}: {} {}",
        answer.status,
        answer.body
    );
    Ok(())
}

/// Creates and publishes a sale opening `spec.opens_in` from now, lasting an hour.
///
/// # Errors
/// The service refused a step or could not be reached.
pub async fn sale(api: &Api, admin: &str, spec: &SaleSpec) -> anyhow::Result<Sale> {
    let body = json!({"name": "Crowd phone", "price": {"amount_minor": 49_900, "currency": "USD"}});
    let product = api
        .post("/api/v1/admin/products", Some(admin), &body, None)
        .await?;
    created("product", &product, StatusCode::CREATED)?;
    let starts_at = chrono::Utc::now() + chrono::Duration::from_std(spec.opens_in)?;
    let body = json!({
        "product_id": product.body["id"],
        "title": "Crowd sale",
        "sale_price": {"amount_minor": 9_900, "currency": "USD"},
        "total_stock": spec.stock,
        "per_user_limit": spec.limit,
        "starts_at": starts_at.to_rfc3339(),
        "ends_at": (starts_at + chrono::Duration::hours(1)).to_rfc3339(),
        "payment_window_seconds": spec.payment_window.as_secs(),
    });
    let made = api
        .post("/api/v1/admin/activities", Some(admin), &body, None)
        .await?;
    created("activity", &made, StatusCode::CREATED)?;
    let id = made.body["id"]
        .as_str()
        .context("no id in the activity answer")?
        .to_owned();
    let published = api
        .post(
            &format!("/api/v1/admin/activities/{id}/publication"),
            Some(admin),
            &json!({}),
            None,
        )
        .await?;
    created("publication", &published, StatusCode::OK)?;
    // The service's clock decides when the sale opens; counting down against it keeps a crowd
    // on another machine from arriving early.
    Ok(Sale {
        opens_at: local_opening(&published.body, starts_at),
        id,
    })
}

/// The opening on the local monotonic clock: `starts_at` minus the service's `server_time`,
/// from now (or the local wall clock's view when the answer has no `server_time`).
fn local_opening(activity: &Value, starts_at: chrono::DateTime<chrono::Utc>) -> Instant {
    let server_now = activity["server_time"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc));
    let until = (starts_at - server_now).to_std().unwrap_or_default();
    Instant::now() + until
}

/// Makes `n` buyers, counting them on `bar`.
///
/// # Errors
/// The service refused to create or sign in a buyer.
pub async fn buyers(
    api: &Api,
    admin: &str,
    n: usize,
    source: BuyerSource,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<Buyer>> {
    let buyers = match source {
        BuyerSource::Bulk => bulk(api, admin, n, bar).await?,
        BuyerSource::Register => register(api, n, bar).await?,
    };
    bar.finish();
    Ok(buyers)
}

async fn bulk(api: &Api, admin: &str, n: usize, bar: &ProgressBar) -> anyhow::Result<Vec<Buyer>> {
    let mut tasks = JoinSet::new();
    let mut buyers = Vec::with_capacity(n);
    let mut left = n;
    while left > 0 || !tasks.is_empty() {
        while left > 0 && tasks.len() < BULK_IN_FLIGHT {
            let count = left.min(BULK_CHUNK);
            left -= count;
            let (api, admin) = (api.clone(), admin.to_owned());
            tasks.spawn(async move {
                let made = api
                    .post(
                        "/api/v1/admin/buyers",
                        Some(&admin),
                        &json!({"count": count}),
                        None,
                    )
                    .await?;
                created("bulk buyers", &made, StatusCode::CREATED)?;
                let list = made.body["buyers"]
                    .as_array()
                    .context("no buyers in the bulk answer")?;
                list.iter()
                    .map(|b| {
                        b["token"]
                            .as_str()
                            .map(|t| Buyer {
                                token: t.to_owned(),
                            })
                            .context("a bulk buyer without a token")
                    })
                    .collect::<anyhow::Result<Vec<Buyer>>>()
            });
        }
        if let Some(done) = tasks.join_next().await {
            let chunk = done??;
            bar.inc(chunk.len() as u64);
            buyers.extend(chunk);
        }
    }
    anyhow::ensure!(
        buyers.len() == n,
        "asked for {n} buyers, got {}",
        buyers.len()
    );
    Ok(buyers)
}

async fn register(api: &Api, n: usize, bar: &ProgressBar) -> anyhow::Result<Vec<Buyer>> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let run = run.get(20..).unwrap_or(&run).to_owned();
    let mut tasks = JoinSet::new();
    let mut buyers = Vec::with_capacity(n);
    let mut next = 0;
    while next < n || !tasks.is_empty() {
        while next < n && tasks.len() < REGISTER_IN_FLIGHT {
            let api = api.clone();
            let username = format!("crowd{run}{next}");
            next += 1;
            tasks.spawn(async move {
                let body = json!({"username": username, "password": "crowd-password"});
                let made = api.post("/api/v1/users", None, &body, None).await?;
                created("register", &made, StatusCode::CREATED)?;
                api.sign_in(&username, "crowd-password").await
            });
        }
        if let Some(done) = tasks.join_next().await {
            buyers.push(Buyer { token: done?? });
            bar.inc(1);
        }
    }
    Ok(buyers)
}
