//! Webhooks: event types, Standard Webhooks signing and verification, the retry schedule, and
//! the address classifier that keeps deliveries away from internal networks.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

crate::tenancy::wire_enum!(
    /// What happened.
    EventType {
        BookingCreated = "booking_created",
        BookingCancelled = "booking_cancelled",
        BookingRescheduled = "booking_rescheduled",
        NewEmployee = "new_employee",
        // Accepted and stored, as meetergo documents them; termin has no forms, reviews or
        // signatures, and connects no external credentials, so these never fire (docs/webhooks.md).
        FormSubmission = "form_submission",
        CredentialError = "credential_error",
        ReviewSubmitted = "review_submitted",
        ReviewPublished = "review_published",
        SignatureCompleted = "signature_completed",
    }
);

/// Prefix of a signing secret, as in the Standard Webhooks scheme.
pub const SECRET_PREFIX: &str = "whsec_";

/// A webhook's signing secret: `whsec_` + base64 of 32 random bytes. The bytes are the HMAC key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(Vec<u8>);

impl SigningSecret {
    pub fn generate() -> Self {
        let mut key = vec![0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source failed");
        Self(key)
    }

    pub fn parse(s: &str) -> Result<Self, VerifyError> {
        let b64 = s.strip_prefix(SECRET_PREFIX).unwrap_or(s);
        let key = BASE64.decode(b64).map_err(|_| VerifyError::BadSecret)?;
        if key.is_empty() {
            return Err(VerifyError::BadSecret);
        }
        Ok(Self(key))
    }

    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.0))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    /// The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            BASE64.encode(self.mac(id, timestamp, body).finalize().into_bytes())
        )
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(…)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signing secret is not valid")]
    BadSecret,
    #[error("the webhook-timestamp header is missing or not a number")]
    BadTimestamp,
    #[error("the delivery is too old or from the future")]
    StaleTimestamp,
    #[error("no signature matches")]
    NoMatch,
}

/// Verifies a delivery as a receiver should: the timestamp lies within `tolerance` of `now`
/// (refusing replays of old deliveries), and one of the space-separated `v1,` signatures
/// matches (compared in constant time). Returns the verified body's id on success.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_unix: i64,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let secret = SigningSecret::parse(secret)?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    if (now_unix - ts).unsigned_abs() > tolerance.as_secs() {
        return Err(VerifyError::StaleTimestamp);
    }
    for sig in signatures.split(' ') {
        let Some(b64) = sig.strip_prefix("v1,") else {
            continue;
        };
        let Ok(bytes) = BASE64.decode(b64) else {
            continue;
        };
        if secret.mac(id, ts, body).verify_slice(&bytes).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

pub use crate::special_addresses::is_internal_address;

/// The default delays between delivery attempts: 7 retries over about 24 hours.
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(8 * 3600),
];

/// The delay before retry number `retry` (0-based), scaled by `scale` and spread by up to ±20%
/// jitter (`unit` in [0, 1) chooses where), so that receivers coming back up are not hit by every
/// retry at once. `None` once the schedule is exhausted: the delivery has failed for good.
pub fn retry_delay(retry: usize, scale: f64, unit: f64) -> Option<Duration> {
    let base = RETRY_SCHEDULE.get(retry)?.as_secs_f64() * scale;
    let jitter = 0.8 + 0.4 * unit.clamp(0.0, 1.0);
    Some(Duration::from_secs_f64(base * jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let secret = SigningSecret::generate();
        let exposed = secret.expose();
        assert!(exposed.starts_with("whsec_"));
        let body = br#"{"webhookType":"booking_created"}"#;
        let sig = secret.sign("msg_1", 1_700_000_000, body);
        assert!(sig.starts_with("v1,"));
        let tolerance = Duration::from_secs(300);
        assert_eq!(
            verify(
                &exposed,
                "msg_1",
                "1700000000",
                &sig,
                body,
                1_700_000_010,
                tolerance
            ),
            Ok(())
        );
        // Several signatures (during rotation) are space separated; any match counts.
        let both = format!("v1,AAAA {sig}");
        assert_eq!(
            verify(
                &exposed,
                "msg_1",
                "1700000000",
                &both,
                body,
                1_700_000_010,
                tolerance
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                &exposed,
                "msg_1",
                "1700000000",
                &sig,
                b"{}",
                1_700_000_010,
                tolerance
            ),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(
                &exposed,
                "msg_2",
                "1700000000",
                &sig,
                body,
                1_700_000_010,
                tolerance
            ),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(
                &exposed,
                "msg_1",
                "1700000000",
                &sig,
                body,
                1_700_000_000 + 301,
                tolerance
            ),
            Err(VerifyError::StaleTimestamp)
        );
        assert_eq!(
            verify(
                &exposed,
                "msg_1",
                "soon",
                &sig,
                body,
                1_700_000_000,
                tolerance
            ),
            Err(VerifyError::BadTimestamp)
        );
        let other = SigningSecret::generate().expose();
        assert_eq!(
            verify(
                &other,
                "msg_1",
                "1700000000",
                &sig,
                body,
                1_700_000_010,
                tolerance
            ),
            Err(VerifyError::NoMatch)
        );
    }

    #[test]
    fn a_known_vector_matches_the_standard_webhooks_scheme() {
        // The Standard Webhooks specification's example secret and message.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn retries_back_off_for_about_a_day_then_stop() {
        let total: f64 = (0..7)
            .map(|i| retry_delay(i, 1.0, 0.5).unwrap().as_secs_f64())
            .sum();
        assert!((20.0 * 3600.0..28.0 * 3600.0).contains(&total), "{total}");
        assert!(retry_delay(7, 1.0, 0.5).is_none());
        let low = retry_delay(3, 1.0, 0.0).unwrap();
        let high = retry_delay(3, 1.0, 0.999).unwrap();
        assert!(low < high && low.as_secs() >= 5760 && high.as_secs() <= 8640);
        // Every retry waits longer than the one before.
        let delays: Vec<_> = (0..7).map(|i| retry_delay(i, 1.0, 0.5).unwrap()).collect();
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
    }
}
