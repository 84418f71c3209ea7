//! The webhook outbox's delivery rules: which deliveries are due, and what an attempt's outcome
//! means (success, a retry on the schedule, giving up, disabling a webhook that keeps failing).
//! The server's delivery job does only the sending.

use jiff::{SignedDuration, Timestamp};
use termin_domain::webhook::retry_delay;
use termin_storage::webhooks::{self, AttemptOutcome};

pub use termin_storage::webhooks::ClaimedDelivery;

use crate::error::ServiceResult;
use crate::Service;

/// How deliveries are retried and when a webhook is given up on.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPolicy {
    /// Multiplies the retry schedule (1.0 = about a day).
    pub retry_scale: f64,
    /// A webhook whose deliveries fail for good this many times in a row is disabled.
    pub disable_after_failed_deliveries: i64,
}

/// Claims up to `limit` due deliveries for this node until `lease` from now runs out (another
/// node retries a delivery whose lease ran out: delivery is at least once).
pub async fn claim_due(
    svc: &Service,
    lease: SignedDuration,
    limit: i64,
) -> ServiceResult<Vec<ClaimedDelivery>> {
    let at = svc.now();
    let mut tx = svc.db.begin_write().await?;
    let claimed = webhooks::claim_due(&mut tx, svc.db.backend(), at, at + lease, limit).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Ends a delivery whose webhook was disabled or deleted after it was queued.
pub async fn abandon(svc: &Service, d: &ClaimedDelivery) -> ServiceResult<()> {
    let mut tx = svc.db.begin_write().await?;
    webhooks::abandon(&mut tx, d.id, "webhook disabled or deleted", svc.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// What one attempt to send a delivery came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub started_at: Timestamp,
    /// The endpoint's status code, or why there was none.
    pub result: Result<u16, String>,
    pub duration_ms: i64,
}

/// Records an attempt: a 2xx ends the delivery; anything else schedules the next attempt, or
/// gives up after the last one and disables the webhook when its deliveries keep failing.
/// `jitter` in `[0, 1)` spreads retries of deliveries that failed together.
pub async fn record_attempt(
    svc: &Service,
    d: &ClaimedDelivery,
    attempt: Attempt,
    policy: DeliveryPolicy,
    jitter: f64,
) -> ServiceResult<()> {
    let succeeded = matches!(attempt.result, Ok(code) if (200..300).contains(&code));
    let retry_at = if succeeded {
        None
    } else {
        retry_delay(d.attempts as usize, policy.retry_scale, jitter)
            .and_then(|delay| SignedDuration::try_from(delay).ok())
            .map(|delay| svc.now() + delay)
    };
    let outcome = AttemptOutcome {
        at: attempt.started_at,
        status_code: attempt.result.as_ref().ok().copied(),
        error: match &attempt.result {
            Ok(code) if !succeeded => Some(format!("endpoint answered {code}")),
            Ok(_) => None,
            Err(e) => Some(e.clone()),
        },
        duration_ms: attempt.duration_ms,
        succeeded,
        retry_at,
    };
    let mut tx = svc.db.begin_write().await?;
    let failures = webhooks::record_attempt(&mut tx, d, &outcome).await?;
    let gave_up = !succeeded && retry_at.is_none();
    if gave_up && failures >= policy.disable_after_failed_deliveries {
        let reason = format!(
            "disabled after {failures} deliveries in a row failed every attempt; last error: {}",
            outcome.error.as_deref().unwrap_or("unknown")
        );
        webhooks::disable(&mut tx, d.webhook_id, &reason, svc.now()).await?;
        tracing::warn!(webhook = %d.webhook_id, "{reason}");
    }
    tx.commit().await?;
    Ok(())
}
