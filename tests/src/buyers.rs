//! Buyers without signing up: rows inserted straight into `users` and bearer tokens signed with
//! the environment's token secret. Signing up goes through argon2, which would make a crowd of
//! thousands cost minutes in a debug build; what the buyers then do goes through the real API.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::environment::{Environment, TOKEN_SECRET};

/// Rows per `INSERT`, well under Postgres' limit of bind parameters.
const ROWS_PER_INSERT: usize = 500;

/// A buyer: its user id and a bearer token valid for an hour.
#[derive(Debug, Clone)]
pub struct Buyer {
    /// The user id (`sub` of the token).
    pub id: Uuid,
    /// The bearer token.
    pub token: String,
}

/// A session token as the service signs them (HS256 over `sub`, `role`, `sid`, `exp`, the
/// key's id in the header).
fn mint_session(id: Uuid) -> anyhow::Result<String> {
    let exp = (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp();
    let claims = json!({"sub": id, "role": "buyer", "sid": Uuid::now_v7(), "exp": exp});
    let key = jsonwebtoken::EncodingKey::from_secret(TOKEN_SECRET.as_bytes());
    let header = jsonwebtoken::Header {
        kid: Some(seckiller_auth::key_id(TOKEN_SECRET.as_bytes())),
        ..jsonwebtoken::Header::default()
    };
    jsonwebtoken::encode(&header, &claims, &key).context("signing a buyer token")
}

/// Inserts `n` buyer accounts into the environment's database (migrated by a started node) and
/// returns them with tokens.
///
/// # Errors
/// When the database is unreachable, not migrated, or a token cannot be signed.
pub async fn insert_buyers(environment: &Environment, n: usize) -> anyhow::Result<Vec<Buyer>> {
    let buyers = (0..n)
        .map(|_| {
            let id = Uuid::now_v7();
            mint_session(id).map(|token| Buyer { id, token })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let db = environment.database().await?;
    let now = chrono::Utc::now();
    for chunk in buyers.chunks(ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, ${}, 'x', 'buyer', ${})",
                    3 * i + 1,
                    3 * i + 2,
                    3 * i + 3
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO users (id, username, password_hash, role, created_at) VALUES {}",
            rows.join(",")
        );
        let values: Vec<sea_orm::Value> = chunk
            .iter()
            .flat_map(|b| {
                [
                    b.id.into(),
                    format!("e{}", b.id.simple()).into(),
                    now.into(),
                ]
            })
            .collect();
        db.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await
        .context("inserting buyers")?;
    }
    db.close().await.ok();
    Ok(buyers)
}
