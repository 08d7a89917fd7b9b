//! A thin client of the SecKiller API, with the calls the crowd makes.

use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// The service.
#[derive(Clone)]
pub struct Api {
    client: Client,
    base: String,
}

/// An answer and how long it took.
pub struct Timed {
    pub status: StatusCode,
    pub body: Value,
    pub took: Duration,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = Client::builder()
            .pool_max_idle_per_host(4096)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// POSTs `body` with an optional bearer token, timing the round trip.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<Timed> {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let start = Instant::now();
        let resp = req.send().await.with_context(|| format!("POST {path}"))?;
        let status = resp.status();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok(Timed {
            status,
            body,
            took: start.elapsed(),
        })
    }

    /// GETs with an optional bearer token, timing the round trip.
    pub async fn get(&self, path: &str, token: Option<&str>) -> anyhow::Result<Timed> {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let start = Instant::now();
        let resp = req.send().await.with_context(|| format!("GET {path}"))?;
        let status = resp.status();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok(Timed {
            status,
            body,
            took: start.elapsed(),
        })
    }

    /// A session token.
    pub async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let t = self
            .post(
                "/api/v1/sessions",
                None,
                &json!({"username": username, "password": password}),
            )
            .await?;
        anyhow::ensure!(
            t.status == StatusCode::CREATED,
            "sign-in as {username} failed: {}",
            t.body
        );
        t.body["token"]
            .as_str()
            .map(str::to_owned)
            .context("no token in the sign-in answer")
    }
}
