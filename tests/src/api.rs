//! A thin client of the SecKiller HTTP API (`/api/v1`), with the calls the end-to-end scenarios
//! make. Every call returns an error rather than panicking, because a killed node is an expected
//! event here: the caller decides whether "no answer" is a failure.

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use tokio::time::Instant;

/// Longest wait the service allows on a purchase's status, in seconds.
const LONG_POLL_SECONDS: u64 = 10;
/// How often [`Api::await_settled`] reads the books.
const SETTLE_POLL: Duration = Duration::from_millis(200);

/// A client of one node.
#[derive(Debug, Clone)]
pub struct Api {
    client: Client,
    base: String,
}

/// A sale to open: stock and limit, and when it runs relative to now.
#[derive(Debug, Clone, Copy)]
pub struct SaleSpec {
    /// Items for sale.
    pub total_stock: u32,
    /// Most items one buyer may hold.
    pub per_user_limit: u32,
    /// When it opens, relative to now (negative: already open).
    pub starts_in: chrono::Duration,
    /// How long it lasts.
    pub lasts: chrono::Duration,
}

/// What became of an accepted purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurchaseState {
    /// Durable, its order not written yet.
    Pending,
    /// Its order exists.
    Ordered {
        /// The order's id.
        order_id: String,
    },
    /// It could not become an order.
    Rejected {
        /// The service's reason.
        reason: String,
    },
}

impl Api {
    /// A client of the node at `base` (`http://host:port`). Requests give up after
    /// `LONG_POLL_SECONDS` plus a margin, so a hung node cannot hang a test.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let client = Client::builder()
            .timeout(Duration::from_secs(LONG_POLL_SECONDS + 10))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    fn post(&self, path: &str, token: Option<&str>, body: &Value) -> RequestBuilder {
        let req = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .json(body);
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.client
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(token)
    }

