//! The calls the end-to-end scenarios make, through `seckiller-client`, the client generated from
//! the OpenAPI document: the scenarios speak the API as the document states it, so a change to
//! the API that they no longer fit breaks this crate's build. Every call returns an error rather
//! than panicking, because a killed node is an expected event here: the caller decides whether
//! "no answer" ([`is_no_answer`]) is a failure.
//!
//! The generated client has no per-request bearer token: its operations take none, and it has
//! no hook to add one, so the token is a default header of the `reqwest::Client` it is built on.
//! Each call below therefore builds a client for the one bearer it acts for and keeps it for all
//! its requests (a purchase token and the purchase share one connection; a long poll reuses its
//! connection). A crowd of 1,500 buyers is 1,500 small clients of one connection each, never
//! more than the crowd keeps in flight at once; no TLS is compiled in, so building one is cheap.

use std::num::NonZeroU64;
use std::time::Duration;

use anyhow::Context;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use seckiller_client::types::{
    self, ActivityRequest, ActivityStats, Money, Problem, ProductRequest, Purchase,
    PurchaseRequestDto, SignInRequest,
};
use seckiller_client::{Client, Error};
use tokio::time::Instant;
use uuid::Uuid;

/// Longest wait the service allows on a purchase's status, in seconds.
const LONG_POLL_SECONDS: u64 = 10;
/// Longer than the longest long poll, so a hung node cannot hang a test.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(LONG_POLL_SECONDS + 10);
/// How often [`Api::await_settled`] reads the books.
const SETTLE_POLL: Duration = Duration::from_millis(200);
/// How long [`Api::await_order`] waits before asking a node that did not answer again.
const NO_ANSWER_PAUSE: Duration = Duration::from_millis(100);

/// A failed call: the problem the service answered with, no answer at all, or an exchange
/// outside the document.
pub type ApiError = Error<Problem>;

/// The calls of one node.
#[derive(Debug, Clone)]
pub struct Api {
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
        order_id: Uuid,
    },
    /// It could not become an order.
    Rejected {
        /// The service's reason.
        reason: String,
    },
}

