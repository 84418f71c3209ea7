//! termin's use cases. The HTTP API, the CLI and (later) the pages and MCP tools are thin
//! adapters over these functions, so each business rule exists once. Nothing here knows HTTP:
//! a use case answers a value or a [`ServiceError`] with a meaning, and each door maps that once.

pub mod account_links;
pub mod appointments;
pub mod authenticate;
pub mod availability;
pub mod booking;
pub mod busy_cache;
pub mod calendar_connections;
pub mod calendar_feed;
pub mod calendar_writes;
pub mod clock;
pub mod companies;
pub mod contacts;
pub mod credentials;
pub mod deliveries;
pub mod error;
pub mod events;
pub mod gdpr;
pub mod guard;
pub mod mail;
pub mod meeting_types;
pub mod oauth;
pub mod one_time_links;
pub mod passwords;
pub mod personal_pages;
pub mod public;
pub mod quick_mail;
pub mod secrets;
pub mod sessions;
pub mod users;
pub mod webhooks;
pub mod wire_time;

pub use error::{FieldError, ServiceError, ServiceResult, Validator, SLOT_TAKEN};

use std::sync::Arc;

use termin_storage::Db;

pub use clock::{Clock, ManualClock};
/// Storage records the use cases answer with, for the doors to read.
pub use termin_storage::users::UserRecord;
/// A pooled database connection a read-only door may keep (see `booking::bookable_times`).
pub use termin_storage::PooledConnection;

/// What every use case runs against: the database, the clock, the SSRF guard for outgoing
/// requests, and where people reach this server. Cheap to clone; every door holds one.
/// How long one request to a calendar server may take, unless configured.
pub const CALENDAR_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

#[derive(Clone)]
pub struct Service {
    pub db: Db,
    pub clock: Clock,
    pub guard: guard::TargetGuard,
    /// The public base URL (booking links).
    pub public_url: Arc<str>,
    /// Hosts' busy time kept for bookable times (see [`busy_cache`]).
    pub busy: Arc<busy_cache::BusyCache>,
    /// Seals what must be read back (see [`secrets`]).
    pub secrets: Arc<secrets::SecretBox>,
    /// How users' own calendars are reached and kept (see [`calendar_connections`]).
    pub calendars: calendar_connections::CalendarSettings,
}

impl Service {
    pub fn new(
        db: Db,
        clock: Clock,
        guard: guard::TargetGuard,
        public_url: &str,
        secrets: secrets::SecretBox,
    ) -> Self {
        Self {
            db,
            clock,
            guard: guard.clone(),
            public_url: public_url.trim_end_matches('/').into(),
            busy: Arc::default(),
            secrets: Arc::new(secrets),
            calendars: calendar_connections::CalendarSettings {
                client: termin_calendar::http::Client::new(
                    Arc::new(guard),
                    CALENDAR_REQUEST_TIMEOUT,
                ),
                sync_every: std::time::Duration::from_secs(60),
                retry_base: std::time::Duration::from_secs(30),
            },
        }
    }

    /// This service with another staleness bound for calendar busy time, request timeout and
    /// first retry pause of calendar writes.
    pub fn with_calendar_sync(
        mut self,
        every: std::time::Duration,
        timeout: std::time::Duration,
        retry_base: std::time::Duration,
    ) -> Self {
        self.calendars = calendar_connections::CalendarSettings {
            client: termin_calendar::http::Client::new(Arc::new(self.guard.clone()), timeout),
            sync_every: every,
            retry_base,
        };
        self
    }

    /// This service with the server's secrets key.
    pub fn with_secrets(mut self, secrets: secrets::SecretBox) -> Self {
        self.secrets = Arc::new(secrets);
        self
    }

    /// Whether the database answers, and which kind it is (`/health`).
    pub async fn database_health(&self) -> (bool, &'static str) {
        (self.db.ping().await.is_ok(), self.db.backend().name())
    }

    /// The current time (see [`Clock::now`]).
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }
}
