//! Logs: human-readable by default, JSON with `TERMIN_LOG_FORMAT=json`. Request logs carry the
//! route template (`/v4/user/{id}`), never the concrete path, query, headers or body, so no
//! secret or personal data can reach a log line through them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
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

/// Gives every request an id (the client's `x-request-id`, or a new one) that its answer and
/// its log line carry, and logs it when request logging is on.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let id = match request.headers().get(X_REQUEST_ID) {
        Some(id) => id.clone(),
        None => new_request_id(),
    };
    // Nothing is copied for a log line nobody reads.
    let logged = tracing::enabled!(target: "termin::request", tracing::Level::INFO).then(|| {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "(unmatched)".to_owned());
        (Instant::now(), request.method().clone(), route)
    });
    let mut response = next.run(request).await;
    if let Some((started, method, route)) = logged {
        tracing::info!(
            target: "termin::request",
            %method,
            route,
            request_id = id.to_str().unwrap_or(""),
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
    }
    response.headers_mut().insert(X_REQUEST_ID, id);
    response
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// This process's random prefix and a counter, e.g. `9f86d081884c7d65-1a`: unique across nodes
/// and restarts for all practical purposes, and cheaper than a random UUID per request (a
/// system call for the randomness, and its formatting).
fn new_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("{prefix:016x}-{n:x}")).expect("hex digits and a dash")
}
