//! The stock gate on Redis: each purchase attempt is one Lua script on the activity's slot, so
//! every node of the service shares one exact count.

mod epoch;
mod index;

use std::collections::HashMap;
use std::time::Duration;

use fred::prelude::{
    Builder, ClientLike, Config, Error, HashesInterface, KeysInterface, Pool, ReconnectPolicy,
};
use seckiller_domain::ports::{GateDecision, GateError, StockGate};
use seckiller_domain::{ActivityId, Purchase, PurchaseId, Quantity};

use crate::keys::{ActivityKeys, KeySpace};
use crate::record;
use crate::scripts::{Scripts, take};
use epoch::ServerEpoch;

/// How long connecting or any command may take before the caller gets a [`GateError`]: a purchase
/// should rather fail fast (503) than wait on a dead Redis.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Given-back records written per `HSET`, so remembering a large sale's returns neither builds
/// one huge command nor pays one round trip per purchase.
const RETURNED_PER_COMMAND: usize = 1_000;
/// Connections per gate; commands are pipelined on each, so a few serve many requests.
const POOL_SIZE: usize = 4;

/// How far Redis's clock may run ahead of this node's before takes are wrongly found late: the
/// take script compares its own clock with the node's deadline.
const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(1);

/// The instant `window` (plus the clock-skew allowance) from now, in Unix milliseconds, as the
/// take script reads it.
fn not_after(window: Duration) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now + window + CLOCK_SKEW_ALLOWANCE)
        .as_millis()
        .to_string()
}

fn unavailable(error: Error) -> GateError {
    GateError::from(format!("redis: {error}"))
}

/// The production [`StockGate`]. Clones share the connections.
///
/// Keys (`<prefix>` as given to [`RedisStockGate::connect`]): per activity
/// `<prefix>{act:<id>}:stock|limit|buyers|purchases|returned|epoch` (one hash slot, see
/// [`ActivityKeys`]), and per accepted purchase `<prefix>purchase:<id>` naming its activity, for
/// [`StockGate::find_purchase`]. On a single Redis the take script writes that lookup key with
/// the purchase, in the same round trip. A cluster cannot put it in the take's slot, so there it
/// is written after the take, as its own command: if a node dies in between, the purchase is in
/// the gate but not findable by id alone until the take is retried. A failure to write it is
/// logged, never reported as a failed take, because the stock was taken.
///
/// A given-back purchase's record moves from `:purchases` to `:returned`: it no longer holds
/// stock, so [`StockGate::find_purchase`] no longer finds it and a retry under its id is
/// decided afresh.
///
/// [`StockGate::preheat`] loads stock, limit and holdings in one script, so no attempt ever
/// sees an activity half rebuilt; the holdings' lookup keys follow, pipelined, like a take's.
/// Holdings of another activity are refused with a [`GateError`] and nothing is loaded.
#[derive(Debug, Clone)]
pub struct RedisStockGate {
    pool: Pool,
    keys: KeySpace,
    scripts: Scripts,
    /// A single Redis: the take script writes the purchase-id lookup itself.
    index_in_take: bool,
    /// The identity of the server this gate talks to, written with each load and checked by
    /// each take, so data that server did not load (restored, replicated) is never trusted.
    epoch: ServerEpoch,
    /// How long a take may take to reach Redis: one arriving later decides nothing.
    take_window: Duration,
}

impl RedisStockGate {
    /// Connects to `url` (`redis://…`, or `redis-cluster://…` for a cluster) and loads the
    /// scripts. Lost connections are re-established in the background; while
    /// Redis is away each call fails after about two seconds instead of waiting.
    ///
    /// `key_prefix` starts every key, so several deployments or tests can share one Redis.
    ///
    /// # Errors
    /// [`GateError`] when the URL is invalid, the prefix holds a brace, or Redis cannot be
    /// reached within about two seconds.
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, GateError> {
        let keys = KeySpace::new(key_prefix)?;
        let config = Config::from_url(url).map_err(unavailable)?;
        let mut builder = Builder::from_config(config);
        builder
            .with_connection_config(|connection| {
                connection.connection_timeout = TIMEOUT;
                connection.internal_command_timeout = TIMEOUT;
            })
            .with_performance_config(|performance| {
                performance.default_command_timeout = TIMEOUT;
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2));
        let pool = builder.build_pool(POOL_SIZE).map_err(unavailable)?;
        // The handle only reports when the connections finally close; nothing waits on it.
        let _connections = pool.init().await.map_err(unavailable)?;
        let gate = Self::with_pool(pool.clone(), keys).await;
        if gate.is_err() {
            // Stop reconnecting in the background for a gate nobody will use.
            let _closed = pool.quit().await;
        }
        gate
    }

    /// A gate over a pool the caller built and connected, with its own timeouts and policy.
    ///
    /// # Errors
    /// [`GateError`] when the prefix holds a brace or the scripts cannot be loaded.
    pub async fn from_pool(pool: Pool, key_prefix: &str) -> Result<Self, GateError> {
        Self::with_pool(pool, KeySpace::new(key_prefix)?).await
    }

