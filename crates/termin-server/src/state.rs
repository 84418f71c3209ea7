use std::sync::Arc;

use termin_service::guard::{NameLookup, SystemLookup, TargetGuard};
use termin_service::{Clock, Service};
use termin_storage::Db;
use tokio::sync::Notify;

use crate::config::Config;
use crate::http::buckets::RateLimiter;

/// What every handler and job can reach. Cloned for every middleware and extractor of every
/// request, so it is one shared allocation: a clone is one atomic count, not one per field
/// (the counts are shared between the runtime's threads, and each is a contended cache line).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    /// The use cases, with the database, clock and SSRF guard they run against.
    pub service: Service,
    pub config: Arc<Config>,
    /// Buckets per credential, per session and per anonymous client network.
    pub limiter: Arc<RateLimiter>,
    /// Buckets per client network for credentials that did not authenticate.
    pub auth_failures: Arc<RateLimiter>,
    /// Wakes this node's delivery worker after a change that queued deliveries.
    pub webhook_wakeup: Arc<Notify>,
    /// Wakes this node's mail sender after a change that wrote mail.
    pub mail_wakeup: Arc<Notify>,
    /// Wakes this node's calendar writer after a change that may have queued a write.
    pub calendar_wakeup: Arc<Notify>,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        Self::with(db, config, Arc::new(SystemLookup), Clock::system())
    }

    /// With a resolver and a clock of the caller's (tests use fixed answers and a clock they move).
    pub fn with(db: Db, config: Config, lookup: Arc<dyn NameLookup>, clock: Clock) -> Self {
        let guard = TargetGuard::new(lookup, config.webhooks.allow_private_networks);
        Self(Arc::new(Shared {
            service: Service::new(
                db,
                clock,
                guard,
                &config.public_url,
                termin_service::secrets::SecretBox::from_base64(config.secrets_key.expose())
                    .expect("the secrets key was checked when the configuration was read"),
            )
            .with_calendar_sync(
                config.calendars.sync_interval,
                config.calendars.request_timeout,
                config.calendars.retry_base,
            ),
            limiter: Arc::new(RateLimiter::new(config.rate_limit)),
            auth_failures: Arc::new(RateLimiter::new(config.auth_failure_limit)),
            webhook_wakeup: Arc::new(Notify::new()),
            mail_wakeup: Arc::new(Notify::new()),
            calendar_wakeup: Arc::new(Notify::new()),
            config: Arc::new(config),
        }))
    }
}

impl AppState {
    /// Wakes this node's outbox workers after a change that may have queued work for them.
    pub fn wake_workers(&self) {
        self.webhook_wakeup.notify_one();
        self.mail_wakeup.notify_one();
        self.calendar_wakeup.notify_one();
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
