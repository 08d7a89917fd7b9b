//! The stage of an outage scenario: its own servers, one or two nodes, a sale and its buyers,
//! the crowd that retries through the outage, and the verdict that checks every promise of the
//! sale and prints the figures.

use std::num::NonZeroU64;
use std::path::PathBuf;
use std::time::Duration;

use seckiller_e2e::environment::{ADMIN, ADMIN_PASSWORD};
use seckiller_e2e::retrying_crowd::Attempt;
use seckiller_e2e::{
    Api, Buyer, Environment, NatsServer, Node, PostgresServer, RedisPersistence, RedisServer,
    RetryPlan, RetryingCrowd, SaleSpec, ServerUrls, audit_sale, check_until_balanced,
    insert_buyers, seckiller_binary,
};
use uuid::Uuid;

/// Items for sale.
pub(crate) const STOCK: u32 = 120;
/// Most items one buyer may hold: buyers buy again after a success, so the limit is tested.
pub(crate) const LIMIT: u32 = 2;
/// Buyers: demand of five times the stock.
pub(crate) const BUYERS: usize = 300;
/// Buyers arrive evenly over this long, so the sale is still going when the fault comes and
/// after it ends.
pub(crate) const ARRIVALS_OVER: Duration = Duration::from_secs(8);
/// No buyer starts an attempt later than this.
pub(crate) const GIVES_UP_AFTER: Duration = Duration::from_secs(30);
/// A buyer's longest wait for one answer: longer is a hang.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);
/// A 503 slower than this at the 99th percentile is a hang, not a fast failure.
pub(crate) const FAST_FAILURE: Duration = Duration::from_millis(1500);
/// How long a node may take to become ready.
pub(crate) const READY: Duration = Duration::from_secs(30);
/// How long accepted purchases may take to become orders and the books to settle (a killed
/// node's unacknowledged messages come back after JetStream's ack wait).
pub(crate) const PATIENCE: Duration = Duration::from_secs(20);
/// How long `seckiller check` may keep failing once the books have settled.
pub(crate) const CHECK_PATIENCE: Duration = Duration::from_secs(10);

/// What a scenario runs on.
pub(crate) struct Options {
    pub(crate) nodes: usize,
    pub(crate) redis: RedisPersistence,
    pub(crate) own_postgres: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            nodes: 1,
            redis: RedisPersistence::None,
            own_postgres: false,
        }
    }
}

/// A scenario's servers, nodes, sale and buyers. Fields drop in order: nodes, then the
/// environment (whose clean-up needs the servers), then the servers.
/// Scenarios on stage at once: each runs its own servers, a node or two and a crowd, and more
/// than this at once on two cores would measure the machine's overload, not the outage.
const SCENARIOS_AT_ONCE: usize = 3;

/// Turns to be on stage, shared by every scenario of this binary (a tokio semaphore works
/// across the tests' separate runtimes).
static STAGE_TURNS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(SCENARIOS_AT_ONCE));

pub(crate) struct Stage {
    pub(crate) nodes: Vec<Node>,
    pub(crate) environment: Environment,
    pub(crate) redis: RedisServer,
    pub(crate) nats: NatsServer,
    pub(crate) postgres: Option<PostgresServer>,
    pub(crate) binary: PathBuf,
    pub(crate) apis: Vec<Api>,
    pub(crate) admin: String,
    pub(crate) activity: Uuid,
    pub(crate) buyers: Vec<Buyer>,
    /// Held for the scenario's lifetime; declared last so it is dropped after its servers.
    _turn: tokio::sync::SemaphorePermit<'static>,
}

/// The outage, on the crowd's clock.
#[derive(Clone, Copy)]
pub(crate) struct Window {
    pub(crate) from: Duration,
    pub(crate) to: Duration,
}

