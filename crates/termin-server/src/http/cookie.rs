//! The dashboard's session cookie: its name, and reading it from a request. Both the caller
//! extractors and the rate limiter look for it.

use axum::http::{header, HeaderMap};

pub const SESSION_COOKIE: &str = "termin_session";

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}
