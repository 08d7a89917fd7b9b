//! Crowd helpers: many buyers at once. Buyers are inserted straight into the database with one
//! shared password hash and get tokens signed with the test key, so a 3,000-buyer crowd costs no
//! password hashing; everything they then do goes through the real HTTP API.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::helpers::{TOKEN_SECRET, TestApp};

/// How many requests the crowd keeps in flight at once (a large crowd, within file limits).
const IN_FLIGHT: usize = 500;

/// A buyer of the crowd: its id and bearer token.
#[derive(Clone)]
pub struct Buyer {
    pub id: Uuid,
    pub token: String,
}

fn mint_session(id: Uuid) -> String {
    let claims = json!({"sub": id, "role": "buyer", "sid": Uuid::now_v7(), "exp": (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp()});
    let key = jsonwebtoken::EncodingKey::from_secret(TOKEN_SECRET.as_bytes());
    let header = jsonwebtoken::Header {
        kid: Some(seckiller_auth::key_id(TOKEN_SECRET.as_bytes())),
        ..jsonwebtoken::Header::default()
    };
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// Inserts `n` buyer accounts and returns them with session tokens.
pub async fn buyers(app: &TestApp, n: usize) -> Vec<Buyer> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.database().await;
    let backend = db.get_database_backend();
    let buyers: Vec<Buyer> = (0..n)
        .map(|_| {
            let id = Uuid::now_v7();
            Buyer {
                id,
                token: mint_session(id),
            }
        })
        .collect();
    let now = seckiller_persistence_time();
    for chunk in buyers.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO users (id, username, password_hash, role, created_at) VALUES ",
        );
        let mut values: Vec<sea_orm::Value> = Vec::new();
        for (i, b) in chunk.iter().enumerate() {
            let base = i * 3;
            if i > 0 {
                sql.push(',');
            }
            match backend {
                sea_orm::DatabaseBackend::Postgres => sql.push_str(&format!(
                    "(${}, ${}, 'x', 'buyer', ${})",
                    base + 1,
                    base + 2,
                    base + 3
                )),
                _ => sql.push_str("(?, ?, 'x', 'buyer', ?)"),
            }
            values.push(b.id.into());
            values.push(format!("c{}", &b.id.simple().to_string()[2..]).into());
            values.push(now.into());
        }
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await
            .unwrap();
    }
    db.close().await.ok();
    buyers
}

fn seckiller_persistence_time() -> chrono::DateTime<chrono::Utc> {
    // Whole seconds: both backends store them exactly.
    chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap()
}

/// What one buyer's attempt got.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub buyer: Uuid,
    pub status: StatusCode,
    pub body: Value,
}

/// Every buyer takes a purchase token and tries to buy `quantity`, all at once.
pub async fn rush(app: &TestApp, activity: &str, buyers: &[Buyer], quantity: u32) -> Vec<Attempt> {
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let client = app.client.clone();
    let base = app.base.clone();
    let mut tasks = tokio::task::JoinSet::new();
    for buyer in buyers.iter().cloned() {
        let (gate, client, base, activity) = (
            gate.clone(),
            client.clone(),
            base.clone(),
            activity.to_owned(),
        );
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let token = client
                .post(format!(
                    "{base}/api/v1/activities/{activity}/purchase-tokens"
                ))
                .bearer_auth(&buyer.token)
                .send()
                .await
                .unwrap();
            if token.status() != StatusCode::CREATED {
                let status = token.status();
                return Attempt {
                    buyer: buyer.id,
                    status,
                    body: token.json().await.unwrap(),
                };
            }
            let purchase_token = token.json::<Value>().await.unwrap()["token"]
                .as_str()
                .unwrap()
                .to_owned();
            let resp = client
                .post(format!("{base}/api/v1/activities/{activity}/purchases"))
                .bearer_auth(&buyer.token)
                .json(&json!({"purchase_token": purchase_token, "quantity": quantity}))
                .send()
                .await
                .unwrap();
            let status = resp.status();
            Attempt {
                buyer: buyer.id,
                status,
                body: resp.json().await.unwrap(),
            }
        });
    }
    let mut attempts = Vec::with_capacity(buyers.len());
    while let Some(done) = tasks.join_next().await {
        attempts.push(done.unwrap());
    }
    attempts
}

/// Waits (long poll) until each accepted purchase names its order; returns purchase → order.
pub async fn orders_of(app: &TestApp, accepted: &[(Buyer, String)]) -> HashMap<String, String> {
    let mut orders = HashMap::new();
    for (buyer, purchase) in accepted {
        let mut answer = Value::Null;
        for _ in 0..5 {
            answer = app
                .get(
                    &format!("/api/v1/purchases/{purchase}?wait=10"),
                    Some(&buyer.token),
                )
                .await
                .json()
                .await
                .unwrap();
            if answer["status"] != "pending" {
                break;
            }
        }
        assert_eq!(answer["status"], "ordered", "purchase {purchase}: {answer}");
        orders.insert(
            purchase.clone(),
            answer["order_id"].as_str().unwrap().to_owned(),
        );
    }
    orders
}

/// Orders per buyer in one activity, read from the database.
pub async fn orders_per_buyer(app: &TestApp, activity: &str) -> HashMap<Uuid, (i64, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.database().await;
    let backend = db.get_database_backend();
    let placeholder = match backend {
        sea_orm::DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let sql = format!(
        "SELECT buyer_id, COUNT(*) AS n, CAST(SUM(quantity) AS BIGINT) AS items FROM orders WHERE activity_id = {placeholder} GROUP BY buyer_id"
    );
    let activity: Uuid = activity.parse().unwrap();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [activity.into()],
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|row| {
            let buyer: Uuid = row.try_get("", "buyer_id").unwrap();
            let n: i64 = row.try_get("", "n").unwrap();
            let items: i64 = row.try_get("", "items").unwrap();
            (buyer, (n, items))
        })
        .collect()
}
