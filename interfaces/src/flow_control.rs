//! Flow control: rate limits on the purchase path (per node, per sale, per buyer, per client
//! address) and on signing in and registering (per username and per address, against password
//! guessing and account farming). A request over a limit gets 429 `rate_limited`, a body
//! rendered once, and `Retry-After` in whole seconds (at least 1) from the limit's own clock.
//!
//! A purchase of a sale the node knows is sold out never gets here: it was answered in front
//! of everything (see `hot_answers`), and costs less than counting it would.
//!
//! The checks run from the narrowest key to the widest, so a buyer or address over its own
//! limit is turned away without spending the sale's or the node's allowance.
//!
//! The buyer is the one the edge's authentication proved (it runs first), so a purchase's token
//! is verified once, not once here and again in the handler. Changing one's password
//! (`POST /api/v1/me/password`, which verifies the current one) is an account attempt too,
//! counted per address and per account, so a stolen token cannot guess the password behind it.

mod client_ip;
mod keyed_limit;
mod sale_limits;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use governor::DefaultDirectRateLimiter;
use governor::clock::{Clock, DefaultClock};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, Error, IntoResponse, Middleware, Request, Response, Result};
use seckiller_domain::{ActivityId, UserId};
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::authentication::Authenticated;
use crate::canned_answer::CannedAnswer;
use crate::error_code::ErrorCode;
use crate::hot_answers::purchase_of;
use crate::problem::ApiError;
pub(crate) use client_ip::client_ip;
use keyed_limit::{KeyedLimit, per_minute, per_second};
use sale_limits::SaleLimits;

/// Usernames longer than this are not counted by name (they fail validation anyway), so junk
/// names cannot make the name limit's keys large.
const MAX_COUNTED_NAME: usize = 64;

/// The limits of one node; 0 means no limit.
#[derive(Debug, Clone, Default)]
pub struct FlowSettings {
    /// Purchase-path requests (tokens and purchases) per second on this node.
    pub node_per_second: u32,
    /// Purchase-path requests per second per sale, unless an admin gave the sale its own.
    pub sale_per_second: u32,
    /// Purchase-path requests per second per buyer (by bearer token).
    pub buyer_per_second: u32,
    /// Purchase-path requests per second per client address.
    pub ip_per_second: u32,
    /// Sign-in and registration attempts per minute per username.
    pub sign_in_per_minute: u32,
    /// Sign-in and registration attempts per minute per client address.
    pub sign_in_ip_per_minute: u32,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Most keys each keyed limit remembers.
    pub max_keys: usize,
}

/// The node's rate limits, shared by every request; cheap to clone.
#[derive(Clone)]
pub struct FlowLimits(Arc<Limits>);

struct Limits {
    node: Option<DefaultDirectRateLimiter>,
    sales: SaleLimits,
    buyers: KeyedLimit<UserId>,
    ips: KeyedLimit<IpAddr>,
    account_names: KeyedLimit<String>,
    account_ips: KeyedLimit<IpAddr>,
    trusted_proxies: Vec<IpAddr>,
    clock: DefaultClock,
}

impl std::fmt::Debug for FlowLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowLimits").finish_non_exhaustive()
    }
}

impl FlowLimits {
    /// The limits `settings` describe.
    pub fn new(settings: &FlowSettings) -> Self {
        let keys = settings.max_keys;
        Self(Arc::new(Limits {
            node: per_second(settings.node_per_second).map(DefaultDirectRateLimiter::direct),
            sales: SaleLimits::new(settings.sale_per_second, keys),
            buyers: KeyedLimit::new(per_second(settings.buyer_per_second), keys),
            ips: KeyedLimit::new(per_second(settings.ip_per_second), keys),
            account_names: KeyedLimit::new(per_minute(settings.sign_in_per_minute), keys),
            account_ips: KeyedLimit::new(per_minute(settings.sign_in_ip_per_minute), keys),
            trusted_proxies: settings.trusted_proxies.clone(),
            clock: DefaultClock::default(),
        }))
    }

    /// Gives `activity` its own per-second limit; 0 returns it to the node's default.
    pub fn set_sale_limit(&self, activity: ActivityId, per_second: u32) {
        self.0.sales.set(activity, per_second);
    }

    /// Forgets buyers, addresses, names and sales idle long enough to be back at a full
    /// allowance; run periodically so memory stays bounded.
    pub fn evict_idle(&self) {
        let limits = &self.0;
        limits.sales.evict_idle();
        limits.buyers.evict_idle();
        limits.ips.evict_idle();
        limits.account_names.evict_idle();
        limits.account_ips.evict_idle();
    }

    fn client(&self, req: &Request) -> Option<IpAddr> {
        let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
        client_ip(peer, req.headers(), &self.0.trusted_proxies)
    }