    /// Signs in and returns the session token.
    ///
    /// # Errors
    /// On no answer or any answer but 201.
    pub async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let body = json!({"username": username, "password": password});
        let answer = expect(self.post("/sessions", None, &body), StatusCode::CREATED).await?;
        string_field(&answer, "token")
    }

    /// Creates a product and a sale of it, publishes the sale and returns the sale's id.
    ///
    /// # Errors
    /// On no answer or any answer but the expected one at each step.
    pub async fn open_sale(&self, admin: &str, sale: SaleSpec) -> anyhow::Result<String> {
        let product = json!({
            "name": "Phone",
            "description": "A phone sold in a flash",
            "price": {"amount_minor": 49_900, "currency": "USD"},
        });
        let product = expect(
            self.post("/admin/products", Some(admin), &product),
            StatusCode::CREATED,
        )
        .await?;
        let starts_at = chrono::Utc::now() + sale.starts_in;
        let activity = json!({
            "product_id": string_field(&product, "id")?,
            "title": "Flash phone",
            "sale_price": {"amount_minor": 9_900, "currency": "USD"},
            "total_stock": sale.total_stock,
            "per_user_limit": sale.per_user_limit,
            "starts_at": starts_at.to_rfc3339(),
            "ends_at": (starts_at + sale.lasts).to_rfc3339(),
        });
        let activity = expect(
            self.post("/admin/activities", Some(admin), &activity),
            StatusCode::CREATED,
        )
        .await?;
        let id = string_field(&activity, "id")?;
        expect(
            self.post(
                &format!("/admin/activities/{id}/publication"),
                Some(admin),
                &json!({}),
            ),
            StatusCode::OK,
        )
        .await?;
        Ok(id)
    }

    /// The sale's books as the service reports them (`total`, `available`, `held`, `sold`,
    /// `gate_available`, `live_orders`, `live_items`, `queue_lag`, `balanced`, `problems`).
    ///
    /// # Errors
    /// On no answer or any answer but 200.
    pub async fn stats(&self, admin: &str, activity: &str) -> anyhow::Result<Value> {
        expect(
            self.get(&format!("/admin/activities/{activity}/stats"), admin),
            StatusCode::OK,
        )
        .await
    }

    /// Polls the sale's books until they are settled — the queue drained and the gate agreeing
    /// with the database — and returns them; after `patience`, returns the last books unsettled
    /// (the caller's assertion shows them). A node that crashed leaves messages it had taken from
    /// the queue unacknowledged until the queue hands them out again, so settling can take that
    /// long.
    ///
    /// # Errors
    /// On no answer or any answer but 200.
    pub async fn await_settled(
        &self,
        admin: &str,
        activity: &str,
        patience: Duration,
    ) -> anyhow::Result<Value> {
        let deadline = Instant::now() + patience;
        loop {
            let books = self.stats(admin, activity).await?;
            let settled = books["queue_lag"].as_u64() == Some(0)
                && books["gate_available"].is_u64()
                && books["gate_available"] == books["available"];
            if settled || Instant::now() >= deadline {
                return Ok(books);
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }

    /// Takes a purchase token and buys `quantity`: the raw answer (status and body) of the
    /// purchase, or of the token request when that was refused.
    ///
    /// # Errors
    /// When either request gets no answer (connection refused or reset, time-out).
    pub async fn buy(
        &self,
        buyer: &str,
        activity: &str,
        quantity: u32,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let token = self
            .post(
                &format!("/activities/{activity}/purchase-tokens"),
                Some(buyer),
                &json!({}),
            )
            .send()
            .await?;
        let status = token.status();
        let body: Value = token.json().await?;
        if status != StatusCode::CREATED {
            return Ok((status, body));
        }
        let request =
            json!({"purchase_token": string_field(&body, "token")?, "quantity": quantity});
        let resp = self
            .post(
                &format!("/activities/{activity}/purchases"),
                Some(buyer),
                &request,
            )
            .send()
            .await?;
        let status = resp.status();
        Ok((status, resp.json().await?))
    }

    /// Long-polls an accepted purchase until it is no longer pending or `patience` runs out
    /// (then it is still [`PurchaseState::Pending`]). A request without answer is asked again.
    ///
    /// # Errors
    /// When the service answers anything but 200 with a known status.
    pub async fn await_order(
        &self,
        buyer: &str,
        purchase: &str,
        patience: Duration,
    ) -> anyhow::Result<PurchaseState> {
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = left.as_secs().clamp(1, LONG_POLL_SECONDS);
            let state = match expect(
                self.get(&format!("/purchases/{purchase}?wait={wait}"), buyer),
                StatusCode::OK,
            )
            .await
            {
                Ok(answer) => purchase_state(&answer)?,
                Err(e) if is_no_answer(&e) => PurchaseState::Pending,
                Err(e) => return Err(e),
            };
            if state != PurchaseState::Pending || Instant::now() >= deadline {
                return Ok(state);
            }
        }
    }
}

/// True when `e` is a request that got no answer, rather than an unexpected one.
fn is_no_answer(e: &anyhow::Error) -> bool {
    e.downcast_ref::<reqwest::Error>().is_some()
}

fn purchase_state(answer: &Value) -> anyhow::Result<PurchaseState> {
    Ok(match answer["status"].as_str() {
        Some("pending") => PurchaseState::Pending,
        Some("ordered") => PurchaseState::Ordered {
            order_id: string_field(answer, "order_id")?,
        },
        Some("rejected") => PurchaseState::Rejected {
            reason: answer["reason"].as_str().unwrap_or_default().to_owned(),
        },
        _ => bail!("unknown purchase status in {answer}"),
    })
}

/// Sends `req` and returns the JSON body when the status is `status`.
async fn expect(req: RequestBuilder, status: StatusCode) -> anyhow::Result<Value> {
    let resp = req.send().await?;
    let actual = resp.status();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    if actual != status {
        bail!("expected {status}, got {actual}: {body}");
    }
    Ok(body)
}

fn string_field(body: &Value, field: &str) -> anyhow::Result<String> {
    body[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no `{field}` in {body}"))
}
