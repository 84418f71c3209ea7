//! Logs: human-readable by default, JSON with `TERMIN_LOG_FORMAT=json`. Request logs carry the
//! route template (`/v4/user/{id}`), never the concrete path, query, headers or body, so no
//! secret or personal data can reach a log line through them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = std::env::var("TERMIN_LOG_FORMAT").is_ok_and(|f| f == "json");
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Logs each request (when request logging is on) with its id, which tower-http's
/// `SetRequestId` gave it before routing (see `app.rs`).
pub async fn log_requests(request: Request, next: Next) -> Response {
    // Nothing is copied for a log line nobody reads.
    let logged = tracing::enabled!(target: "termin::request", tracing::Level::INFO).then(|| {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "(unmatched)".to_owned());
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (Instant::now(), request.method().clone(), route, id)
    });
    let response = next.run(request).await;
    if let Some((started, method, route, request_id)) = logged {
        tracing::info!(
            target: "termin::request",
            %method,
            route,
            request_id,
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    }
    response
}

/// Request ids: this process's random prefix and a counter, e.g. `9f86d081884c7d65-1a`. Unique
/// across nodes and restarts for all practical purposes, and cheaper than tower-http's
/// `MakeRequestUuid` (a system call for each id's randomness, and its formatting).
#[derive(Clone, Copy, Default)]
pub struct RequestIds;

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        static PREFIX: OnceLock<u64> = OnceLock::new();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{prefix:016x}-{n:x}"))
            .ok()
            .map(RequestId::new)
    }
}
