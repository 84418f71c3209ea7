//! Runtime configuration of `termin serve`, filled from flags and `TERMIN_*` variables.

use std::net::{IpAddr, SocketAddr};
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
    /// Requests from one client network whose credential did not authenticate (or that a route
    /// did not read): a budget of its own, so random or padded headers cannot buy fresh
    /// buckets.
    pub auth_failure_limit: RateLimitConfig,
    /// Peers whose `Forwarded` / `X-Forwarded-For` is believed (reverse proxies, load
    /// balancers). From anyone else those headers are ignored: the client is the peer.
    pub trusted_proxies: Vec<Cidr>,
    /// When SQLite's commits are durable: at once (the default) or only against a killed
    /// process (faster; the last commits may be lost on power failure).
    pub durability: termin_storage::Durability,
    /// Caps on open connections, and how long one may wait for its request.
    pub connections: ConnectionLimits,
    /// The public booking pages' bounds.
    pub pages: PageConfig,
    /// Where e-mail goes out.
    pub mail: crate::mail::MailConfig,
    /// The key sealing what termin must read back (calendar feed addresses, calendar passwords, ICS feed URLs), as base64 of 32
    /// bytes (see `termin_service::secrets`). A random one when not configured: fine for tests,
    /// not for a server whose sealed values must outlive it (`serve` loads or makes a key file).
    pub secrets_key: SecretText,
    /// Users' own calendars: how stale their busy time may get, and how long one request to a
    /// calendar server may take.
    pub calendars: CalendarConfig,
    /// The MCP endpoint's `Host` and `Origin` checks.
    pub mcp: McpConfig,
}

/// Which `Host` and `Origin` values `/mcp` accepts (against DNS rebinding and other sites'
/// pages). Empty lists mean the defaults: the public URL's host and the loopback names; the
/// public URL's origin (a request without `Origin`, as assistants send, always passes).
#[derive(Debug, Clone, Default)]
pub struct McpConfig {
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct CalendarConfig {
    /// Each connection is synced at least this often (the staleness bound of busy time).
    pub sync_interval: Duration,
    pub request_timeout: Duration,
    /// The first pause after a failed write into a calendar (doubling, at most an hour).
    pub retry_base: Duration,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        Self {
            sync_interval: Duration::from_secs(60),
            request_timeout: termin_service::CALENDAR_REQUEST_TIMEOUT,
            retry_base: Duration::from_secs(30),
        }
    }
}

/// A secret in configuration: its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(…)")
    }
}

impl std::str::FromStr for SecretText {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Bounds on what the public pages accept.
#[derive(Debug, Clone, Copy)]
pub struct PageConfig {
    /// Bookings per attendee e-mail address and hour, per company.
    pub bookings_per_email_hour: u32,
}

impl Default for PageConfig {
    fn default() -> Self {
        Self {
            bookings_per_email_hour: 5,
        }
    }
}

/// An IP network, `192.0.2.0/24` or `2001:db8::/32`; a bare address is a network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        use termin_domain::special_addresses::{in_v4, in_v6};
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => in_v4(a, n, self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => in_v6(a, n, self.prefix),
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or network"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?} has a prefix length that is not 0 to {max}"))?,
        };
        Ok(Self { network, prefix })
    }
}

/// How many connections may be open, and how long one may wait for its request (enforced by
/// `connections.rs`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub max_total: usize,
    pub max_per_client: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_total: 4096,
            max_per_client: 256,
            header_read_timeout: Duration::from_secs(10),
            // Longer than common clients keep an idle connection (reqwest 90 s, browsers 60 to
            // 115 s), so that they, not the server, close it: a request sent just as the
            // server closed would fail.
            idle_timeout: Duration::from_secs(120),
        }
    }
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
            auth_failure_limit: RateLimitConfig {
                per_minute: 20,
                burst: 20,
            },
            trusted_proxies: Vec::new(),
            durability: termin_storage::Durability::Full,
            connections: ConnectionLimits::default(),
            pages: PageConfig::default(),
            mail: crate::mail::MailConfig::default(),
            secrets_key: SecretText::new(termin_service::secrets::key_to_base64(
                &termin_service::secrets::generate_key(),
            )),
            calendars: CalendarConfig::default(),
            mcp: McpConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_their_addresses() {
        let lan: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(lan.contains("10.1.200.3".parse().unwrap()));
        assert!(lan.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(!lan.contains("10.2.0.1".parse().unwrap()));
        let one: Cidr = "2001:db8::7".parse().unwrap();
        assert!(one.contains("2001:db8::7".parse().unwrap()));
        assert!(!one.contains("2001:db8::8".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy.local".parse::<Cidr>().is_err());
    }
}
