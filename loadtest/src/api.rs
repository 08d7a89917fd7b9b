//! The timed journey's client: one [`Api`] per node, every call timed, [`Nodes`] to spread
//! the crowd over them, and a buyer's [`Route`], which moves it to the next node when its node
//! does not answer.
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
use std::sync::atomic::{AtomicUsize, Ordering};
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

    /// The number of the node buyer number `i` starts on: round-robin.
    pub fn home_of(&self, i: usize) -> usize {
        i % self.all.len().max(1)
    }

    /// The node after number `node`, round-robin: where a buyer goes when `node` does not
    /// answer.
    pub fn after(&self, node: usize) -> usize {
        (node + 1) % self.all.len().max(1)
    }

    /// Node number `node` (the first when there is no such node).
    pub fn node(&self, node: usize) -> &Api {
        self.all.get(node).unwrap_or(&self.first)
    }

    /// Every node once, starting at number `node`: the order to ask in when any node will do
    /// and some may be down.
    pub fn round_from(&self, node: usize) -> impl Iterator<Item = &Api> {
        let n = self.all.len();
        (0..n).filter_map(move |k| self.all.get((node + k) % n))
    }

    /// Every node's base address.
    pub fn urls(&self) -> Vec<String> {
        self.all.iter().map(|a| a.base().to_owned()).collect()
    }
}

/// The node one buyer talks to. A buyer whose node does not answer (connection refused, broken
/// or timed out) calls [`Route::fail_over`] and carries on at the next node: a node that is down
/// must not end the journeys that happened to start on it. The nodes share the gate, the queue
/// and the database, so an idempotent retry may land on any of them.
pub struct Route<'a> {
    nodes: &'a Nodes,
    /// One buyer's, so never contended; atomic only so a journey stays `Send` across awaits.
    node: AtomicUsize,
}

impl<'a> Route<'a> {
    /// Buyer number `i`'s route, starting on its home node.
    pub fn of_buyer(nodes: &'a Nodes, i: usize) -> Self {
        Self {
            nodes,
            node: AtomicUsize::new(nodes.home_of(i)),
        }
    }

    /// The node to ask now.
    pub fn api(&self) -> &'a Api {
        self.nodes.node(self.node.load(Ordering::Relaxed))
    }

    /// The current node did not answer: move on to the next.
    pub fn fail_over(&self) {
        let next = self.nodes.after(self.node.load(Ordering::Relaxed));
        self.node.store(next, Ordering::Relaxed);
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
        let picked: Vec<&str> = (0..4)
            .map(|i| nodes.node(nodes.home_of(i)).base())
            .collect();
        assert_eq!(picked, vec!["http://a", "http://b", "http://a", "http://b"]);
        assert_eq!(nodes.admin().base(), "http://a");
        Ok(())
    }

    #[test]
    fn a_buyer_whose_node_does_not_answer_moves_on_to_the_next_and_round() -> anyhow::Result<()> {
        let nodes = Nodes::new(&split_urls(&["http://a,http://b,http://c".to_owned()]), 10)?;
        let route = Route::of_buyer(&nodes, 4);
        let mut seen = vec![route.api().base()];
        for _ in 0..3 {
            route.fail_over();
            seen.push(route.api().base());
        }
        assert_eq!(seen, vec!["http://b", "http://c", "http://a", "http://b"]);
        Ok(())
    }

    #[test]
    fn a_single_node_is_its_own_next() -> anyhow::Result<()> {
        let nodes = Nodes::new(&split_urls(&["http://a".to_owned()]), 10)?;
        let route = Route::of_buyer(&nodes, 7);
        route.fail_over();
        assert_eq!(route.api().base(), "http://a");
        Ok(())
    }

    #[test]
    fn any_node_will_do_asks_each_once_from_the_given_one() -> anyhow::Result<()> {
        let nodes = Nodes::new(&split_urls(&["http://a,http://b,http://c".to_owned()]), 10)?;
        let order: Vec<&str> = nodes.round_from(2).map(Api::base).collect();
        assert_eq!(order, vec!["http://c", "http://a", "http://b"]);
        Ok(())
    }
}