    async fn with_pool(pool: Pool, keys: KeySpace) -> Result<Self, GateError> {
        let scripts = Scripts::load(&pool).await.map_err(unavailable)?;
        let clustered = pool.next().is_clustered();
        let epoch = ServerEpoch::watch(&pool, clustered);
        Ok(Self {
            index_in_take: !clustered,
            pool,
            keys,
            scripts,
            epoch,
            take_window: TIMEOUT,
        })
    }

    /// Takes that reach Redis more than `window` after they were sent decide nothing (the
    /// caller has stopped waiting by then). Set it to the caller's deadline; two seconds, the
    /// client's own timeout, by default.
    #[must_use]
    pub fn with_take_window(mut self, window: Duration) -> Self {
        self.take_window = window;
        self
    }

    /// Every key this gate keeps for `activity`, e.g. to delete them once the sale is over.
    pub fn activity_keys(&self, activity: ActivityId) -> ActivityKeys {
        self.keys.activity(activity)
    }

    /// Fails at once while no connection of the pool is up, instead of queueing the command
    /// until the reconnection or the deadline: the buyer gets a prompt 503 while the client
    /// reconnects in the background.
    fn ensure_connected(&self) -> Result<(), GateError> {
        match self.pool.clients().iter().any(ClientLike::is_connected) {
            true => Ok(()),
            false => Err(GateError::from(
                "redis: not connected (reconnecting)".to_owned(),
            )),
        }
    }

    /// Asks Redis to answer, for readiness probes.
    ///
    /// # Errors
    /// [`GateError`] when Redis does not answer.
    pub async fn ping(&self) -> Result<(), GateError> {
        let _pong: String = self.pool.ping(None).await.map_err(unavailable)?;
        Ok(())
    }

    /// Closes the connections; calls made afterwards fail.
    ///
    /// # Errors
    /// [`GateError`] when the connections could not be closed cleanly.
    pub async fn close(&self) -> Result<(), GateError> {
        self.pool.quit().await.map_err(unavailable)
    }
}

impl StockGate for RedisStockGate {
    async fn preheat(
        &self,
        activity: ActivityId,
        available: u32,
        per_user_limit: Quantity,
        holdings: &[Purchase],
    ) -> Result<(), GateError> {
        GateError::refuse_foreign(activity, holdings, "a holding")?;
        let keys = self.keys.activity(activity);
        let epoch = self.epoch.current(&self.pool).await?;
        let mut args = Vec::with_capacity(3 + 2 * holdings.len());
        args.push(available.to_string());
        args.push(per_user_limit.get().to_string());
        args.push(epoch);
        for held in holdings {
            args.push(held.id.to_string());
            args.push(record::encode(held));
        }
        let loaded: i64 = self
            .scripts
            .preheat
            .run(
                &self.pool,
                vec![
                    keys.stock,
                    keys.limit,
                    keys.buyers,
                    keys.purchases,
                    keys.returned,
                    keys.epoch,
                ],
                args,
            )
            .await
            .map_err(unavailable)?;
        if loaded == 1 {
            self.index_holdings(holdings).await;
        }
        Ok(())
    }

