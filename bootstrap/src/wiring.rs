//! Wiring: which adapter stands behind each port. The database URL chooses Postgres or the
//! embedded SQLite file; a Redis URL switches the stock gate from in-process to Redis (unless
//! `stock_gate` names one: `database` keeps it in the database's own tables); a NATS URL
//! switches the purchase queue from a database table to JetStream and restock announcements to
//! NATS. Without Redis and NATS a node is self-contained (and must run alone).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use seckiller_application::Adapters;
use seckiller_application::accounts::{Accounts, AdminAccount, RegisterError};
use seckiller_application::activities::Activities;
use seckiller_application::activity_cache::ActivityCache;
use seckiller_application::demo::seed_demo;
use seckiller_application::purchases::Purchases;
use seckiller_application::sold_out::SoldOutFlags;
use seckiller_auth::{Argon2PasswordHasher, JwtTokenService, random_secret};

use crate::data_files::{secure_data_dir, secure_sqlite_files, sqlite_file};
use crate::signing_keys::signing_keys;
use seckiller_domain::{Password, Username};
use seckiller_interfaces::{Metrics, OrderEvents, ReadinessCheck, Services};
use seckiller_memory::{
    LocalRestockNotifier, MemoryStockGate, PaymentMode, SimulatedPaymentProvider, SystemClock,
    UuidV7Source,
};
use seckiller_nats::{JetStreamPurchaseQueue, JetStreamSettings, NatsRestockNotifier};
use seckiller_persistence::{
    Database, DatabaseStockGate, QueueSettings, SeaActivityRepository, SeaIdempotencyStore,
    SeaOrderRepository, SeaProductRepository, SeaSessionStore, SeaUserRepository,
    SqlitePurchaseQueue, connect, connect_with_deadline,
};
use seckiller_redis::RedisStockGate;

use crate::adapters::{
    CountedOrders, DependencyGuard, GateAdapter, GateBackend, Guarded, QueueAdapter, RestockAdapter,
};
use crate::config::{Settings, StockGateKind};

/// The adapters of a running node.
pub struct NodeAdapters {
    users: Guarded<SeaUserRepository>,
    products: Guarded<SeaProductRepository>,
    activities: Guarded<SeaActivityRepository>,
    orders: CountedOrders<Guarded<SeaOrderRepository>>,
    sessions: Guarded<SeaSessionStore>,
    idempotency: Guarded<SeaIdempotencyStore>,
    database_guard: Option<DependencyGuard>,
    hasher: Argon2PasswordHasher,
    tokens: JwtTokenService,
    gate: GateAdapter,
    queue: QueueAdapter,
    restock: RestockAdapter,
    payments: SimulatedPaymentProvider,
}

impl NodeAdapters {
    /// The stock gate as wired, for probes.
    pub fn gate_adapter(&self) -> &GateAdapter {
        &self.gate
    }

    /// The database's breaker and deadline; none for the embedded SQLite file.
    pub fn database_guard(&self) -> Option<&DependencyGuard> {
        self.database_guard.as_ref()
    }

    /// Every circuit breaker of the node, as (dependency, state).
    pub fn breaker_states(&self) -> Vec<(&'static str, &'static str)> {
        [
            self.database_guard.as_ref().map(DependencyGuard::breaker),
            self.gate.breaker(),
            self.queue.breaker(),
        ]
        .into_iter()
        .flatten()
        .fold(Vec::new(), |mut states, breaker| {
            // The database gate shares the database's breaker: list it once.
            let view = breaker.view();
            if !states.iter().any(|(name, _)| *name == view.name) {
                states.push((view.name, view.state.as_str()));
            }
            states
        })
    }

    /// The purchase queue as wired, for probes.
    pub fn queue_adapter(&self) -> &QueueAdapter {
        &self.queue
    }

    /// The simulated payment provider, so tests can switch its behaviour and count charges.
    pub fn payment_provider(&self) -> &SimulatedPaymentProvider {
        &self.payments
    }
}

impl Adapters for NodeAdapters {
    type Users = Guarded<SeaUserRepository>;
    type Products = Guarded<SeaProductRepository>;
    type Activities = Guarded<SeaActivityRepository>;
    type Orders = CountedOrders<Guarded<SeaOrderRepository>>;
    type Sessions = Guarded<SeaSessionStore>;
    type Hasher = Argon2PasswordHasher;
    type Tokens = JwtTokenService;
    type Gate = GateAdapter;
    type Queue = QueueAdapter;
    type Restock = RestockAdapter;
    type Payments = SimulatedPaymentProvider;
    type Clock = SystemClock;
    type Ids = UuidV7Source;
    type Idempotency = Guarded<SeaIdempotencyStore>;

