//! Token buckets: one per key (a credential, a session, a client address), refilled at
//! `per_minute` and holding at most `burst`. They live in this process; see the rate-limit
//! decision in docs/decisions.md for why.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::Instant;

use crate::config::RateLimitConfig;

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

    /// Whether the bucket of `key` holds a token now, taking none.
    pub fn has_room(&self, key: &[u8], now: Instant) -> bool {
        let per_sec = f64::from(self.config.per_minute.max(1)) / 60.0;
        let hash = self.hasher.hash_one(key);
        let shard = self.shards[(hash as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        shard
            .get(&hash)
            .is_none_or(|b| b.tokens + now.duration_since(b.updated).as_secs_f64() * per_sec >= 1.0)
    }

    pub fn limit(&self) -> u32 {
        self.config.burst
    }
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
        // Looking does not take.
        assert!(!limiter.has_room(b"k", t1));
        assert!(limiter.has_room(b"other", t1));
        assert!(limiter.has_room(b"k", t1 + Duration::from_secs(1)));
        // After a long pause the bucket is full again, never fuller.
        let t2 = t1 + Duration::from_secs(600);
        let d = limiter.check(b"k", t2);
        assert!(d.allowed);
        assert_eq!(d.remaining, 2);
    }
}