impl Api {
    /// The calls of the node at `base` (`http://host:port`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// `http://host:port` of the node.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The generated client acting for `bearer` (anonymous with `None`). Requests give up
    /// after [`REQUEST_TIMEOUT`]; the calls of one bearer are sequential, so its pool keeps at
    /// most one connection.
    #[allow(
        clippy::result_large_err,
        reason = "the generated client's own error, as every generated call returns it"
    )]
    fn client(&self, bearer: Option<&str>) -> Result<Client, ApiError> {
        self.client_with_timeout(bearer, REQUEST_TIMEOUT)
    }

    /// The generated client acting for `bearer` (anonymous with `None`), whose requests give up
    /// after `timeout`: a crowd that must tell a fast refusal from a hang keeps one per buyer,
    /// with a timeout well under the service's longest wait.
    ///
    /// # Errors
    /// When the bearer cannot be a header value or the HTTP client cannot be built.
    #[allow(
        clippy::result_large_err,
        reason = "the generated client's own error, as every generated call returns it"
    )]
    pub fn client_with_timeout(
        &self,
        bearer: Option<&str>,
        timeout: Duration,
    ) -> Result<Client, ApiError> {
        let mut headers = HeaderMap::new();
        if let Some(token) = bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .pool_max_idle_per_host(1)
            .build()?;
        Ok(Client::new_with_client(&self.base, http))
    }

    /// Signs in and returns the session token.
    ///
    /// # Errors
    /// On no answer or any answer but a session.
    pub async fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let credentials = SignInRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        let session = self
            .client(None)?
            .sign_in(&credentials)
            .await
            .with_context(|| format!("signing in as {username}"))?;
        Ok(session.into_inner().token)
    }

    /// Creates a product and a sale of it, publishes the sale and returns the sale's id.
    ///
    /// # Errors
    /// When the spec has no stock or no limit, or on no answer or a refusal at any step.
    pub async fn open_sale(&self, admin: &str, sale: SaleSpec) -> anyhow::Result<Uuid> {
        let admin = self.client(Some(admin))?;
        let product = ProductRequest {
            name: "Phone".parse()?,
            description: Some("A phone sold in a flash".parse()?),
            image_url: None,
            price: usd(49_900)?,
        };
        let product = admin
            .create_product(None, &product)
            .await
            .context("creating the product")?
            .into_inner();
        let starts_at = chrono::Utc::now() + sale.starts_in;
        let activity = ActivityRequest {
            product_id: product.id,
            title: "Flash phone".parse()?,
            sale_price: usd(9_900)?,
            total_stock: NonZeroU64::new(sale.total_stock.into())
                .context("a sale without stock")?,
            per_user_limit: NonZeroU64::new(sale.per_user_limit.into())
                .context("a sale without a per-buyer limit")?,
            starts_at,
            ends_at: starts_at + sale.lasts,
            payment_window_seconds: None,
        };
        let draft = admin
            .create_activity(None, &activity)
            .await
            .context("creating the sale")?
            .into_inner();
        admin
            .publish_activity(&draft.id, None)
            .await
            .context("publishing the sale")?;
        Ok(draft.id)
    }

    /// The sale's books as the service reports them.
    ///
    /// # Errors
    /// On no answer or any answer but the books.
    pub async fn stats(&self, admin: &str, activity: Uuid) -> anyhow::Result<ActivityStats> {
        books(&self.client(Some(admin))?, activity).await
    }

    /// Polls the sale's books until they are settled — the queue drained and the gate agreeing
    /// with the database — and returns them; after `patience`, returns the last books unsettled
    /// (the caller's assertion shows them). A node that crashed leaves messages it had taken from
    /// the queue unacknowledged until the queue hands them out again, so settling can take that
    /// long.
    ///
    /// # Errors
    /// On no answer or any answer but the books.
    pub async fn await_settled(
        &self,
        admin: &str,
        activity: Uuid,
        patience: Duration,
    ) -> anyhow::Result<ActivityStats> {
        let admin = self.client(Some(admin))?;
        let deadline = Instant::now() + patience;
        loop {
            let books = books(&admin, activity).await?;
            let settled = books.queue_lag == 0 && books.gate_available == Some(books.available);
            if settled || Instant::now() >= deadline {
                return Ok(books);
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }

    /// Takes a purchase token and buys `quantity`: the accepted (202) purchase, or how the
    /// token request or the purchase failed.
    ///
    /// # Errors
    /// The refusal (`Error::ErrorResponse` with the problem), no answer ([`is_no_answer`]), or
    /// an exchange outside the document.
    pub async fn buy(
        &self,
        buyer: &str,
        activity: Uuid,
        quantity: NonZeroU64,
    ) -> Result<Purchase, ApiError> {
        let buyer = self.client(Some(buyer))?;
        let token = buyer.request_purchase_token(&activity).await?.into_inner();
        let request = PurchaseRequestDto {
            purchase_token: token.token,
            quantity: Some(quantity),
        };
        Ok(buyer
            .purchase(&activity, None, &request)
            .await?
            .into_inner())
    }

    /// Long-polls an accepted purchase until it is no longer pending or `patience` runs out
    /// (then it is still [`PurchaseState::Pending`]). A request without answer is asked again.
    ///
    /// # Errors
    /// When the service answers anything but the purchase, or an ordered purchase names no
    /// order.
    pub async fn await_order(
        &self,
        buyer: &str,
        purchase: Uuid,
        patience: Duration,
    ) -> anyhow::Result<PurchaseState> {
        let buyer = self.client(Some(buyer))?;
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = left.as_secs().clamp(1, LONG_POLL_SECONDS);
            let state = match buyer.get_purchase(&purchase, Some(wait)).await {
                Ok(answer) => purchase_state(answer.into_inner())?,
                Err(e) if is_no_answer(&e) => {
                    tokio::time::sleep(NO_ANSWER_PAUSE).await;
                    PurchaseState::Pending
                }
                Err(e) => return Err(e).with_context(|| format!("asking for purchase {purchase}")),
            };
            if state != PurchaseState::Pending || Instant::now() >= deadline {
                return Ok(state);
            }
        }
    }
}

/// True when the call got no answer — the connection was refused or broke, before or during
/// the answer (the node died), or it timed out — rather than an answer, or a request that could
/// not be made at all.
pub fn is_no_answer(error: &ApiError) -> bool {
    match error {
        Error::CommunicationError(e) => !e.is_builder(),
        Error::ResponseBodyError(_) => true,
        Error::InvalidRequest(_)
        | Error::InvalidUpgrade(_)
        | Error::ErrorResponse(_)
        | Error::InvalidResponsePayload(..)
        | Error::UnexpectedResponse(_)
        | Error::Custom(_) => false,
    }
}

async fn books(admin: &Client, activity: Uuid) -> anyhow::Result<ActivityStats> {
    Ok(admin
        .activity_stats(&activity)
        .await
        .with_context(|| format!("reading the books of sale {activity}"))?
        .into_inner())
}

fn purchase_state(purchase: Purchase) -> anyhow::Result<PurchaseState> {
    Ok(match purchase.status {
        types::PurchaseState::Pending => PurchaseState::Pending,
        types::PurchaseState::Ordered => PurchaseState::Ordered {
            order_id: purchase.order_id.with_context(|| {
                format!("ordered purchase {} names no order", purchase.purchase_id)
            })?,
        },
        types::PurchaseState::Rejected => PurchaseState::Rejected {
            reason: purchase.reason.unwrap_or_default(),
        },
    })
}

fn usd(amount_minor: i64) -> anyhow::Result<Money> {
    Ok(Money {
        amount_minor,
        currency: "USD".parse()?,
    })
}
