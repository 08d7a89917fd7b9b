//! Configuration: defaults that run the embedded service with no setup, overlaid by an optional
//! TOML file, overlaid by `SECKILLER_…` environment variables (env wins).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Which stock gate decides purchases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StockGateKind {
    /// Redis when `redis_url` is set, else in process.
    #[default]
    Auto,
    /// In process: one node only.
    Memory,
    /// Redis at `redis_url` (which must be set): shared by every node.
    Redis,
    /// Tables in the database: shared by every node on Postgres; no Redis needed.
    Database,
}

/// Where clients reach the API. The default, `/`, is relative: a browser resolves it against the
/// address it loaded the docs from, which is right behind a proxy, in a container or on a
/// `0.0.0.0` bind, where the listen address is not an address anyone can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl(String);

impl PublicUrl {
    /// The address as configured, without a trailing `/` unless it is only `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for PublicUrl {
    fn default() -> Self {
        Self("/".into())
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let value = value.trim();
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"));
        let host = rest.map(|r| r.split('/').next().unwrap_or_default());
        let plain = |c: char| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | ';' | ',' | '\\');
        let ok = match host {
            Some(host) => !host.is_empty() && value.chars().all(plain),
            None => value.starts_with('/') && value.chars().all(plain),
        };
        if !ok {
            return Err(format!(
                "public_url must be a path starting with `/` or an http:// or https:// address, not `{value}`"
            ));
        }
        let trimmed = value.trim_end_matches('/');
        Ok(Self(if trimmed.is_empty() {
            "/".into()
        } else {
            trimmed.into()
        }))
    }
}

impl From<PublicUrl> for String {
    fn from(url: PublicUrl) -> Self {
        url.0
    }
}

