//! termin's use cases. The HTTP API, the CLI and (later) the pages and MCP tools are thin
//! adapters over these functions, so each business rule exists once. Nothing here knows HTTP:
//! a use case answers a value or a [`ServiceError`] with a meaning, and each door maps that once.

pub mod appointments;
pub mod authenticate;
pub mod availability;
pub mod booking;
pub mod companies;
pub mod contacts;
pub mod credentials;
pub mod error;
pub mod events;
pub mod guard;
pub mod meeting_types;
pub mod passwords;
pub mod sessions;
pub mod users;
pub mod webhooks;
pub mod wire_time;

pub use error::{FieldError, ServiceError, ServiceResult, Validator, SLOT_TAKEN};

use jiff::Timestamp;

/// The current time. One function, so every use case reads the clock the same way.
/// Milliseconds are what the database keeps, so the clock is read at that precision: what an API
/// answer shows right after a write equals what a later read shows.
pub fn now() -> Timestamp {
    Timestamp::from_millisecond(Timestamp::now().as_millisecond())
        .unwrap_or_else(|_| Timestamp::now())
}
