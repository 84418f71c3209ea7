use std::sync::Arc;

use termin_storage::Db;
use tokio::sync::Notify;

use crate::config::Config;
use crate::http::buckets::RateLimiter;
use termin_service::guard::{NameLookup, SystemLookup, TargetGuard};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub limiter: Arc<RateLimiter>,
    /// Checks webhook endpoints at creation and at delivery.
    pub webhook_guard: TargetGuard,
    /// Wakes this node's delivery worker after a change that queued deliveries.
    pub webhook_wakeup: Arc<Notify>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        Self::with_lookup(db, config, Arc::new(SystemLookup))
    }

    /// With a resolver of the caller's (tests use one with fixed answers).
    pub fn with_lookup(db: Db, config: Config, lookup: Arc<dyn NameLookup>) -> Self {
        Self {
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            webhook_guard: TargetGuard::new(lookup, config.webhooks.allow_private_networks),
            webhook_wakeup: Arc::new(Notify::new()),
            db,
            config: Arc::new(config),
        }
    }
}