/// True when every server program is installed; otherwise says which is missing, so the
/// scenario is skipped rather than failed (CI installs them all).
pub(crate) fn servers_installed() -> bool {
    let missing: Vec<&str> = [
        ("redis-server", RedisServer::binary().is_some()),
        ("nats-server", NatsServer::binary().is_some()),
        ("initdb/pg_ctl", PostgresServer::bin_dir().is_some()),
    ]
    .into_iter()
    .filter(|(_, found)| !found)
    .map(|(name, _)| name)
    .collect();
    if !missing.is_empty() {
        eprintln!("SKIPPED: {} not installed", missing.join(", "));
    }
    missing.is_empty()
}

impl Stage {
    pub(crate) async fn new(options: Options) -> Self {
        let turn = STAGE_TURNS.acquire().await.unwrap();
        let redis = RedisServer::start(options.redis).await.unwrap();
        let nats = NatsServer::start().await.unwrap();
        let postgres = if options.own_postgres {
            Some(PostgresServer::start().await.unwrap())
        } else {
            None
        };
        let urls = ServerUrls {
            postgres_admin: postgres.as_ref().map_or_else(
                || ServerUrls::from_env().postgres_admin,
                PostgresServer::url,
            ),
            redis: redis.url(),
            nats: nats.url(),
        };
        let environment = Environment::create_on(urls).await.unwrap();
        let binary = tokio::task::spawn_blocking(seckiller_binary)
            .await
            .unwrap()
            .unwrap();
        // The first node migrates the database; the others start on a migrated one.
        let mut nodes = Vec::new();
        for _ in 0..options.nodes {
            let node = Node::start(&binary, &environment).unwrap();
            node.wait_ready(READY).await.unwrap();
            nodes.push(node);
        }
        let apis: Vec<Api> = nodes.iter().map(|n| Api::new(&n.base_url())).collect();
        let admin = apis[0].sign_in(ADMIN, ADMIN_PASSWORD).await.unwrap();
        let sale = SaleSpec {
            total_stock: STOCK,
            per_user_limit: LIMIT,
            starts_in: chrono::Duration::seconds(-1),
            lasts: chrono::Duration::hours(1),
        };
        let activity = apis[0].open_sale(&admin, sale).await.unwrap();
        let buyers = insert_buyers(&environment, BUYERS).await.unwrap();
        Self {
            nodes,
            environment,
            redis,
            nats,
            postgres,
            binary,
            apis,
            admin,
            activity,
            buyers,
            _turn: turn,
        }
    }

    /// Sets the crowd off on every node.
    pub(crate) fn crowd(&self) -> RetryingCrowd {
        RetryingCrowd::start(
            self.apis.clone(),
            self.buyers.clone(),
            RetryPlan {
                activity: self.activity,
                quantity: NonZeroU64::MIN,
                arrivals_over: ARRIVALS_OVER,
                think: Duration::from_millis(300),
                retry_pause: Duration::from_millis(250),
                gives_up_after: GIVES_UP_AFTER,
                request_timeout: REQUEST_TIMEOUT,
            },
        )
    }