/// Every setting of the service. Names are stable: tools, tests and docs rely on them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// HTTP listen address (port 0 = any free port; the bound address is logged).
    pub listen: SocketAddr,
    /// The API's address as clients reach it, named in the served OpenAPI document's `servers`
    /// (so Swagger UI's "Try it out" goes there): `/` by default, a path, or an absolute
    /// `http(s)://` address; anything else is refused when the configuration is loaded.
    pub public_url: PublicUrl,
    /// Where Prometheus scrapes `GET /metrics`; unset means on `listen`, set means only here
    /// (port 0 = any free port).
    pub metrics_listen: Option<SocketAddr>,
    /// Where the embedded database lives.
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; unset means SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// `redis://…`; unset means the in-process stock gate (one node only).
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so deployments can share a Redis.
    pub redis_key_prefix: String,
    /// The stock gate: `auto`, `memory`, `redis` or `database`; any other value is refused
    /// when the configuration is loaded.
    pub stock_gate: StockGateKind,
    /// `nats://…`; unset means the purchase queue is a table in the database (one node only).
    pub nats_url: Option<String>,
    /// JetStream stream name (also prefixes the subjects).
    pub nats_stream: String,
    /// Seconds before a sale opens that its stock is loaded into the gate.
    pub preheat_lead_seconds: u32,
    /// How long a purchase token lives, in seconds.
    pub purchase_token_ttl_seconds: u32,
    /// Purchases the order writer records per transaction.
    pub order_batch_size: u32,
    /// How long a node trusts its cached copy of an activity, in milliseconds.
    pub activity_cache_millis: u64,
    /// How often the expiry sweeper looks for overdue orders, in milliseconds.
    pub sweep_interval_millis: u64,
    /// Most orders one sweep expires.
    pub sweep_batch_size: u32,
    /// How often the reconciler compares the gate with the database, in milliseconds.
    pub reconcile_interval_millis: u64,
    /// How old a purchase the gate holds must be before the reconciler publishes it again, in
    /// seconds: longer than any publish can take.
    pub reconcile_grace_seconds: u32,
    /// Longest a call to Redis may take before the purchase gets 503, in milliseconds.
    pub redis_deadline_millis: u64,
    /// Longest a call to NATS (a publish and its ack) may take, in milliseconds.
    pub nats_deadline_millis: u64,
    /// Longest a database call on the purchase path may take (the database gate, waiting for a
    /// pooled connection), in milliseconds.
    pub database_deadline_millis: u64,
    /// Failures in a row after which a dependency's circuit breaker opens.
    pub breaker_failure_threshold: u32,
    /// How long an open breaker answers 503 at once before it lets a probe through, in
    /// milliseconds.
    pub breaker_open_millis: u64,
    /// The simulated payment provider's behaviour: `approve`, `decline` or `timeout`.
    pub payment_mode: String,
    /// How long the simulated provider takes to time out, in milliseconds.
    pub payment_timeout_millis: u64,
    /// How long each simulated charge takes, in milliseconds (to rehearse slow providers).
    pub payment_latency_millis: u64,
    /// The first admin account's username.
    pub admin_username: String,
    /// Its password; generated and logged once when unset and the account is new.
    pub admin_password: Option<String>,
    /// Key that signs bearer and purchase tokens (at least 32 characters). Unset: the key file
    /// below, else (embedded default only) a key generated into `data_dir/token.key`; a node on
    /// Postgres refuses to start without one, since every node must share it.
    pub token_secret: Option<String>,
    /// A file holding the signing key, instead of `token_secret`: mode 0600 or 0400 and owned by
    /// the user the service runs as, or the node refuses to start.
    pub token_key_file: Option<PathBuf>,
    /// Previous signing keys, comma-separated: tokens they signed still verify, nothing new is
    /// signed with them. Drop one once the tokens it signed have expired.
    pub token_previous_secrets: Option<String>,
    /// Files holding previous signing keys, comma-separated (same rules as `token_key_file`).
    pub token_previous_key_files: Option<String>,
    /// How long an access (bearer) token lasts, in seconds. Checking it takes no IO, so a
    /// revoked session's access token works until then: keep it short.
    pub session_ttl_seconds: u32,
    /// How long a refresh token lasts, in seconds; each refresh issues a new one.
    pub refresh_ttl_seconds: u32,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Apply migrations when serving.
    pub migrate_on_start: bool,
    /// Seed a demo sale into an empty catalogue.
    pub seed_demo: bool,
    /// tracing filter, e.g. `info` or `seckiller=debug,info`.
    pub log: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Where to send traces over OTLP/HTTP (protobuf), e.g. `http://127.0.0.1:4318`; unset: no
    /// export, and the port-call spans are not even made.
    pub otlp_endpoint: Option<String>,
    /// Which spans go to the OTLP endpoint (a tracing filter); the request and port-call spans
    /// are at `debug`.
    pub otlp_filter: String,

    // Flow control and connection hygiene. A rate of 0 means no limit.
    /// Purchase-path requests (purchase tokens and purchases) per second this node accepts in
    /// all; over it, 429 `rate_limited`. Off by default: size it to what the node can serve.
    pub rate_limit_node_per_second: u32,
    /// Purchase-path requests per second per sale, for sales without their own limit (set by
    /// `PUT /api/v1/admin/activities/{id}/rate-limit`). Off by default.
    pub rate_limit_sale_per_second: u32,
    /// Purchase-path requests per second per buyer (burst the same). A person's token,
    /// purchase and retries take a handful; the default also leaves room for clients that fire
    /// a few dozen at once, while a script hammering as fast as it can is held to it.
    pub rate_limit_buyer_per_second: u32,
    /// Purchase-path requests per second per client address. Off by default, since a crowd
    /// behind one NAT (or a load test) shares an address.
    pub rate_limit_ip_per_second: u32,
    /// Sign-in and registration attempts per minute per username (burst the same), against
    /// password guessing.
    pub rate_limit_sign_in_per_minute: u32,
    /// Sign-in and registration attempts per minute per client address (burst the same).
    pub rate_limit_sign_in_ip_per_minute: u32,
    /// Most keys (buyers, addresses, names, sales) each rate limit remembers; idle ones are
    /// forgotten every few seconds, and all of them past this cap.
    pub rate_limit_max_keys: usize,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers name the client (e.g. the load
    /// balancer's addresses); from anyone else those headers are ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Most open client connections; more are accepted and closed at once. Lowered at start to
    /// the open-file limit less some headroom.
    pub max_connections: usize,
    /// Most requests served at once; more are answered 503 `overloaded` with `Retry-After` at
    /// once.
    pub max_in_flight_requests: usize,
    /// How long a client has to send a request's head, from connecting or from its first byte
    /// after the previous answer, in milliseconds; slower connections are closed. 0 = no
    /// deadline.
    pub header_read_timeout_millis: u64,
    /// How long a client has to send a request's body once its head arrived, in milliseconds;
    /// slower requests get 408.
    pub body_read_timeout_millis: u64,
    /// A keep-alive connection idle this many seconds between requests is closed (a request
    /// under way, such as a long poll, is not idle). 0 = never.
    pub idle_timeout_seconds: u64,
    /// On SIGTERM: how long the node may take to finish in-flight requests, stop its workers
    /// (the order writer finishing its batch) and close the database, in seconds.
    pub shutdown_grace_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: PublicUrl::default(),
            metrics_listen: None,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            redis_url: None,
            redis_key_prefix: "seckiller:".into(),
            stock_gate: StockGateKind::Auto,
            nats_url: None,
            nats_stream: "SECKILLER".into(),
            preheat_lead_seconds: 300,
            purchase_token_ttl_seconds: 120,
            order_batch_size: 256,
            activity_cache_millis: 1000,
            sweep_interval_millis: 500,
            sweep_batch_size: 500,
            reconcile_interval_millis: 2000,
            reconcile_grace_seconds: 10,
            redis_deadline_millis: 1000,
            nats_deadline_millis: 2000,
            database_deadline_millis: 2500,
            breaker_failure_threshold: 5,
            breaker_open_millis: 1000,
            payment_mode: "approve".into(),
            payment_timeout_millis: 3000,
            payment_latency_millis: 0,
            admin_username: "admin".into(),
            admin_password: None,
            token_secret: None,
            token_key_file: None,
            token_previous_secrets: None,
            token_previous_key_files: None,
            session_ttl_seconds: 15 * 60,
            refresh_ttl_seconds: 30 * 24 * 3600,
            max_body_bytes: 64 * 1024,
            migrate_on_start: true,
            seed_demo: true,
            log: "info".into(),
            log_format: LogFormat::Text,
            otlp_endpoint: None,
            otlp_filter: "info,seckiller=debug,seckiller_interfaces=debug".into(),
            rate_limit_node_per_second: 0,
            rate_limit_sale_per_second: 0,
            rate_limit_buyer_per_second: 100,
            rate_limit_ip_per_second: 0,
            rate_limit_sign_in_per_minute: 20,
            rate_limit_sign_in_ip_per_minute: 600,
            rate_limit_max_keys: 100_000,
            trusted_proxies: Vec::new(),
            max_connections: 50_000,
            max_in_flight_requests: 10_000,
            header_read_timeout_millis: 5_000,
            body_read_timeout_millis: 10_000,
            idle_timeout_seconds: 60,
            shutdown_grace_seconds: 10,
        }
    }
}

