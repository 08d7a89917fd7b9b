//! The generated client against the real `seckiller` binary, embedded (SQLite, in-process gate
//! and queue) in a data directory of its own on a free port: an admin opens a sale, a buyer
//! buys, waits for the order and pays, and a forged purchase token comes back as a typed
//! problem. Every request goes through the generated client, so a client that no longer fits
//! the server fails here.

use std::net::TcpListener;
use std::num::NonZeroU64;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use chrono::Utc;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use seckiller_client::types::{
    ActivityRequest, BulkBuyersRequest, Money, Phase, ProductRequest, PurchaseRequestDto,
    PurchaseState, SignInRequest,
};
use seckiller_client::{Client, Error};
use tokio::time::Instant;
use uuid::Uuid;

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "quiet-harbor-lantern-42";

/// Longer than the longest long poll (`wait=5`) the journey asks for.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// How long the server may take to answer its first request.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// Long polls of 5 s each before the order must exist; an idle server needs one.
const POLLS: usize = 6;

/// A `seckiller serve` child process in a temporary data directory. Dropping it kills the
/// process and removes the directory, also when the test fails half-way.
struct Server {
    child: Child,
    dir: PathBuf,
    base_url: String,
}

impl Server {
    /// Starts the binary embedded on a free loopback port, with no `SECKILLER_*` setting of the
    /// caller's environment leaking in. Call [`Server::wait_ready`] before using it.
    fn start() -> anyhow::Result<Self> {
        let binary = seckiller_e2e::seckiller_binary()?;
        let dir = std::env::temp_dir().join(format!("seckiller-client-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let listen = {
            let listener = TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
            listener.local_addr().context("the free port's address")?
        };
        let log = std::fs::File::create(dir.join("server.log")).context("creating the log")?;
        let mut command = Command::new(&binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("SECKILLER_") {
                command.env_remove(name);
            }
        }
        let spawned = command
            .arg("serve")
            .env("SECKILLER_LISTEN", listen.to_string())
            .env("SECKILLER_DATA_DIR", dir.join("data"))
            .env("SECKILLER_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SECKILLER_SEED_DEMO", "false")
            .env("SECKILLER_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("sharing the log")?)
            .stderr(log)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e).with_context(|| format!("starting {}", binary.display()));
            }
        };
        Ok(Self {
            child,
            dir,
            base_url: format!("http://{listen}"),
        })
    }

    /// Waits until the server answers a public listing through the generated client.
    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = self.client(None)?;
        let deadline = Instant::now() + START_PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited during start ({status}):\n{}", self.log());
            }
            if client.list_activities(None, None, None).await.is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "the server was not ready within {START_PATIENCE:?}:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A generated client that sends `token` as its bearer token, if any.
    fn client(&self, token: Option<&str>) -> anyhow::Result<Client> {
        let mut headers = HeaderMap::new();
        if let Some(token) = token {
            headers.insert(
                AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {token}"))?,
            );
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(Client::new_with_client(&self.base_url, http))
    }

    /// The server's output so far, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn usd(amount_minor: i64) -> anyhow::Result<Money> {
    Ok(Money {
        amount_minor,
        currency: "USD".parse()?,
    })
}

#[tokio::test]
async fn an_admin_opens_a_sale_and_a_buyer_buys_and_pays_through_the_generated_client()
-> anyhow::Result<()> {
    let mut server = Server::start()?;
    server.wait_ready().await?;

    let session = server
        .client(None)?
        .sign_in(&SignInRequest {
            username: ADMIN.into(),
            password: ADMIN_PASSWORD.into(),
        })
        .await?
        .into_inner();
    let admin = server.client(Some(&session.token))?;

    let product = admin
        .create_product(
            None,
            &ProductRequest {
                name: "Client phone".parse()?,
                description: Some("A phone sold through the generated client".parse()?),
                image_url: None,
                price: usd(49_900)?,
            },
        )
        .await?
        .into_inner();
    let starts_at = Utc::now() - chrono::Duration::seconds(1);
    let draft = admin
        .create_activity(
            None,
            &ActivityRequest {
                product_id: product.id,
                title: "Client flash sale".parse()?,
                sale_price: usd(9_900)?,
                total_stock: NonZeroU64::new(10).context("stock")?,
                per_user_limit: NonZeroU64::new(2).context("limit")?,
                starts_at,
                ends_at: starts_at + chrono::Duration::hours(1),
                payment_window_seconds: NonZeroU64::new(900),
            },
        )
        .await?
        .into_inner();
    let sale = admin.publish_activity(&draft.id, None).await?.into_inner();
    assert_eq!(sale.phase, Phase::Open);

    let buyers = admin
        .create_buyers(
            None,
            &BulkBuyersRequest {
                count: NonZeroU64::new(3).context("count")?,
            },
        )
        .await?
        .into_inner()
        .buyers;
    assert_eq!(buyers.len(), 3);
    let buyer = server.client(Some(&buyers[0].token))?;

    let token = buyer.request_purchase_token(&sale.id).await?.into_inner();
    let idempotency_key = Uuid::now_v7().to_string().parse()?;
    let accepted = buyer
        .purchase(
            &sale.id,
            Some(&idempotency_key),
            &PurchaseRequestDto {
                purchase_token: token.token,
                quantity: NonZeroU64::new(1),
            },
        )
        .await?;
    assert_eq!(accepted.status(), reqwest::StatusCode::ACCEPTED);
    let purchase_id = accepted.into_inner().purchase_id;

    let mut order_id = None;
    for _ in 0..POLLS {
        let purchase = buyer
            .get_purchase(&purchase_id, Some(5))
            .await?
            .into_inner();
        match purchase.status {
            PurchaseState::Ordered => {
                order_id = purchase.order_id;
                break;
            }
            PurchaseState::Pending => {}
            PurchaseState::Rejected => bail!("purchase rejected: {:?}", purchase.reason),
        }
    }
    let order_id = order_id.context("the purchase was not ordered after the long polls")?;

    let paid = buyer.pay_order(&order_id, None).await?.into_inner();
    assert_eq!(paid.id, order_id);
    assert_eq!(paid.status, "paid");
    assert!(paid.paid_at.is_some(), "a paid order says when");

    let forged = buyer
        .purchase(
            &sale.id,
            None,
            &PurchaseRequestDto {
                purchase_token: "forged.purchase.token".into(),
                quantity: NonZeroU64::new(1),
            },
        )
        .await;
    match forged {
        Err(Error::ErrorResponse(problem)) => {
            assert_eq!(problem.status(), reqwest::StatusCode::FORBIDDEN);
            assert_eq!(problem.status, 403);
            assert_eq!(problem.code.to_string(), "bad_token");
        }
        other => panic!("a forged purchase token must be a 403 bad_token problem: {other:?}"),
    }
    ensure!(
        server.child.try_wait()?.is_none(),
        "the server died during the journey:\n{}",
        server.log()
    );
    Ok(())
}
