//! Use cases. REST handlers, the CLI and (later) MCP tools are thin adapters over these
//! functions, so each business rule exists once.

pub mod appointments;
pub mod authenticate;
pub mod availability;
pub mod booking;
pub mod companies;
pub mod credentials;
pub mod meeting_types;
pub mod passwords;
pub mod sessions;
pub mod users;

use jiff::Timestamp;

/// The current time. One function, so every use case reads the clock the same way.
pub fn now() -> Timestamp {
    Timestamp::now()
}