/// The configuration could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    ///
    /// # Errors
    /// [`ConfigError`] when the file is unreadable or a value has the wrong type.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("SECKILLER_").ignore(&["CONFIG"]));
        figment.extract().map_err(|e| ConfigError(Box::new(e)))
    }

    /// The database to use: the configured URL, else a SQLite file in the data directory.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("seckiller.db").display()
            ),
        }
    }

    /// When a dependency's breaker opens and for how long.
    pub fn breaker(&self) -> seckiller_resilience::BreakerSettings {
        seckiller_resilience::BreakerSettings {
            failure_threshold: self.breaker_failure_threshold.max(1),
            open_for: std::time::Duration::from_millis(self.breaker_open_millis.max(1)),
        }
    }

    /// True when running on the embedded SQLite default.
    pub fn is_embedded(&self) -> bool {
        self.effective_database_url().starts_with("sqlite:")
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's test jail fixes the closure's error type.
mod tests {
    use super::*;

    #[test]
    fn no_configuration_means_the_embedded_default() {
        figment::Jail::expect_with(|_| {
            let s = Settings::load(None).unwrap();
            assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
            assert!(s.is_embedded());
            assert_eq!(
                s.effective_database_url(),
                "sqlite://./data/seckiller.db?mode=rwc"
            );
            Ok(())
        });
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "s.toml",
                "listen = \"0.0.0.0:9000\"\nadmin_username = \"boss\"\n",
            )?;
            jail.set_env("SECKILLER_LISTEN", "127.0.0.1:0");
            jail.set_env("SECKILLER_DATABASE_URL", "postgres://db/x");
            let s = Settings::load(Some(Path::new("s.toml"))).unwrap();
            assert_eq!(s.listen.to_string(), "127.0.0.1:0");
            assert_eq!(s.admin_username, "boss");
            assert!(!s.is_embedded());
            Ok(())
        });
    }

    #[test]
    fn the_stock_gate_is_chosen_by_name_and_an_unknown_one_is_refused() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(
                Settings::load(None).unwrap().stock_gate,
                StockGateKind::Auto
            );
            jail.set_env("SECKILLER_STOCK_GATE", "database");
            assert_eq!(
                Settings::load(None).unwrap().stock_gate,
                StockGateKind::Database
            );
            jail.set_env("SECKILLER_STOCK_GATE", "zookeeper");
            // Names the setting and what it may be.
            let refused = Settings::load(None).unwrap_err().to_string();
            assert!(
                refused.contains("STOCK_GATE") && refused.contains("`database`"),
                "{refused}"
            );
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_are_a_list_of_addresses() {
        figment::Jail::expect_with(|jail| {
            assert!(Settings::load(None).unwrap().trusted_proxies.is_empty());
            jail.set_env("SECKILLER_TRUSTED_PROXIES", r#"["10.0.0.1", "::1"]"#);
            let proxies = Settings::load(None).unwrap().trusted_proxies;
            assert_eq!(proxies.len(), 2);
            assert_eq!(proxies[0].to_string(), "10.0.0.1");
            jail.set_env("SECKILLER_TRUSTED_PROXIES", r#"["not-an-address"]"#);
            assert!(Settings::load(None).is_err());
            Ok(())
        });
    }

    #[test]
    fn the_public_url_is_relative_by_default_and_checked_when_set() {
        figment::Jail::expect_with(|jail| {
            assert_eq!(Settings::load(None).unwrap().public_url.as_str(), "/");
            jail.set_env("SECKILLER_PUBLIC_URL", "https://shop.example.com/");
            assert_eq!(
                Settings::load(None).unwrap().public_url.as_str(),
                "https://shop.example.com"
            );
            jail.set_env("SECKILLER_PUBLIC_URL", "/seckiller");
            assert_eq!(
                Settings::load(None).unwrap().public_url.as_str(),
                "/seckiller"
            );
            for bad in [
                "shop.example.com",
                "ftp://x",
                "https://",
                "/a b",
                "https://x;y",
            ] {
                jail.set_env("SECKILLER_PUBLIC_URL", bad);
                let refused = Settings::load(None).unwrap_err().to_string();
                assert!(refused.contains("public_url"), "{bad}: {refused}");
            }
            Ok(())
        });
    }

    #[test]
    fn a_wrongly_typed_value_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SECKILLER_SESSION_TTL_SECONDS", "forever");
            assert!(Settings::load(None).is_err());
            Ok(())
        });
    }
}
