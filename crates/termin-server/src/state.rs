use std::sync::Arc;

use termin_service::guard::{NameLookup, SystemLookup, TargetGuard};
use termin_service::{Clock, Service};
use termin_storage::Db;
use tokio::sync::Notify;

use crate::config::Config;
use crate::http::buckets::RateLimiter;

/// What every handler and job can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases, with the database, clock and SSRF guard they run against.
    pub service: Service,
    pub config: Arc<Config>,
    /// Buckets per credential, per session and per anonymous client network.
    pub limiter: Arc<RateLimiter>,
    /// Buckets per client network for credentials that did not authenticate.
    pub auth_failures: Arc<RateLimiter>,
    /// Wakes this node's delivery worker after a change that queued deliveries.
    pub webhook_wakeup: Arc<Notify>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        Self::with(db, config, Arc::new(SystemLookup), Clock::system())
    }

    /// With a resolver and a clock of the caller's (tests use fixed answers and a clock they move).
    pub fn with(db: Db, config: Config, lookup: Arc<dyn NameLookup>, clock: Clock) -> Self {
        let guard = TargetGuard::new(lookup, config.webhooks.allow_private_networks);
        Self {
            service: Service::new(db, clock, guard, &config.public_url),
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            auth_failures: Arc::new(RateLimiter::new(config.auth_failure_limit)),
            webhook_wakeup: Arc::new(Notify::new()),
            config: Arc::new(config),
        }
    }
}
