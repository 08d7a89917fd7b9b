//! Outages mid-sale: each scenario starts its own Redis, NATS (and, for the database scenario,
//! Postgres), runs a crowd of buyers who keep retrying through the outage as real ones would, and
//! breaks one server — or one node — after the first purchases. When the dust settles the sale
//! must have kept every promise: each 202 became exactly one order, the ledger rejected none, no
//! more live items than stock, nobody past the per-buyer limit, nobody told `sold_out` while
//! stock was left, the whole stock sold once the servers came back, and `seckiller check` green.
//! Refusals during the outage must come fast (a generous bound telling a 503 from a hang); the
//! figures are printed (`--nocapture`).

// clippy.toml allows unwrap in `#[test]` functions only; the helpers below are test code too.
#![allow(clippy::unwrap_used)]

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
const STOCK: u32 = 120;
/// Most items one buyer may hold: buyers buy again after a success, so the limit is tested.
const LIMIT: u32 = 2;
/// Buyers: demand of five times the stock.
const BUYERS: usize = 300;
/// Acceptances after which the server (or node) is broken: the sale is well under way.
const FAULT_AFTER: usize = 30;
/// Acceptances after which a server is broken near the end of the sale: a fifth of the stock
/// is left.
const NEAR_THE_END: usize = STOCK as usize * 4 / 5;
/// How the crowd behaves: arrivals spread over seconds so the sale is still going when the
/// fault comes and after it ends.
const PLAN: Timing = Timing {
    arrivals_over: Duration::from_secs(8),
    think: Duration::from_millis(300),
    retry_pause: Duration::from_millis(250),
    gives_up_after: Duration::from_secs(30),
    request_timeout: Duration::from_secs(4),
};
/// A 503 slower than this at the 99th percentile is a hang, not a fast failure.
const FAST_FAILURE: Duration = Duration::from_millis(1500);
/// How long a node may take to become ready.
const READY: Duration = Duration::from_secs(30);
/// How long accepted purchases may take to become orders and the books to settle (a killed
/// node's unacknowledged messages come back after JetStream's ack wait).
const PATIENCE: Duration = Duration::from_secs(20);
/// How long `seckiller check` may keep failing once the books have settled.
const CHECK_PATIENCE: Duration = Duration::from_secs(10);

/// The crowd's timing; the sale and buyers come from the stage.
struct Timing {
    arrivals_over: Duration,
    think: Duration,
    retry_pause: Duration,
    gives_up_after: Duration,
    request_timeout: Duration,
}

/// What a scenario runs on.
struct Options {
    nodes: usize,
    redis: RedisPersistence,
    own_postgres: bool,
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
struct Stage {
    nodes: Vec<Node>,
    environment: Environment,
    redis: RedisServer,
    nats: NatsServer,
    postgres: Option<PostgresServer>,
    binary: PathBuf,
    apis: Vec<Api>,
    admin: String,
    activity: Uuid,
    buyers: Vec<Buyer>,
}

/// The outage, on the crowd's clock.
#[derive(Clone, Copy)]
struct Window {
    from: Duration,
    to: Duration,
}

/// True when every server program is installed; otherwise says which is missing, so the
/// scenario is skipped rather than failed (CI installs them all).
fn servers_installed() -> bool {
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
    async fn new(options: Options) -> Self {
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
        }
    }

    /// Sets the crowd off on every node.
    fn crowd(&self) -> RetryingCrowd {
        RetryingCrowd::start(
            self.apis.clone(),
            self.buyers.clone(),
            RetryPlan {
                activity: self.activity,
                quantity: NonZeroU64::MIN,
                arrivals_over: PLAN.arrivals_over,
                think: PLAN.think,
                retry_pause: PLAN.retry_pause,
                gives_up_after: PLAN.gives_up_after,
                request_timeout: PLAN.request_timeout,
            },
        )
    }

    /// Waits for the crowd to end and checks every promise, printing the figures; the
    /// assertion lists every promise broken, not just the first. `killed_node` is a node the
    /// scenario killed (buyers there are expected to get no answer).
    async fn verdict(
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
                hangs.count, PLAN.request_timeout
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

/// Starts the crowd and waits for the fault's moment.
async fn crowd_until_fault(stage: &Stage) -> RetryingCrowd {
    let mut crowd = stage.crowd();
    assert!(
        crowd.accepted_at_least(FAULT_AFTER).await,
        "the crowd ended before {FAULT_AFTER} purchases were accepted"
    );
    crowd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "503s while Redis is down take 2 s (p99 2.02 s): the gate call waits out the Redis client's timeout"]
async fn a_redis_restarted_empty_loses_no_purchase_and_sells_the_whole_stock() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options::default()).await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.redis.kill().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stage.redis.start_empty().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("redis restarted empty", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "503s while Redis is down take 2 s (p99 2.01 s): the gate call waits out the Redis client's timeout"]
async fn a_redis_restarted_from_its_append_only_file_loses_no_purchase() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options {
        redis: RedisPersistence::AppendOnly,
        ..Options::default()
    })
    .await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.redis.kill().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stage.redis.start_again().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("redis restarted from its AOF", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the gate trusts an older snapshot: 165 202s for 120 items, 45 rejected by the ledger, 16 buyers past the limit"]
async fn a_redis_restored_from_an_older_snapshot_is_not_trusted() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options::default()).await;
    let mut crowd = stage.crowd();
    assert!(crowd.accepted_at_least(FAULT_AFTER / 2).await);
    let snapshot = stage.redis.snapshot().await.unwrap();
    assert!(crowd.accepted_at_least(FAULT_AFTER * 2).await);
    let from = crowd.elapsed();
    stage.redis.kill().unwrap();
    stage.redis.start_from(&snapshot).await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("redis restored from an older snapshot", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "503s while Redis is frozen take 2 s (p99 2.06 s): no deadline shorter than the client's timeout"]
