//! Background work every `termin serve` runs beside the HTTP server.

pub mod calendars;
pub mod mail;
pub mod webhooks;
