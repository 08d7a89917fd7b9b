//! The node's rate limits, made from the settings, and the background task that keeps their
//! memory bounded by forgetting idle keys.

use std::time::Duration;

use seckiller_interfaces::{FlowLimits, FlowSettings};
use tokio::task::JoinHandle;

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
