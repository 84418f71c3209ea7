//! Users' own calendars, kept in step on every node: a sync loop that reads each connection
//! when it is due, and a writer that brings bookings into the hosts' calendars from the outbox
//! (see `termin_service::calendar_writes`).
//!
//! Each worker claims one item at a time (a connection, or a write), so that a claim never waits
//! behind others of its batch while its lease runs out. A few workers run side by side, so one
//! slow calendar server does not hold up everyone's sync. Each pass runs in tasks of its own: a
//! bug that panics on some calendar's data ends that pass, never the loop.

use jiff::SignedDuration;
use termin_service::{calendar_connections, calendar_writes};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::state::AppState;

/// Connections synced side by side on one node.
const SYNC_WORKERS: usize = 4;
/// Writes made side by side on one node.
const WRITE_WORKERS: usize = 2;

fn timeout(state: &AppState) -> SignedDuration {
    SignedDuration::try_from(state.config.calendars.request_timeout)
        .unwrap_or(SignedDuration::from_secs(20))
}

/// A sync's claim: long enough for a home listing and a dozen calendars, each request taking
/// its whole timeout (a node that dies leaves its connections to others after this).
fn sync_lease(state: &AppState) -> SignedDuration {
    timeout(state) * 30
}

/// A write's claim: a PUT and a DELETE, each with its redirects, at their whole timeout.
fn write_lease(state: &AppState) -> SignedDuration {
    timeout(state) * 12 + SignedDuration::from_secs(5)
}

/// Runs `pass` on `workers` tasks until each finds nothing due, and logs what failed.
async fn run_pass<F, Fut>(workers: usize, what: &'static str, pass: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = termin_service::ServiceResult<usize>> + Send + 'static,
{
    let mut set = JoinSet::new();
    for _ in 0..workers {
        let one = pass();
        set.spawn(one);
    }
    while let Some(done) = set.join_next().await {
        match done {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "calendar {what} pass failed"),
            Err(e) => tracing::error!(error = %e, "calendar {what} pass ended abnormally"),
        }
    }
}

/// Syncs due connections until `stop` turns true.
pub async fn sync_loop(state: AppState, mut stop: watch::Receiver<bool>) {
    let every = state
        .config
        .calendars
        .sync_interval
        .min(std::time::Duration::from_secs(5));
    loop {
        run_pass(SYNC_WORKERS, "sync", || {
            let state = state.clone();
            async move {
                let lease = sync_lease(&state);
                let mut total = 0;
                while calendar_connections::sync_due(&state.service, lease, 1).await? == 1 {
                    total += 1;
                }
                Ok(total)
            }
        })
        .await;
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
        run_pass(WRITE_WORKERS, "write", || {
            let state = state.clone();
            async move { calendar_writes::write_due(&state.service, write_lease(&state), 1).await }
        })
        .await;
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