    /// Waits for the crowd to end and checks every promise, printing the figures; the
    /// assertion lists every promise broken, not just the first. `killed_node` is a node the
    /// scenario killed (buyers there are expected to get no answer).
    pub(crate) async fn verdict(
        self,
        scenario: &str,
        crowd: RetryingCrowd,
        outage: Window,
        killed_node: Option<usize>,
    ) {
        let report = crowd.finish().await.unwrap();
        let live_api = &self.apis[self.apis.len() - 1];
        let accepted: Vec<Uuid> = report.accepted().iter().map(|(_, p)| *p).collect();
        let audit = audit_sale(&self.environment, self.activity, &accepted, LIMIT, PATIENCE)
            .await
            .unwrap();
        let books = live_api
            .await_settled(&self.admin, self.activity, PATIENCE)
            .await;
        let ledger = check_until_balanced(&self.binary, &self.environment, CHECK_PATIENCE)
            .await
            .unwrap();

        let during = |a: &Attempt| a.sent_within(outage.from, outage.to + Duration::from_secs(1));
        let unavailable = report.unavailable_latencies();
        let unavailable_during = report.latencies(|a| a.is_unavailable() && during(a));
        let hangs = report.latencies(|a| {
            matches!(a.answer, seckiller_e2e::Answer::NoAnswer { .. })
                && Some(a.node) != killed_node
        });
        let told_sold_out = report.told("sold_out");
        let unsold = i64::from(STOCK) - audit.live_items;
        eprintln!(
            "[{scenario}] outage {:?}..{:?} of the crowd's clock\n  \
             all answers: {:?}\n  \
             answers sent during the outage: {:?}\n  \
             503 latency (all): {unavailable}\n  \
             503 latency (during the outage): {unavailable_during}\n  \
             no answer from a live node: {hangs}\n  \
             202s: {}, without order: {}, rejected by the ledger: {}, live items: {} of {STOCK}, \
             unsold: {unsold}, buyers over the limit: {}, buyers told sold_out: {}\n  \
             books: {books:?}\n  \
             seckiller check balanced: {} after {} runs",
            outage.from,
            outage.to,
            report.counts(),
            report.counts_within(outage.from, outage.to + Duration::from_secs(1)),
            accepted.len(),
            audit.without_order.len(),
            audit.rejections.len(),
            audit.live_items,
            audit.over_limit.len(),
            told_sold_out.len(),
            ledger.balanced,
            ledger.runs,
        );

        let mut broken = Vec::new();
        let mut promise = |kept: bool, what: String| {
            if !kept {
                broken.push(what);
            }
        };
        let malformed = report.malformed();
        promise(
            malformed.is_empty(),
            format!("answers outside the API document: {:?}", first(&malformed)),
        );
        promise(
            audit.without_order.is_empty(),
            format!(
                "{} accepted purchases have no order: {:?}",
                audit.without_order.len(),
                first(&audit.without_order)
            ),
        );
        promise(
            audit.with_many_orders.is_empty(),
            format!(
                "purchases with several orders: {:?}",
                audit.with_many_orders
            ),
        );
        promise(
            audit.rejections.is_empty(),
            format!(
                "{} purchases rejected by the ledger: {:?}",
                audit.rejections.len(),
                first(&audit.rejections)
            ),
        );
        promise(
            audit.live_items <= i64::from(STOCK),
            format!("{} live items for a stock of {STOCK}", audit.live_items),
        );
        promise(
            audit.over_limit.is_empty(),
            format!("buyers over the limit of {LIMIT}: {:?}", audit.over_limit),
        );
        promise(
            unsold <= 0 || told_sold_out.is_empty(),
            format!(
                "{} buyers were told sold_out while {unsold} items stayed unsold",
                told_sold_out.len()
            ),
        );
        promise(
            unsold == 0,
            format!("{unsold} of {STOCK} items unsold after recovery"),
        );
        promise(
            ledger.balanced,
            format!("seckiller check:\n{}", ledger.report),
        );
        promise(
            unavailable.p99 < FAST_FAILURE,
            format!("503s came slowly, as from a hang: {unavailable}"),
        );
        promise(
            hangs.count == 0,
            format!(
                "{} requests to a live node got no answer within {:?}: {hangs}",
                hangs.count, REQUEST_TIMEOUT
            ),
        );
        assert!(
            broken.is_empty(),
            "[{scenario}] promises broken:\n- {}\nnode log: {}",
            broken.join("\n- "),
            self.nodes[self.nodes.len() - 1].log_tail()
        );
        let Self {
            nodes, environment, ..
        } = self;
        drop(nodes);
        environment.remove().await;
    }
}

/// The first few of a list, for messages.
fn first<T>(items: &[T]) -> &[T] {
    &items[..items.len().min(5)]
}
