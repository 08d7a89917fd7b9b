//! The gate's Lua scripts. Each runs atomically on the node owning its activity's slot, so one
//! script call is one decision. They are loaded once (`SCRIPT LOAD`) and called by hash
//! (`EVALSHA`); a node that lost its script cache (restart, `SCRIPT FLUSH`, failover, a cluster
//! node that never saw the load) answers `NOSCRIPT`, and the call is retried once with `EVAL`,
//! which runs the script on the node that owns the keys and caches it there again.

use fred::prelude::{Error, FromValue, Key, LuaInterface, Pool, Value};

/// Answers of [`TAKE`].
pub(crate) mod take {
    /// Stock taken. (A purchase id that holds stock already answers its recorded quantity,
    /// negated.)
    pub(crate) const ACCEPTED: i64 = 0;
    /// Not enough stock left.
    pub(crate) const SOLD_OUT: i64 = 1;
    /// The buyer would pass the limit.
    pub(crate) const LIMIT_REACHED: i64 = 2;
    /// No stock or limit loaded for the activity.
    pub(crate) const NOT_LOADED: i64 = 3;
    /// Given back before, and asked not to take it again.
    pub(crate) const GIVEN_BACK: i64 = 4;
    /// Reached the server after the caller stopped waiting: nothing was decided.
    pub(crate) const TOO_LATE: i64 = 5;
}

/// One purchase attempt. KEYS: stock, limit, buyers, purchases, returned, the loading server's
/// identity, and on a single Redis (not a cluster, where it lives in another slot) the
/// purchase-id lookup. ARGV: purchase id, buyer id, quantity, encoded purchase, retake (`1` or
/// `0`), this server's identity, the last instant the caller waits (Unix milliseconds; later,
/// nothing is decided), and with the lookup key its activity id and lifetime in seconds. A purchase id holding stock takes nothing and answers its
/// recorded quantity, negated; one given back before is answered as such unless `retake`; any other is decided
/// afresh, the limit before the stock. An accepted purchase (re)writes the lookup when given.
pub(crate) const TAKE: &str = include_str!("scripts/take.lua");

/// Gives back a purchase holding stock, once: its record moves from `purchases` to `returned`.
/// KEYS: stock, buyers, purchases, returned. ARGV: purchase id. The buyer and quantity come from
/// the stored record (see `record.rs`), not from the caller. Answers 1 when this call returned
/// the stock, else 0 (unknown purchase, returned before, or the activity's stock is gone so
/// there is nothing to return it to; the record then stays).
pub(crate) const GIVE_BACK: &str = include_str!("scripts/give_back.lua");

/// Loads an activity unless its stock is there already: the first load wins, and stock, limit
/// and the holdings are written together, or (stock there already) nothing is. KEYS: stock,
/// limit, buyers, purchases, returned. ARGV: available, limit, then a purchase id and its
/// encoded record (see `record.rs`) per holding. Each holding is recorded as an accepted
/// purchase (and leaves `returned`, as a take does) and its quantity, read from the record as
/// the give-back script reads it, is counted for its buyer; a holding recorded already is not
/// counted twice. Holdings take nothing from the stock. Every record is read before anything is
/// written, so an unreadable one fails the load whole. Answers 1 when loaded, else 0.
pub(crate) const PREHEAT: &str = include_str!("scripts/preheat.lua");

/// A script with the hash it is called by.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    lua: &'static str,
    sha: String,
}

impl Script {
    /// Loads `lua` into the script cache of the node the pool picks.
    pub(crate) async fn load(pool: &Pool, lua: &'static str) -> Result<Self, Error> {
        let sha: String = pool.script_load(lua).await?;
        Ok(Self { lua, sha })
    }

    /// Runs the script by hash; on `NOSCRIPT`, once more by its text. Keys and arguments are
    /// moved into shared buffers first, so keeping them for that rare second call copies none.
    pub(crate) async fn run<R: FromValue>(
        &self,
        pool: &Pool,
        keys: Vec<String>,
        args: Vec<String>,
    ) -> Result<R, Error> {
        let keys: Vec<Key> = keys.into_iter().map(Key::from).collect();
        let args: Vec<Value> = args.into_iter().map(Value::from).collect();
        match pool
            .evalsha(self.sha.as_str(), keys.clone(), args.clone())
            .await
        {
            Err(error) if error.details().starts_with("NOSCRIPT") => {
                pool.eval(self.lua, keys, args).await
            }
            answer => answer,
        }
    }
}

/// The gate's scripts, loaded.
#[derive(Debug, Clone)]
pub(crate) struct Scripts {
    pub(crate) take: Script,
    pub(crate) give_back: Script,
    pub(crate) preheat: Script,
}

impl Scripts {
    pub(crate) async fn load(pool: &Pool) -> Result<Self, Error> {
        Ok(Self {
            take: Script::load(pool, TAKE).await?,
            give_back: Script::load(pool, GIVE_BACK).await?,
            preheat: Script::load(pool, PREHEAT).await?,
        })
    }
}