    fn users(&self) -> &Guarded<SeaUserRepository> {
        &self.users
    }
    fn products(&self) -> &Guarded<SeaProductRepository> {
        &self.products
    }
    fn activities(&self) -> &Guarded<SeaActivityRepository> {
        &self.activities
    }
    fn orders(&self) -> &CountedOrders<Guarded<SeaOrderRepository>> {
        &self.orders
    }
    fn sessions(&self) -> &Guarded<SeaSessionStore> {
        &self.sessions
    }
    fn hasher(&self) -> &Argon2PasswordHasher {
        &self.hasher
    }
    fn tokens(&self) -> &JwtTokenService {
        &self.tokens
    }
    fn gate(&self) -> &GateAdapter {
        &self.gate
    }
    fn queue(&self) -> &QueueAdapter {
        &self.queue
    }
    fn restock(&self) -> &RestockAdapter {
        &self.restock
    }
    fn payments(&self) -> &SimulatedPaymentProvider {
        &self.payments
    }
    fn clock(&self) -> &SystemClock {
        &SystemClock
    }
    fn ids(&self) -> &UuidV7Source {
        &UuidV7Source
    }
    fn idempotency(&self) -> &Guarded<SeaIdempotencyStore> {
        &self.idempotency
    }
}

/// Why the node could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum WiringError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {cause}")]
    DataDir {
        /// The directory.
        path: String,
        /// Why.
        cause: std::io::Error,
    },
    /// The database could not be opened, migrated or read.
    #[error("database: {0}")]
    Database(#[from] seckiller_persistence::PersistenceError),
    /// Redis could not be reached.
    #[error("redis: {0}")]
    Redis(String),
    /// NATS could not be reached or set up.
    #[error("nats: {0}")]
    Nats(String),
    /// A configured value is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// No usable token-signing key.
    #[error("signing key: {0}")]
    SigningKey(String),
    /// Start-up data (admin, demo) could not be written.
    #[error("start-up data: {0}")]
    Seed(String),
}

/// How a node hears restock announcements, so it can clear its sold-out flags.
pub enum RestockSource {
    /// Announcements within this process.
    Local(LocalRestockNotifier),
    /// Announcements over NATS.
    Nats {
        /// The connection.
        client: async_nats::Client,
        /// The subject prefix (the stream name).
        prefix: String,
    },
}

/// A wired node: its services, readiness probe, and what its background workers need.
pub struct Node {
    /// The use cases, ready for the HTTP layer.
    pub services: Services<NodeAdapters>,
    /// Readiness probe for `/readyz`.
    pub readiness: ReadinessCheck,
    /// The adapters, for the background workers.
    pub adapters: Arc<NodeAdapters>,
    /// The activity cache shared by the hot path and the order writer.
    pub cache: ActivityCache,
    /// Where restock announcements come from.
    pub restock_source: RestockSource,
    /// The pool, closed on shutdown.
    pub database: Database,
}

/// Opens the database (creating the data directory for the embedded default) and, if asked,
/// applies migrations.
///
/// # Errors
/// [`WiringError`] when the directory or database cannot be opened or migrated.
pub async fn open_database(settings: &Settings, migrate: bool) -> Result<Database, WiringError> {
    if settings.is_embedded() {
        // Private from the first byte: the directory 0700, the database files 0600.
        let data_dir = settings
            .database_url
            .is_none()
            .then(|| settings.data_dir.clone());
        let file = sqlite_file(&settings.effective_database_url());
        let shown = file.clone().or(data_dir.clone()).unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = data_dir {
                secure_data_dir(&dir)?;
            }
            file.map_or(Ok(()), |file| secure_sqlite_files(&file))
        })
        .await
        .map_err(|e| WiringError::Config(e.to_string()))?
        .map_err(|cause| WiringError::DataDir {
            path: shown.display().to_string(),
            cause,
        })?;
    }
    // A database server can go away under a running node: bound the wait for a connection by
    // its deadline. The embedded file cannot; it keeps the pool's own generous bound.
    let database = match settings.is_embedded() {
        true => connect(&settings.effective_database_url()).await?,
        false => {
            connect_with_deadline(
                &settings.effective_database_url(),
                StdDuration::from_millis(settings.database_deadline_millis.max(1)),
            )
            .await?
        }
    };
    if migrate {
        database.migrate().await?;
    }
    Ok(database)
}

fn payment_provider(settings: &Settings) -> Result<SimulatedPaymentProvider, WiringError> {
    let mode = PaymentMode::parse(&settings.payment_mode).map_err(|_| {
        WiringError::Config(format!(
            "payment_mode must be approve, decline or timeout, not {:?}",
            settings.payment_mode
        ))
    })?;
    Ok(SimulatedPaymentProvider::new(mode)
        .with_timeout(StdDuration::from_millis(settings.payment_timeout_millis))
        .with_latency(StdDuration::from_millis(settings.payment_latency_millis)))
}

