//! Per-credential rate limiting: a token bucket per credential (or per session, or per client
//! IP for requests without either), refilled at `per_minute` and holding at most `burst`.
//!
//! The buckets (`buckets.rs`) live in this process. With several nodes behind a load balancer
//! each node enforces the limit on the traffic it sees; the rate-limit decision in
//! docs/decisions.md says why that is the trade made.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::auth::session_cookie;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Middleware: refuses over-limit requests with 429 and labels every response with
/// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Health checks come from load balancers and monitors, not from API clients.
    if request.uri().path() == "/health" {
        return next.run(request).await;
    }
    let headers = request.headers();
    let key: Vec<u8> = if let Some(auth) = headers.get(header::AUTHORIZATION) {
        [b"auth:".as_slice(), auth.as_bytes()].concat()
    } else if let Some(cookie) = session_cookie(headers) {
        [b"session:".as_slice(), cookie.as_bytes()].concat()
    } else {
        let ip = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip().to_string())
            .unwrap_or_default();
        format!("ip:{ip}").into_bytes()
    };
    let decision = state.limiter.check(&key, Instant::now());
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        ApiError::too_many_requests(decision.retry_after_secs).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        HeaderName::from_static("ratelimit-limit"),
        HeaderValue::from(state.limiter.limit()),
    );
    h.insert(
        HeaderName::from_static("ratelimit-remaining"),
        HeaderValue::from(decision.remaining),
    );
    h.insert(
        HeaderName::from_static("ratelimit-reset"),
        HeaderValue::from(decision.reset_secs),
    );
    response
}
