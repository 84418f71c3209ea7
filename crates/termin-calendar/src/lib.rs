//! termin's calendar protocols, apart from everything else termin does.
//!
//! - [`busy`] reads the busy time out of iCalendar data: single and recurring events (RRULE,
//!   RDATE, EXDATE, RECURRENCE-ID overrides), zones by name or by their VTIMEZONE, floating and
//!   all-day events in the host's zone, and the events that do not make anyone busy
//!   (transparent, cancelled, declined by the host, or written by termin itself).
//! - [`caldav`] is a small CalDAV client (RFC 4791): discovery, listing calendars with their
//!   change tags, reading events in a window, and writing or removing one event.
//! - [`http`] is what both share: a size cap on every answer, redirects followed by hand so each
//!   hop can be checked, and errors that say which part failed.

pub mod busy;
pub mod caldav;
pub mod http;
mod zones;

pub use busy::{busy_spans, BusyOptions, BusySpan};
