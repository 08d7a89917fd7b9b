//! Setting the stage: a product, a sale opening in a moment, and the buyers.

use std::time::Duration;

use anyhow::Context;
use reqwest::StatusCode;
use serde_json::json;
use tokio::task::JoinSet;

use crate::api::Api;

/// The sale under test.
pub struct Sale {
    pub id: String,
    pub opens_at: chrono::DateTime<chrono::Utc>,
}

/// A buyer and its session token.
#[derive(Clone)]
pub struct Buyer {
    pub token: String,
}

/// Creates and publishes a sale of `stock` items opening `opens_in` from now, lasting an hour.
pub async fn sale(
    api: &Api,
    admin: &str,
    stock: u32,
    limit: u32,
    opens_in: Duration,
) -> anyhow::Result<Sale> {
    let product = api
        .post(
            "/api/v1/admin/products",
            Some(admin),
            &json!({"name": "Crowd phone", "price": {"amount_minor": 49_900, "currency": "USD"}}),
        )
        .await?;
    anyhow::ensure!(
        product.status == StatusCode::CREATED,
        "product: {}",
        product.body
    );
    let opens_at = chrono::Utc::now() + chrono::Duration::from_std(opens_in)?;
    let body = json!({
        "product_id": product.body["id"],
        "title": "Crowd sale",
        "sale_price": {"amount_minor": 9_900, "currency": "USD"},
        "total_stock": stock,
        "per_user_limit": limit,
        "starts_at": opens_at.to_rfc3339(),
        "ends_at": (opens_at + chrono::Duration::hours(1)).to_rfc3339(),
    });
    let created = api
        .post("/api/v1/admin/activities", Some(admin), &body)
        .await?;
    anyhow::ensure!(
        created.status == StatusCode::CREATED,
        "activity: {}",
        created.body
    );
    let id = created.body["id"]
        .as_str()
        .context("activity id")?
        .to_owned();
    let published = api
        .post(
            &format!("/api/v1/admin/activities/{id}/publication"),
            Some(admin),
            &json!({}),
        )
        .await?;
    anyhow::ensure!(
        published.status == StatusCode::OK,
        "publication: {}",
        published.body
    );
    Ok(Sale { id, opens_at })
}

/// Registers `n` buyers and signs them in (a few at a time: password hashing is slow on purpose).
pub async fn buyers(api: &Api, n: usize) -> anyhow::Result<Vec<Buyer>> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    let mut tasks = JoinSet::new();
    let mut buyers = Vec::with_capacity(n);
    for i in 0..n {
        let api = api.clone();
        let username = format!("crowd{}{i}", &run[20..]);
        tasks.spawn(async move {
            let body = json!({"username": username, "password": "crowd-password"});
            let made = api.post("/api/v1/users", None, &body).await?;
            anyhow::ensure!(
                made.status == StatusCode::CREATED,
                "register: {}",
                made.body
            );
            api.sign_in(&username, "crowd-password").await
        });
        if tasks.len() >= 16
            && let Some(done) = tasks.join_next().await
        {
            buyers.push(Buyer { token: done?? });
        }
    }
    while let Some(done) = tasks.join_next().await {
        buyers.push(Buyer { token: done?? });
    }
    Ok(buyers)
}
