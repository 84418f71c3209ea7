//! Users' own calendars, kept in step on every node: a sync loop that reads each connection
//! when it is due (claimed by one node at a time), and a writer that brings bookings into the
//! hosts' calendars from the outbox (see `termin_service::calendar_writes`).

use jiff::SignedDuration;
use termin_service::{calendar_connections, calendar_writes};
use tokio::sync::watch;

use crate::state::AppState;

/// How many connections one pass claims.
const SYNC_BATCH: i64 = 8;
const WRITE_BATCH: i64 = 16;

/// A claim lasts long enough for every request of a sync or write to time out.
fn lease(state: &AppState) -> SignedDuration {
    let timeout = SignedDuration::try_from(state.config.calendars.request_timeout)
        .unwrap_or(SignedDuration::from_secs(20));
    timeout * 4 + SignedDuration::from_secs(5)
}

/// Syncs due connections until `stop` turns true.
pub async fn sync_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = state
        .config
        .calendars
        .sync_interval
        .min(std::time::Duration::from_secs(5));
    loop {
        loop {
            match calendar_connections::sync_due(&state.service, lease(&state), SYNC_BATCH).await {
                Ok(n) if n as i64 == SYNC_BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "calendar sync pass failed");
                    break;
                }
            }
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(every) => {}
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Writes due bookings into calendars until `stop` turns true.
pub async fn write_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = calendar_writes::write_due(&state.service, lease(&state), WRITE_BATCH).await
        {
            tracing::warn!(error = %e, "calendar write pass failed");
        }
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(state.config.webhooks.poll_interval) => {}
            _ = state.calendar_wakeup.notified() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
}