async fn a_frozen_redis_gets_fast_refusals_and_loses_no_purchase() {
    if !servers_installed() {
        return;
    }
    let stage = Stage::new(Options::default()).await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.redis.freeze().unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    stage.redis.thaw().unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage.verdict("redis frozen 5 s", crowd, outage, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a NATS outage near the end sets the sold-out flag: 258 buyers told sold_out, 24 of 120 items unsold"]
async fn a_nats_restarted_with_its_store_tells_nobody_sold_out_falsely() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options::default()).await;
    // Near the end of the sale: the purchases whose publish is failing then hold what is left
    // of the stock, and the buyers who meet the gate meanwhile must not be told it is gone.
    let mut crowd = stage.crowd();
    assert!(crowd.accepted_at_least(NEAR_THE_END).await);
    let from = crowd.elapsed();
    stage.nats.kill().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stage.nats.start_again().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage.verdict("nats down 3 s", crowd, outage, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "while Postgres is down, purchase-token requests hang past the 4 s client timeout (58 of them)"]
async fn a_postgres_crash_loses_no_purchase() {
    if !servers_installed() {
        return;
    }
    let mut stage = Stage::new(Options {
        own_postgres: true,
        ..Options::default()
    })
    .await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    let postgres = stage.postgres.as_mut().unwrap();
    postgres.crash().await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    postgres.start_again().await.unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("postgres crashed 5 s", crowd, outage, None)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buyers_of_a_killed_node_carry_on_at_the_other() {
    if !servers_installed() {
        return;
    }
    let stage = Stage::new(Options {
        nodes: 2,
        ..Options::default()
    })
    .await;
    let crowd = crowd_until_fault(&stage).await;
    let from = crowd.elapsed();
    stage.nodes[0].kill9().unwrap();
    let outage = Window {
        from,
        to: crowd.elapsed(),
    };
    stage
        .verdict("one of two nodes killed", crowd, outage, Some(0))
        .await;
}

/// Orders in the environment's database, whatever the sale.
async fn orders_stored(environment: &Environment) -> i64 {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let db = environment.database().await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT count(*) AS n FROM orders",
        ))
        .await
        .unwrap()
        .unwrap();
    db.close().await.ok();
    row.try_get("", "n").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crowd_simulator_reaches_its_verdict_with_a_node_down() {
    if !servers_installed() {
        return;
    }
    let stage = Stage::new(Options {
        nodes: 2,
        ..Options::default()
    })
    .await;
    let crowd = tokio::task::spawn_blocking(seckiller_e2e::crowd_binary)
        .await
        .unwrap()
        .unwrap();
    let report = std::env::temp_dir().join(format!("seckiller-crowd-{}.json", Uuid::now_v7()));
    let mut command = std::process::Command::new(crowd);
    for api in &stage.apis {
        command.arg("--url").arg(api.base_url());
    }
    command
        .args(["--admin-password", ADMIN_PASSWORD])
        .args(["--buyers", "300", "--stock", "100", "--limit", "1"])
        .args([
            "--seconds",
            "8",
            "--opens-in",
            "2",
            "--pay-probability",
            "1",
        ])
        .args(["--settle-timeout", "20", "--quiet", "--json"])
        .arg(&report);
    let run = tokio::task::spawn_blocking(move || command.output());
    // The first node — the one the sale was set up on — dies once the sale is under way, and
    // stays down: half the buyers must move to the other, and the audit and the stats must
    // be read there.
    while !run.is_finished() {
        if orders_stored(&stage.environment).await >= 20 {
            stage.nodes[0].kill9().unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stage.nodes[0].has_exited().unwrap(),
        "the crowd ended before the sale got under way"
    );
    let output = run.await.unwrap().unwrap();
    let json = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    assert!(
        output.status.success() && json.contains("\"correct\": true"),
        "seckiller-crowd with a node down: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    eprintln!(
        "[crowd with a node down]\n{}",
        lines[lines.len().saturating_sub(12)..].join("\n")
    );
    let Stage {
        nodes, environment, ..
    } = stage;
    drop(nodes);
    environment.remove().await;
}