    async fn remember_given_back(
        &self,
        activity: ActivityId,
        given_back: &[Purchase],
    ) -> Result<(), GateError> {
        GateError::refuse_foreign(activity, given_back, "given back")?;
        let returned = self.keys.activity(activity).returned;
        for batch in given_back.chunks(RETURNED_PER_COMMAND) {
            let records: Vec<(String, String)> = batch
                .iter()
                .map(|purchase| (purchase.id.to_string(), record::encode(purchase)))
                .collect();
            let _written: i64 = self
                .pool
                .hset(returned.as_str(), records)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    async fn take(&self, purchase: &Purchase, retake: bool) -> Result<GateDecision, GateError> {
        self.ensure_connected()?;
        let activity = self.keys.activity(purchase.activity_id);
        let epoch = self.epoch.current(&self.pool).await?;
        let mut keys = Vec::with_capacity(7);
        keys.extend([
            activity.stock,
            activity.limit,
            activity.buyers,
            activity.purchases,
            activity.returned,
            activity.epoch,
        ]);
        let mut args = Vec::with_capacity(8);
        args.extend([
            purchase.id.to_string(),
            purchase.buyer_id.to_string(),
            purchase.quantity.get().to_string(),
            record::encode(purchase),
            if retake { "1" } else { "0" }.to_owned(),
            epoch,
            not_after(self.take_window),
        ]);
        if self.index_in_take {
            keys.push(self.keys.purchase_index(purchase.id));
            args.push(purchase.activity_id.to_string());
            args.push(index::PURCHASE_INDEX_TTL_SECS.to_string());
        }
        let answer: i64 = self
            .scripts
            .take
            .run(&self.pool, keys, args)
            .await
            .map_err(unavailable)?;
        match answer {
            take::ACCEPTED => {
                if !self.index_in_take {
                    self.index(purchase).await;
                }
                Ok(GateDecision::Accepted)
            }
            take::SOLD_OUT => Ok(GateDecision::SoldOut),
            take::LIMIT_REACHED => Ok(GateDecision::LimitReached),
            take::NOT_LOADED => Ok(GateDecision::NotLoaded),
            take::GIVEN_BACK => Ok(GateDecision::GivenBack),
            held if held < 0 => held
                .checked_neg()
                .and_then(|q| u32::try_from(q).ok())
                .and_then(|q| Quantity::new(q).ok())
                .map(|quantity| GateDecision::Held { quantity })
                .ok_or_else(|| GateError::from(format!("redis: the take script answered {held}"))),
            take::TOO_LATE => Err(GateError::from(
                "redis: the take arrived after its deadline and decided nothing".to_owned(),
            )),
            other => Err(GateError::from(format!(
                "redis: the take script answered {other}"
            ))),
        }
    }

    async fn give_back(&self, purchase: &Purchase) -> Result<bool, GateError> {
        let keys = self.keys.activity(purchase.activity_id);
        let returned: i64 = self
            .scripts
            .give_back
            .run(
                &self.pool,
                vec![keys.stock, keys.buyers, keys.purchases, keys.returned],
                vec![purchase.id.to_string()],
            )
            .await
            .map_err(unavailable)?;
        Ok(returned == 1)
    }

    /// `None` also when the stock there was loaded by another server (see [`ServerEpoch`]):
    /// it is not this gate's to trust, and the loader replaces it.
    async fn available(&self, activity: ActivityId) -> Result<Option<u32>, GateError> {
        self.ensure_connected()?;
        let epoch = self.epoch.current(&self.pool).await?;
        let keys = self.keys.activity(activity);
        let (stock, loaded_by): (Option<String>, Option<String>) = self
            .pool
            .mget(vec![keys.stock, keys.epoch])
            .await
            .map_err(unavailable)?;
        if loaded_by.as_deref() != Some(epoch.as_str()) {
            return Ok(None);
        }
        stock
            .map(|count| {
                count.parse().map_err(|_| {
                    GateError::from(format!("redis: the stock of {activity} is {count:?}"))
                })
            })
            .transpose()
    }

    /// Marks the data as loaded by no server: the next load replaces it, as it replaces data a
    /// restored snapshot brought back.
    async fn distrust(&self, activity: ActivityId) -> Result<bool, GateError> {
        let keys = self.keys.activity(activity);
        let marked: Option<String> = self
            .pool
            .set(
                keys.epoch,
                epoch::DISTRUSTED,
                None,
                Some(fred::types::SetOptions::XX),
                false,
            )
            .await
            .map_err(unavailable)?;
        Ok(marked.is_some())
    }

    async fn find_purchase(&self, id: PurchaseId) -> Result<Option<Purchase>, GateError> {
        self.ensure_connected()?;
        let activity: Option<String> = self
            .pool
            .get(self.keys.purchase_index(id))
            .await
            .map_err(unavailable)?;
        let Some(activity) = activity else {
            return Ok(None);
        };
        let activity: ActivityId = activity.parse().map_err(|_| {
            GateError::from(format!(
                "redis: purchase {id} is indexed under {activity:?}"
            ))
        })?;
        let stored: Option<String> = self
            .pool
            .hget(self.keys.activity(activity).purchases, id.to_string())
            .await
            .map_err(unavailable)?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let purchase = record::decode(id, &stored)?;
        if purchase.activity_id != activity {
            return Err(GateError::from(format!(
                "redis: purchase {id} is indexed under {activity} but recorded for {}",
                purchase.activity_id
            )));
        }
        Ok(Some(purchase))
    }

    /// Both hashes' fields: the ids of the purchases holding stock and of those given back.
    async fn accepted_ids(&self, activity: ActivityId) -> Result<Vec<PurchaseId>, GateError> {
        let keys = self.keys.activity(activity);
        let mut ids = Vec::new();
        for hash in [keys.purchases, keys.returned] {
            let fields: Vec<String> = self.pool.hkeys(hash).await.map_err(unavailable)?;
            for field in fields {
                ids.push(field.parse().map_err(|_| {
                    GateError::from(format!(
                        "redis: a purchase of {activity} is recorded under {field:?}"
                    ))
                })?);
            }
        }
        Ok(ids)
    }

    async fn holdings(&self, activity: ActivityId) -> Result<Vec<Purchase>, GateError> {
        let stored: HashMap<String, String> = self
            .pool
            .hgetall(self.keys.activity(activity).purchases)
            .await
            .map_err(unavailable)?;
        let mut holdings = stored
            .iter()
            .map(|(id, stored)| {
                let id: PurchaseId = id.parse().map_err(|_| {
                    GateError::from(format!(
                        "redis: a purchase of {activity} is recorded under {id:?}"
                    ))
                })?;
                let purchase = record::decode(id, stored)?;
                if purchase.activity_id != activity {
                    return Err(GateError::from(format!(
                        "redis: purchase {id} is recorded under {activity} but belongs to {}",
                        purchase.activity_id
                    )));
                }
                Ok(purchase)
            })
            .collect::<Result<Vec<_>, _>>()?;
        // A hash has no order; oldest first reads naturally and keeps answers repeatable.
        holdings.sort_by_key(|purchase| (purchase.accepted_at, purchase.id));
        Ok(holdings)
    }
}
