//! The timed journey's client: one [`Api`] per node, every call timed, and [`Nodes`] to spread
//! the crowd over them.
//!
//! Only the journey's requests go through here — purchase token, purchase, purchase status (the
//! long poll) and payment — and they stay on raw `reqwest` on purpose; everything else speaks
//! through the generated client (see [`crate::client`]). A load generator must observe every
//! answer as it came: the status, the problem's `code`, and the failures that lie outside the
//! contract (no answer, a timeout, a status the document does not list), each counted under its
//! own label, where the generated client would fold them into errors of its own. And it must not
//! spend the CPU it shares with the service deserialising typed bodies (dates, ids, checked
//! strings) of which it only counts the code or takes one field.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;

/// One node of the service.
#[derive(Clone)]
pub struct Api {
    client: Client,
    base: String,
    /// Requests in flight at once, shared by every node: a crowd larger than the machine's
    /// ephemeral ports waits for a connection instead of failing to open one.
    in_flight: Arc<Semaphore>,
}

/// An answer and how long it took.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub took: Duration,
}

impl Answer {
    /// The problem's stable `code`, if the answer is one.
    pub fn code(&self) -> Option<&str> {
        self.body["code"].as_str()
    }
}

impl Api {
    /// A client of the node at `base` sharing `client`'s connection pools.
    fn with_client(client: Client, base: &str, in_flight: Arc<Semaphore>) -> Self {
        Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            in_flight,
        }
    }

    /// The node's base address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// POSTs `body` with an optional bearer token and idempotency key, timing the round trip.
    ///
    /// # Errors
    /// The transport failed (no answer at all); any HTTP status is an `Ok` answer.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, reqwest::Error> {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(body);
        if let Some(key) = idempotency_key {
            req = req.header("Idempotency-Key", key);
        }
        self.send(req, token).await
    }

    /// GETs with an optional bearer token, timing the round trip.
    ///
    /// # Errors
    /// The transport failed (no answer at all).
    pub async fn get(&self, path: &str, token: Option<&str>) -> Result<Answer, reqwest::Error> {
        self.send(self.client.get(format!("{}{path}", self.base)), token)
            .await
    }

    /// Sends once a connection slot is free; the time taken counts from the send.
    async fn send(
        &self,
        mut req: RequestBuilder,
        token: Option<&str>,
    ) -> Result<Answer, reqwest::Error> {
        // The semaphore is never closed, so a permit always comes.
        let _slot = self.in_flight.acquire().await.ok();
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let start = Instant::now();
        let resp = req.send().await?;
        let status = resp.status();
        let body = resp.json().await.unwrap_or(Value::Null);
        Ok(Answer {
            status,
            body,
            took: start.elapsed(),
        })
    }
}

/// The nodes under test. Admin work goes to the first; buyers are spread round-robin.
pub struct Nodes {
    first: Api,
    all: Vec<Api>,
}

impl Nodes {
    /// Clients of `urls` (at least one), sharing one connection pool per host and at most
    /// `connections` requests in flight.
    ///
    /// # Errors
    /// No address was given, or the HTTP client could not be built.
    pub fn new(urls: &[String], connections: usize) -> anyhow::Result<Self> {
        let in_flight = Arc::new(Semaphore::new(connections.max(1)));
        let client = Client::builder()
            .pool_max_idle_per_host(4096)
            .timeout(Duration::from_secs(30))
            .build()?;
        let all: Vec<Api> = urls
            .iter()
            .map(|u| Api::with_client(client.clone(), u, in_flight.clone()))
            .collect();
        let first = all.first().cloned().context("no --url given")?;
        Ok(Self { first, all })
    }

    /// The node that sets up the sale and reads its stats.
    pub fn admin(&self) -> &Api {
        &self.first
    }

    /// The node buyer number `i` talks to.
    pub fn for_buyer(&self, i: usize) -> &Api {
        self.all
            .get(i % self.all.len().max(1))
            .unwrap_or(&self.first)
    }

    /// Every node's base address.
    pub fn urls(&self) -> Vec<String> {
        self.all.iter().map(|a| a.base().to_owned()).collect()
    }
}

/// Splits repeated and comma-separated `--url` values into addresses, in order, dropping blanks.
pub fn split_urls(given: &[String]) -> Vec<String> {
    given
        .iter()
        .flat_map(|u| u.split(','))
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_may_be_repeated_or_comma_separated() {
        let given = vec![
            "http://a:1, http://b:2".to_owned(),
            "http://c:3".to_owned(),
            ",".to_owned(),
        ];
        assert_eq!(
            split_urls(&given),
            vec!["http://a:1", "http://b:2", "http://c:3"]
        );
    }

    #[test]
    fn buyers_are_spread_round_robin_over_the_nodes() -> anyhow::Result<()> {
        let nodes = Nodes::new(&split_urls(&["http://a/,http://b".to_owned()]), 10)?;
        let picked: Vec<&str> = (0..4).map(|i| nodes.for_buyer(i).base()).collect();
        assert_eq!(picked, vec!["http://a", "http://b", "http://a", "http://b"]);
        assert_eq!(nodes.admin().base(), "http://a");
        Ok(())
    }
}
