//! Runtime configuration of `termin serve`, filled from flags and `TERMIN_*` variables.

use std::net::SocketAddr;
use std::time::Duration;

/// The default database: an SQLite file in the working directory, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://termin.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// Where people reach this server; used to build booking URLs. Empty means
    /// `http://` + the address the server bound.
    pub public_url: String,
    pub rate_limit: RateLimitConfig,
    /// Mark the session cookie `Secure`. Browsers accept secure cookies on http://localhost, so
    /// this stays on unless a deployment is served over plain HTTP on another host.
    pub secure_cookies: bool,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
    pub webhooks: WebhookConfig,
    /// The longest a request may take from its headers to its answer; then it is answered 408
    /// (the work it started still runs to completion).
    pub request_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Allow endpoints on loopback, private and link-local networks (tests, LAN receivers).
    pub allow_private_networks: bool,
    /// How often each node looks for due deliveries (a node also looks at once after its own
    /// changes).
    pub poll_interval: Duration,
    /// Multiplies the retry schedule (1.0 = about a day); tests shrink it.
    pub retry_scale: f64,
    pub timeout: Duration,
    /// A webhook whose deliveries fail for good this many times in a row is disabled.
    pub disable_after_failed_deliveries: i64,
    /// Deliveries sent at once by one node.
    pub concurrency: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private_networks: false,
            poll_interval: Duration::from_secs(1),
            retry_scale: 1.0,
            timeout: Duration::from_secs(30),
            disable_after_failed_deliveries: 5,
            concurrency: 32,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimitConfig {
    /// Sustained requests per minute per credential (or per client IP without one).
    pub per_minute: u32,
    /// How many requests may arrive at once before the sustained rate applies.
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_minute: 100,
            burst: 200,
        }
    }
}

impl Config {
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Self {
        Self {
            listen,
            database_url: database_url.into(),
            public_url: String::new(),
            rate_limit: RateLimitConfig::default(),
            secure_cookies: true,
            session_idle_timeout: Duration::from_secs(2 * 3600),
            session_absolute_timeout: Duration::from_secs(7 * 24 * 3600),
            webhooks: WebhookConfig::default(),
            request_timeout: Duration::from_secs(60),
        }
    }
}