/// The stock gate `stock_gate` names; `auto` is Redis when `redis_url` is set, else in process.
async fn gate(
    settings: &Settings,
    database: &Database,
    database_guard: Option<DependencyGuard>,
    metrics: &Metrics,
) -> Result<GateAdapter, WiringError> {
    match (settings.stock_gate, &settings.redis_url) {
        (StockGateKind::Auto | StockGateKind::Redis, Some(url)) => {
            let guard = DependencyGuard::new(
                "redis",
                StdDuration::from_millis(settings.redis_deadline_millis.max(1)),
                settings.breaker(),
            )
            .observed(metrics.dependency("redis"));
            RedisStockGate::connect(url, &settings.redis_key_prefix)
                .await
                .map(|gate| {
                    let gate = gate.with_take_window(guard.deadline());
                    GateAdapter::new(GateBackend::Redis(gate), Some(guard))
                })
                .map_err(|e| WiringError::Redis(e.to_string()))
        }
        (StockGateKind::Redis, None) => Err(WiringError::Config(
            "stock_gate is redis but redis_url is not set".into(),
        )),
        (StockGateKind::Auto | StockGateKind::Memory, _) => Ok(GateAdapter::new(
            GateBackend::Memory(MemoryStockGate::new()),
            None,
        )),
        (StockGateKind::Database, _) => Ok(GateAdapter::new(
            GateBackend::Database(DatabaseStockGate::new(database)),
            database_guard,
        )),
    }
}

async fn queue(
    settings: &Settings,
    database: &Database,
    metrics: &Metrics,
) -> Result<(QueueAdapter, RestockAdapter, RestockSource), WiringError> {
    match &settings.nats_url {
        Some(url) => {
            let client = seckiller_nats::connect_nats(url, StdDuration::from_secs(5))
                .await
                .map_err(|e| WiringError::Nats(e.to_string()))?;
            let queue = JetStreamPurchaseQueue::with_client(
                client.clone(),
                &settings.nats_stream,
                JetStreamSettings::default(),
            )
            .await
            .map_err(|e| WiringError::Nats(e.to_string()))?;
            let notifier = NatsRestockNotifier::new(client.clone(), &settings.nats_stream);
            let source = RestockSource::Nats {
                client,
                prefix: settings.nats_stream.clone(),
            };
            let guard = DependencyGuard::new(
                "nats",
                StdDuration::from_millis(settings.nats_deadline_millis.max(1)),
                settings.breaker(),
            )
            .observed(metrics.dependency("nats"));
            // Stock a failed publish left taken is settled by the reconciler after its grace.
            let settle = StdDuration::from_secs(u64::from(settings.reconcile_grace_seconds))
                + StdDuration::from_millis(settings.reconcile_interval_millis.saturating_mul(2));
            Ok((
                QueueAdapter::JetStream {
                    queue: Box::new(queue),
                    guard,
                    settle,
                    publish_failures: seckiller_resilience::FailureMemory::default(),
                },
                RestockAdapter::Nats(notifier),
                source,
            ))
        }
        None => {
            let local = LocalRestockNotifier::default();
            let queue = SqlitePurchaseQueue::start(database, QueueSettings::default());
            Ok((
                QueueAdapter::Database(queue),
                RestockAdapter::Local(local.clone()),
                RestockSource::Local(local),
            ))
        }
    }
}

