//! The mail sender. Every `termin serve` runs one; on PostgreSQL several nodes share the outbox,
//! each claiming different messages (`FOR UPDATE SKIP LOCKED` plus a lease), so each message is
//! handed to the SMTP server once while it answers. A node that dies after the SMTP server took
//! a message but before recording it leaves a lease that runs out, and the message goes again
//! with the same `Message-ID`.
//!
//! Without `--smtp-url` nothing is sent: due messages are kept as "not sent: no SMTP
//! configured", for `termin mail show` to print.

use std::hash::{BuildHasher, RandomState};
use std::time::Instant;

use jiff::SignedDuration;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use termin_service::mail::{self, Claimed, Outcome};
use termin_service::ServiceResult;
use tokio::sync::watch;

use crate::state::AppState;

/// Why a message was kept and not sent.
pub const NO_SMTP: &str = "not sent: no SMTP configured";

/// How long a claimed message stays this node's: longer than an SMTP conversation may take.
fn lease(state: &AppState) -> SignedDuration {
    SignedDuration::try_from(state.config.mail.timeout * 2).unwrap_or(SignedDuration::from_mins(1))
        + SignedDuration::from_secs(5)
}

pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let transport = match crate::mail::transport(&state.config.mail) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "--smtp-url is unusable; mail is kept, not sent");
            None
        }
    };
    loop {
        if let Err(e) = send_due(&state, transport.as_ref()).await {
            tracing::warn!(error = %e, "mail pass failed");
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(state.config.webhooks.poll_interval) => {}
            _ = state.mail_wakeup.notified() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Sends (or, without SMTP, keeps) every due message, and returns how many it handled.
pub async fn send_due(
    state: &AppState,
    transport: Option<&AsyncSmtpTransport<Tokio1Executor>>,
) -> ServiceResult<usize> {
    let mut total = 0;
    loop {
        // One message per claim: its lease covers its own send (bounded by the SMTP timeout),
        // never a queue of others' behind it.
        let batch = mail::claim_due(&state.service, lease(state), 1).await?;
        if batch.is_empty() {
            return Ok(total);
        }
        total += batch.len();
        for claimed in batch {
            let outcome = match transport {
                None => Outcome::Stop("unsent", NO_SMTP.into()),
                Some(t) => send_one(state, t, &claimed).await,
            };
            if !mail::record(&state.service, &claimed, &outcome).await? {
                tracing::warn!(mail = %claimed.record.id, "a mail's claim ran out while it was sent");
            }
        }
    }
}

/// A reminder claimed once its meeting has begun (the senders were down) is not sent.
fn reminder_too_late(c: &Claimed, now: jiff::Timestamp) -> Option<Outcome> {
    if c.record.kind != mail::MailKind::Reminder.as_str() {
        return None;
    }
    let payload: mail::MailPayload = serde_json::from_str(&c.record.payload).ok()?;
    let meeting = payload.meeting?;
    (meeting.start <= now).then(|| Outcome::Stop("cancelled", "the meeting had begun".into()))
}

async fn send_one(
    state: &AppState,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    c: &Claimed,
) -> Outcome {
    let host = reqwest::Url::parse(&state.config.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "termin.localhost".into());
    if let Some(begun) = reminder_too_late(c, state.service.now()) {
        return begun;
    }
    let message = crate::mail::render(&c.record)
        .and_then(|r| crate::mail::message(&c.record, &r, &state.config.mail, &host));
    let message = match message {
        Ok(m) => m,
        Err(e) => return Outcome::Stop("failed", format!("could not be written: {e}")),
    };
    // lettre bounds connecting by the timeout, not a server that stalls afterwards.
    let sent = tokio::time::timeout(state.config.mail.timeout, transport.send(message)).await;
    let unit = RandomState::new().hash_one(Instant::now()) as f64 / u64::MAX as f64;
    let sent = match sent {
        Ok(sent) => sent,
        Err(_) => {
            return mail::after_failure(
                c,
                "the SMTP server did not answer in time".into(),
                false,
                state.config.mail.retry_scale,
                unit,
                state.service.now(),
            )
        }
    };
    match sent {
        Ok(_) => Outcome::Sent,
        Err(e) => {
            tracing::info!(mail = %c.record.id, error = %e, "sending a mail failed");
            mail::after_failure(
                c,
                e.to_string(),
                e.is_permanent(),
                state.config.mail.retry_scale,
                unit,
                state.service.now(),
            )
        }
    }
}
