use std::sync::Arc;

use termin_storage::Db;

use crate::config::Config;
use crate::rate_limit::RateLimiter;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub limiter: Arc<RateLimiter>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        Self {
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            db,
            config: Arc::new(config),
        }
    }
}