/// Assembles the node: database, adapters, use cases, the first admin and the demo sale.
///
/// # Errors
/// [`WiringError`] when any start-up step fails; the node must not serve half-wired.
pub async fn build_node(
    settings: &Settings,
    migrate: bool,
    metrics: &Metrics,
) -> Result<Node, WiringError> {
    let key_settings = settings.clone();
    let keys = tokio::task::spawn_blocking(move || signing_keys(&key_settings))
        .await
        .map_err(|e| WiringError::SigningKey(e.to_string()))?
        .map_err(WiringError::SigningKey)?
        .ring();
    tracing::info!(
        key_id = keys.current_key_id(),
        previous = keys.previous_key_ids().count(),
        "signing tokens"
    );
    let database = open_database(settings, migrate).await?;
    // One breaker for the database, whatever calls it; the embedded file needs none.
    let database_guard = (!settings.is_embedded()).then(|| {
        DependencyGuard::new(
            "database",
            StdDuration::from_millis(settings.database_deadline_millis.max(1)),
            settings.breaker(),
        )
        .observed(metrics.dependency("database"))
    });
    let gate = gate(settings, &database, database_guard.clone(), metrics)
        .await?
        .counted(metrics.clone());
    let gate_in_process = gate.in_process();
    if !settings.is_embedded() && (gate_in_process || settings.nats_url.is_none()) {
        tracing::warn!(
            "running on a shared database with the stock gate (neither Redis nor the database gate) \
             or the purchase queue (no NATS) in this process, so run exactly one node"
        );
    }
    let payments = payment_provider(settings)?;
    let (queue, restock, restock_source) = queue(settings, &database, metrics).await?;
    let adapters = Arc::new(NodeAdapters {
        users: Guarded::new(SeaUserRepository::new(&database), database_guard.clone()),
        products: Guarded::new(SeaProductRepository::new(&database), database_guard.clone()),
        activities: Guarded::new(
            SeaActivityRepository::new(&database),
            database_guard.clone(),
        ),
        orders: CountedOrders::new(
            Guarded::new(SeaOrderRepository::new(&database), database_guard.clone()),
            metrics.clone(),
        ),
        sessions: Guarded::new(SeaSessionStore::new(&database), database_guard.clone()),
        idempotency: Guarded::new(SeaIdempotencyStore::new(&database), database_guard.clone()),
        database_guard,
        hasher: Argon2PasswordHasher::default(),
        tokens: JwtTokenService::with_keys(keys),
        gate,
        queue,
        restock,
        payments,
    });
    let accounts = Accounts::new(
        adapters.clone(),
        Duration::seconds(i64::from(settings.session_ttl_seconds)),
    )
    .with_refresh_ttl(Duration::seconds(i64::from(settings.refresh_ttl_seconds)));
    ensure_admin(settings, &accounts).await?;
    let cache = ActivityCache::new(
        4096,
        StdDuration::from_millis(settings.activity_cache_millis),
    );
    let purchases = Purchases::new(
        adapters.clone(),
        SoldOutFlags::default(),
        cache.clone(),
        Duration::seconds(i64::from(settings.purchase_token_ttl_seconds)),
    );
    let activities = Activities::with_cache(
        adapters.clone(),
        StdDuration::from_millis(settings.activity_cache_millis),
    )
    .with_preheat_lead(Duration::seconds(i64::from(settings.preheat_lead_seconds)));
    let breakers = adapters.clone();
    let services = Services::new(
        adapters.clone(),
        accounts,
        activities,
        purchases,
        OrderEvents::default(),
    )
    .with_breakers(Arc::new(move || breakers.breaker_states()));
    let seeded = match settings.seed_demo {
        true => seed_demo(adapters.as_ref(), &services.catalog, &services.activities)
            .await
            .map_err(|e| WiringError::Seed(e.to_string()))?,
        false => None,
    };
    if let Some(demo) = seeded {
        tracing::info!(activity = %demo.activity.id, "seeded a demo sale");
    }
    let readiness = crate::readiness::readiness(database.clone(), adapters.clone());
    Ok(Node {
        services,
        readiness,
        adapters,
        cache,
        restock_source,
        database,
    })
}

/// The configured admin account: created when missing; with a configured password, that
/// password applied when it changed (a generated one only ever makes a new account). Then the
/// sign-in's stand-in hash is made, so no request pays for it.
async fn ensure_admin(
    settings: &Settings,
    accounts: &Accounts<NodeAdapters>,
) -> Result<(), WiringError> {
    let username = Username::parse(&settings.admin_username)
        .map_err(|e| WiringError::Config(format!("admin_username: {e}")))?;
    let (password, generated) = match &settings.admin_password {
        Some(p) => (p.clone(), false),
        None => (random_secret(12), true),
    };
    let password = Password::parse(&password)
        .map_err(|e| WiringError::Config(format!("admin_password: {e}")))?;
    let outcome = match generated {
        true => {
            accounts
                .ensure_admin(username.clone(), password.clone())
                .await
        }
        false => {
            accounts
                .apply_admin_password(username.clone(), password.clone())
                .await
        }
    }
    .map_err(|e| match e {
        RegisterError::WeakPassword(weak) => WiringError::Config(format!("admin_password: {weak}")),
        other => WiringError::Seed(other.to_string()),
    })?;
    match outcome {
        AdminAccount::Created if generated => tracing::warn!(
            username = username.as_str(),
            password = password.expose(),
            "created the first admin account with a generated password; it is shown only this once"
        ),
        AdminAccount::Created => tracing::info!(
            username = username.as_str(),
            "created the first admin account"
        ),
        AdminAccount::PasswordChanged => tracing::warn!(
            username = username.as_str(),
            "the configured admin password differs from the stored one: the admin's password was changed to it"
        ),
        AdminAccount::TakenByBuyer => tracing::warn!(
            username = username.as_str(),
            "admin_username names a buyer account: it was left alone and no admin was created"
        ),
        AdminAccount::Unchanged => {}
    }
    accounts
        .prepare()
        .await
        .map_err(|e| WiringError::Seed(e.to_string()))
}
