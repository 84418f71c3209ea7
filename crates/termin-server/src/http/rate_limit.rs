//! Per-credential rate limiting: a token bucket per credential (or per session, or per client
//! IP for requests without either), refilled at `per_minute` and holding at most `burst`.
//!
//! Buckets live in this process. With several nodes behind a load balancer each node enforces
//! the limit on the traffic it sees; see docs/rate-limits.md for why that is the trade made.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::RateLimitConfig;
use crate::http::auth::session_cookie;
use crate::http::error::ApiError;
use crate::state::AppState;

const SHARDS: usize = 16;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

pub struct RateLimiter {
    config: RateLimitConfig,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<u64, Bucket>>>,
}

/// The outcome of one request against its bucket.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds until one more request is allowed (when refused).
    pub retry_after_secs: u64,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Takes one token from the bucket of `key` (the raw credential is hashed with a
    /// per-process random key; it is never kept).
    pub fn check(&self, key: &[u8], now: Instant) -> Decision {
        let per_sec = f64::from(self.config.per_minute.max(1)) / 60.0;
        let burst = f64::from(self.config.burst.max(1));
        let hash = self.hasher.hash_one(key);
        let mut shard = self.shards[(hash as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if shard.len() > 50_000 {
            // Forget buckets that have refilled completely: they hold no information.
            shard.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_sec < burst
            });
        }
        let bucket = shard.entry(hash).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_sec).min(burst);
        bucket.updated = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        Decision {
            allowed,
            remaining: bucket.tokens.floor() as u32,
            reset_secs: ((burst - bucket.tokens) / per_sec).ceil() as u64,
            retry_after_secs: ((1.0 - bucket.tokens).max(0.0) / per_sec).ceil().max(1.0) as u64,
        }
    }

    pub fn limit(&self) -> u32 {
        self.config.burst
    }
}

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn bursts_then_refills_at_the_sustained_rate() {
        let limiter = RateLimiter::new(RateLimitConfig {
            per_minute: 60,
            burst: 3,
        });
        let t0 = Instant::now();
        let allowed: Vec<bool> = (0..4).map(|_| limiter.check(b"k", t0).allowed).collect();
        assert_eq!(allowed, [true, true, true, false]);
        let refused = limiter.check(b"k", t0);
        assert_eq!(refused.retry_after_secs, 1);
        // Another credential has its own bucket.
        assert!(limiter.check(b"other", t0).allowed);
        // One second later, exactly one more request fits (60 per minute).
        let t1 = t0 + Duration::from_secs(1);
        assert!(limiter.check(b"k", t1).allowed);
        assert!(!limiter.check(b"k", t1).allowed);
        // After a long pause the bucket is full again, never fuller.
        let t2 = t1 + Duration::from_secs(600);
        let d = limiter.check(b"k", t2);
        assert!(d.allowed);
        assert_eq!(d.remaining, 2);
    }
}
