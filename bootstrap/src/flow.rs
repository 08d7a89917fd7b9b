//! The node's rate limits: made from the settings, kept in bounded memory by forgetting idle
//! keys, and given the per-sale limits admins stored in the database's shared settings.

use std::sync::Arc;
use std::time::Duration;

use seckiller_domain::ActivityId;
use seckiller_interfaces::{FlowLimits, FlowSettings, SaleLimitStore};
use seckiller_persistence::Database;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::config::Settings;

/// How often idle keys are forgotten. A key is idle once back at its full allowance, which takes
/// at most a second for the per-second limits and a minute for the sign-in ones.
const EVICT_EVERY: Duration = Duration::from_secs(10);

/// The rate limits `settings` ask for.
pub fn flow_limits(settings: &Settings) -> FlowLimits {
    FlowLimits::new(&FlowSettings {
        node_per_second: settings.rate_limit_node_per_second,
        sale_per_second: settings.rate_limit_sale_per_second,
        buyer_per_second: settings.rate_limit_buyer_per_second,
        ip_per_second: settings.rate_limit_ip_per_second,
        sign_in_per_minute: settings.rate_limit_sign_in_per_minute,
        sign_in_ip_per_minute: settings.rate_limit_sign_in_ip_per_minute,
        trusted_proxies: settings.trusted_proxies.clone(),
        max_keys: settings.rate_limit_max_keys,
    })
}

/// Forgets idle keys every few seconds until aborted.
pub fn spawn_eviction(limits: FlowLimits) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVICT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let limits = limits.clone();
            // Eviction walks every key under the limit's lock: off the request workers.
            let _ = tokio::task::spawn_blocking(move || limits.evict_idle()).await;
        }
    })
}

/// Settings keys of sales' own rate limits: the prefix, then the sale's id.
const SALE_LIMIT_PREFIX: &str = "sale-rate-limit:";

/// Keeps admins' per-sale limits in the database's shared settings.
pub fn sale_limit_store(database: Database) -> SaleLimitStore {
    Arc::new(move |activity, per_second| {
        let database = database.clone();
        Box::pin(async move {
            database
                .put_setting(
                    &format!("{SALE_LIMIT_PREFIX}{activity}"),
                    &per_second.to_string(),
                )
                .await
                .map_err(|e| e.to_string())
        })
    })
}

/// Applies every stored per-sale limit to `limits`.
///
/// # Errors
/// The storage failure, as text for the log.
pub async fn load_sale_limits(database: &Database, limits: &FlowLimits) -> Result<(), String> {
    let stored = database
        .settings_with_prefix(SALE_LIMIT_PREFIX)
        .await
        .map_err(|e| e.to_string())?;
    for (key, value) in stored {
        let id = key
            .strip_prefix(SALE_LIMIT_PREFIX)
            .and_then(|id| Uuid::try_parse(id).ok());
        match (id, value.parse::<u32>()) {
            (Some(id), Ok(per_second)) => {
                limits.set_sale_limit(ActivityId::from_uuid(id), per_second);
            }
            _ => tracing::warn!(%key, %value, "ignoring an unreadable sale rate limit"),
        }
    }
    Ok(())
}

/// Reads the stored per-sale limits every `every` until aborted, so a limit set through any
/// node reaches this one.
pub fn spawn_sale_limit_refresh(
    database: Database,
    limits: FlowLimits,
    every: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = load_sale_limits(&database, &limits).await {
                tracing::warn!(%error, "reading sale rate limits failed; keeping the last ones");
            }
        }
    })
}
