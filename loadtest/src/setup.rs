//! Setting the stage: a product, a sale opening in a moment, and the buyers (created in bulk by
//! the admin, or registered and signed in one by one).

use std::num::NonZeroU64;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::ProgressBar;
use seckiller_client::types::{
    ActivityRequest, BulkBuyersRequest, Money, ProductRequest, RegisterRequest,
};
use seckiller_client::{Client, ClientInfo};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::client::{self, Answered};

/// The most buyers `POST /admin/buyers` creates per call.
const BULK_CHUNK: usize = 1000;
/// Bulk calls in flight at once.
const BULK_IN_FLIGHT: usize = 4;
/// Registrations in flight at once (password hashing is slow on purpose).
const REGISTER_IN_FLIGHT: usize = 16;
/// Every registered buyer's password.
const BUYER_PASSWORD: &str = "crowd-maple-otter-47";

/// The sale under test.
pub struct Sale {
    pub id: Uuid,
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

fn usd(amount_minor: i64) -> anyhow::Result<Money> {
    Ok(Money {
        amount_minor,
        currency: "USD".parse()?,
    })
}

/// Creates and publishes a sale opening `spec.opens_in` from now, lasting an hour, through the
/// `admin`'s client.
///
/// # Errors
/// The spec has no stock, limit or payment window, or the service refused a step or could not
/// be reached.
pub async fn sale(admin: &Client, spec: &SaleSpec) -> anyhow::Result<Sale> {
    let product = admin
        .create_product(
            None,
            &ProductRequest {
                name: "Crowd phone".parse()?,
                description: None,
                image_url: None,
                price: usd(49_900)?,
            },
        )
        .await
        .answer("product")?;
    let starts_at = Utc::now() + chrono::Duration::from_std(spec.opens_in)?;
    let draft = admin
        .create_activity(
            None,
            &ActivityRequest {
                product_id: product.id,
                title: "Crowd sale".parse()?,
                sale_price: usd(9_900)?,
                total_stock: NonZeroU64::new(spec.stock.into()).context("activity: no stock")?,
                per_user_limit: NonZeroU64::new(spec.limit.into())
                    .context("activity: a per-user limit of 0")?,
                starts_at,
                ends_at: starts_at + chrono::Duration::hours(1),
                payment_window_seconds: Some(
                    NonZeroU64::new(spec.payment_window.as_secs())
                        .context("activity: a payment window under a second")?,
                ),
            },
        )
        .await
        .answer("activity")?;
    let published = admin
        .publish_activity(&draft.id, None)
        .await
        .answer("publication")?;
    // The service's clock decides when the sale opens; counting down against it keeps a crowd
    // on another machine from arriving early.
    Ok(Sale {
        opens_at: local_opening(published.server_time, starts_at),
        id: published.id,
    })
}

/// The opening on the local monotonic clock: `starts_at` minus the service's `server_now`,
/// from now.
fn local_opening(server_now: DateTime<Utc>, starts_at: DateTime<Utc>) -> Instant {
    let until = (starts_at - server_now).to_std().unwrap_or_default();
    Instant::now() + until
}

/// Makes `n` buyers through the `admin`'s client (whose node registers them, when they register
/// themselves), counting them on `bar`.
///
/// # Errors
/// The service refused to create or sign in a buyer.
pub async fn buyers(
    admin: &Client,
    n: usize,
    source: BuyerSource,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<Buyer>> {
    let buyers = match source {
        BuyerSource::Bulk => bulk(admin, n, bar).await?,
        BuyerSource::Register => register(&client::at(admin.baseurl(), None)?, n, bar).await?,
    };
    bar.finish();
    Ok(buyers)
}

async fn bulk(admin: &Client, n: usize, bar: &ProgressBar) -> anyhow::Result<Vec<Buyer>> {
    let mut tasks = JoinSet::new();
    let mut buyers = Vec::with_capacity(n);
    let mut left = n;
    while left > 0 || !tasks.is_empty() {
        while left > 0 && tasks.len() < BULK_IN_FLIGHT {
            let count = left.min(BULK_CHUNK);
            left -= count;
            let admin = admin.clone();
            tasks.spawn(async move {
                let count = NonZeroU64::new(u64::try_from(count)?).context("an empty chunk")?;
                let made = admin
                    .create_buyers(None, &BulkBuyersRequest { count })
                    .await
                    .answer("bulk buyers")?;
                anyhow::Ok(
                    made.buyers
                        .into_iter()
                        .map(|b| Buyer { token: b.token })
                        .collect::<Vec<_>>(),
                )
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

/// Registers `n` buyers through `anonymous` (a client without a session) and signs each in.
async fn register(anonymous: &Client, n: usize, bar: &ProgressBar) -> anyhow::Result<Vec<Buyer>> {
    let run = Uuid::now_v7().simple().to_string();
    let run = run.get(20..).unwrap_or(&run).to_owned();
    let mut tasks = JoinSet::new();
    let mut buyers = Vec::with_capacity(n);
    let mut next = 0;
    while next < n || !tasks.is_empty() {
        while next < n && tasks.len() < REGISTER_IN_FLIGHT {
            let anonymous = anonymous.clone();
            let username = format!("crowd{run}{next}");
            next += 1;
            tasks.spawn(async move {
                anonymous
                    .register(
                        None,
                        &RegisterRequest {
                            username: username.parse()?,
                            password: BUYER_PASSWORD.parse()?,
                        },
                    )
                    .await
                    .answer("register")?;
                client::sign_in(&anonymous, &username, BUYER_PASSWORD).await
            });
        }
        if let Some(done) = tasks.join_next().await {
            buyers.push(Buyer { token: done?? });
            bar.inc(1);
        }
    }
    Ok(buyers)
}