    fn check_purchase(
        &self,
        ip: Option<IpAddr>,
        buyer: Option<UserId>,
        activity: ActivityId,
    ) -> Result<(), Duration> {
        let limits = &self.0;
        if let Some(buyer) = buyer {
            limits.buyers.check(&buyer)?;
        }
        if let Some(ip) = ip {
            limits.ips.check(&ip)?;
        }
        limits.sales.check(activity)?;
        match &limits.node {
            Some(node) => node
                .check()
                .map_err(|not_until| not_until.wait_time_from(limits.clock.now())),
            None => Ok(()),
        }
    }
}

/// Rate-limits the purchase path and account attempts.
pub(crate) struct FlowControl {
    /// The node's limits.
    pub limits: FlowLimits,
}

impl<E: Endpoint> Middleware<E> for FlowControl {
    type Output = FlowControlEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        FlowControlEndpoint {
            inner,
            limits: self.limits.clone(),
            limited: OnceCell::new(),
        }
    }
}

/// The wrapped application.
pub(crate) struct FlowControlEndpoint<E> {
    inner: E,
    limits: FlowLimits,
    limited: OnceCell<CannedAnswer>,
}

/// Whether the request signs in, registers, changes a password or exchanges a refresh token
/// (counted per address: guessing refresh tokens is hopeless, but each guess costs a read).
fn is_account_attempt(req: &Request) -> bool {
    req.method() == Method::POST
        && matches!(
            req.uri().path(),
            "/api/v1/sessions"
                | "/api/v1/sessions/refresh"
                | "/api/v1/users"
                | "/api/v1/me/password"
        )
}

/// The caller the edge proved, if any.
fn proven_caller(req: &Request) -> Option<UserId> {
    req.extensions()
        .get::<Authenticated>()
        .map(|Authenticated(caller, _)| caller.user_id)
}

/// The `username` of a sign-in or registration body, when it has one that is text, lowercased
/// as usernames compare (so `Ann` and `ann` share one allowance).
fn username_in(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        username: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Named>(body).ok()?.username? {
        serde_json::Value::String(name) if name.len() <= MAX_COUNTED_NAME => {
            Some(name.to_lowercase())
        }
        _ => None,
    }
}

/// `wait` in whole seconds, rounded up.
fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl<E: Endpoint> FlowControlEndpoint<E> {
    async fn limited(&self, wait: Duration) -> Response {
        self.limited
            .get_or_init(|| {
                CannedAnswer::render(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::RateLimited,
                    "too many requests; retry after the seconds in Retry-After",
                ))
            })
            .await
            .response_retry_after(retry_after_seconds(wait))
    }

    /// Counts an account attempt by address, then by name (or, signed in, by account); the body
    /// is read (it is small: the body limit is in front) and put back for the handler.
    async fn check_account(&self, req: &mut Request) -> Result<Result<(), Duration>> {
        let limits = &self.limits.0;
        if let Some(ip) = self.limits.client(req)
            && let Err(wait) = limits.account_ips.check(&ip)
        {
            return Ok(Err(wait));
        }
        if let Some(account) = proven_caller(req) {
            // Usernames never hold ':', so an account's key cannot meet a name's.
            return Ok(limits.account_names.check(&format!("account:{account}")));
        }
        let body = req
            .take_body()
            .into_bytes()
            .await
            .map_err(|e| Error::from_string(e.to_string(), StatusCode::BAD_REQUEST))?;
        let name = username_in(&body);
        req.set_body(body);
        Ok(match name {
            Some(name) => limits.account_names.check(&name),
            None => Ok(()),
        })
    }
}

impl<E: Endpoint> Endpoint for FlowControlEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let verdict = if let Some(activity) = purchase_of(&req) {
            self.limits
                .check_purchase(self.limits.client(&req), proven_caller(&req), activity)
        } else if is_account_attempt(&req) {
            self.check_account(&mut req).await?
        } else {
            Ok(())
        };
        match verdict {
            Ok(()) => self.inner.call(req).await.map(IntoResponse::into_response),
            Err(wait) => Ok(self.limited(wait).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_rounded_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 0);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(6)), 6);
        assert_eq!(retry_after_seconds(Duration::from_millis(6_001)), 7);
    }

    #[test]
    fn only_a_textual_username_of_sane_length_is_counted() {
        assert_eq!(
            username_in(br#"{"username":"Ann","password":"x"}"#),
            Some("ann".to_owned())
        );
        assert_eq!(username_in(br#"{"username":12}"#), None);
        assert_eq!(username_in(b"not json"), None);
        let long = format!(r#"{{"username":"{}"}}"#, "x".repeat(65));
        assert_eq!(username_in(long.as_bytes()), None);
    }
}
