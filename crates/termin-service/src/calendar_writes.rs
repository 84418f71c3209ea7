//! Bookings written into the host's calendar, through a durable outbox.
//!
//! Booking, moving and cancelling an appointment add (or wake) one `calendar_writes` row per
//! host who has a calendar receiving bookings, in the transaction that changes the appointment
//! (`termin_storage::calendars::enqueue_writes`). The worker ([`write_due`]) claims due rows with a lease (one node at a time,
//! `SKIP LOCKED` on PostgreSQL) and brings the host's calendar to the appointment as it stands
//! *then*: a PUT of the resource `{appointmentId}.ics` (created or replaced whole), or a DELETE
//! once it is cancelled. Writing the current state, to a name fixed by the appointment, makes a
//! repeated write harmless: a node killed after its PUT and before recording it leaves a lease
//! that runs out, the write runs again, and the calendar still holds one event.
//!
//! A write that fails is retried with a growing pause ([`MAX_ATTEMPTS`] times), and every
//! attempt is logged (`calendar_write_attempts`).

use jiff::SignedDuration;
use termin_calendar::caldav;
use termin_calendar::http::{CalendarError, Login};
use termin_domain::AppointmentId;
use termin_storage::calendars::{self as stored, ClaimedWrite, ConnectionRecord, WriteOutcome};
use termin_storage::{appointments as stored_appointments, users};
use url::Url;

use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// Attempts before a write is given up.
pub const MAX_ATTEMPTS: i64 = 10;

/// Claims due writes and performs them; answers how many were attempted.
pub async fn write_due(svc: &Service, lease: SignedDuration, limit: i64) -> ServiceResult<usize> {
    let mut total = 0;
    loop {
        let now = svc.now();
        let mut tx = svc.db.begin_write().await?;
        let batch =
            stored::claim_writes(&mut tx, svc.db.backend(), now, now + lease, limit).await?;
        tx.commit().await?;
        if batch.is_empty() {
            return Ok(total);
        }
        total += batch.len();
        for w in batch {
            write_one(svc, &w).await?;
        }
    }
}

/// The connection whose calendar receives the user's bookings, and that calendar's URL.
fn target(connections: &[ConnectionRecord]) -> Option<(&ConnectionRecord, Url)> {
    connections.iter().find_map(|c| {
        c.calendars
            .iter()
            .find(|k| k.write_bookings)
            .and_then(|k| Url::parse(&k.url).ok())
            .map(|u| (c, u))
    })
}

/// The connection an earlier write went to (its calendars hold the written URL).
fn holder<'a>(connections: &'a [ConnectionRecord], written: &str) -> Option<&'a ConnectionRecord> {
    connections.iter().find(|c| {
        c.calendars.iter().any(|k| {
            let base = k.url.trim_end_matches('/');
            !base.is_empty()
                && written
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    })
}

fn login<'a>(
    svc: &Service,
    c: &'a ConnectionRecord,
    password: &'a mut String,
) -> Option<Login<'a>> {
    *password = svc.secrets.open(
        &crate::calendar_connections::context(c.id),
        &c.secret_sealed,
    )?;
    Some(Login {
        username: c.username.as_deref().unwrap_or_default(),
        password,
    })
}

async fn write_one(svc: &Service, w: &ClaimedWrite) -> ServiceResult<()> {
    let started = std::time::Instant::now();
    let connections = stored::of_user(&mut *svc.db.conn().await?, w.user_id).await?;
    let user = users::find_any(&mut *svc.db.conn().await?, w.user_id).await?;
    // The appointment as it stands now; gone, cancelled or no longer this host's means removed.
    let current = match &user {
        Some(u) => {
            let record = stored_appointments::find(
                &mut *svc.db.conn().await?,
                u.company_id,
                w.appointment_id,
            )
            .await?;
            match record {
                Some(r) => crate::appointments::load_many(&mut *svc.db.conn().await?, vec![r])
                    .await?
                    .pop()
                    .map(|l| l.view())
                    .filter(|v| !v.is_cancelled && v.host_ids.contains(&w.user_id)),
                None => None,
            }
        }
        None => None,
    };
    let mut password = String::new();
    let (action, target_url, result): (
        &str,
        Option<String>,
        Result<Option<String>, CalendarError>,
    ) = match (current, target(&connections)) {
        (Some(view), Some((conn, calendar))) => match login(svc, conn, &mut password) {
            None => ("put", None, Err(CalendarError::Invalid(SEALED.into()))),
            Some(l) => {
                let ics = crate::appointments::host_calendar_event(&view, &svc.public_url);
                let put = caldav::put_event(
                    &svc.calendars.client,
                    &calendar,
                    &view.id.to_string(),
                    &ics,
                    l,
                )
                .await;
                match put {
                    Ok(url) => {
                        let url = url.to_string();
                        // Moved to another calendar since the last write: remove the old copy.
                        // Until that succeeds the write is not done (and is tried again; the
                        // PUT repeats harmlessly).
                        let old = w.written_url.as_deref().filter(|o| *o != url);
                        match old {
                            Some(old) => match remove_old(svc, &connections, old).await {
                                Ok(()) => ("put", Some(url.clone()), Ok(Some(url))),
                                Err(e) => ("delete", Some(old.to_owned()), Err(e)),
                            },
                            None => ("put", Some(url.clone()), Ok(Some(url))),
                        }
                    }
                    Err(e) => ("put", Some(calendar.to_string()), Err(e)),
                }
            }
        },
        (_, _) => match w.written_url.as_deref() {
            None => ("none", None, Ok(None)),
            Some(old) => match holder(&connections, old) {
                // The calendar's connection is gone: nothing termin may still reach.
                None => ("none", Some(old.to_owned()), Ok(None)),
                Some(conn) => match (login(svc, conn, &mut password), Url::parse(old)) {
                    (Some(l), Ok(url)) => (
                        "delete",
                        Some(old.to_owned()),
                        caldav::delete_event(&svc.calendars.client, &url, l)
                            .await
                            .map(|_| None),
                    ),
                    _ => (
                        "delete",
                        Some(old.to_owned()),
                        Err(CalendarError::Invalid(SEALED.into())),
                    ),
                },
            },
        },
    };
    let now = svc.now();
    let (error, status_code, written) = match &result {
        Ok(url) => (None, None, url.clone()),
        Err(e) => (
            Some(e.to_string()),
            match e {
                CalendarError::Status { status, .. } => Some(*status),
                CalendarError::Unauthorized => Some(401),
                _ => None,
            },
            w.written_url.clone(),
        ),
    };
    let retry_at = (w.attempts + 1 < MAX_ATTEMPTS).then(|| {
        let base = SignedDuration::try_from(svc.calendars.retry_base)
            .unwrap_or(SignedDuration::from_secs(30));
        let pause = base * (1i32 << w.attempts.clamp(0, 7));
        now + pause.min(SignedDuration::from_hours(1))
    });
    if let Some(e) = &error {
        tracing::info!(appointment = %w.appointment_id, error = %e, "a calendar write failed");
    }
    let mut tx = svc.db.begin_write().await?;
    stored::record_write(
        &mut tx,
        w,
        &WriteOutcome {
            at: now,
            action,
            target: target_url.as_deref(),
            status_code,
            error: error.as_deref(),
            duration_ms: started.elapsed().as_millis() as i64,
            written_url: written.as_deref(),
            retry_at,
        },
    )
    .await
    .map_err(ServiceError::from)?;
    tx.commit().await?;
    Ok(())
}

const SEALED: &str =
    "the connection's password was sealed under another secrets key: connect it again";

/// Removes the copy of an event in the calendar it moved out of. A calendar whose connection
/// is gone cannot be reached any more: nothing to do there.
async fn remove_old(
    svc: &Service,
    connections: &[ConnectionRecord],
    old: &str,
) -> Result<(), CalendarError> {
    let Some(conn) = holder(connections, old) else {
        return Ok(());
    };
    let mut password = String::new();
    match (login(svc, conn, &mut password), Url::parse(old)) {
        (Some(l), Ok(url)) => caldav::delete_event(&svc.calendars.client, &url, l).await,
        (None, _) => Err(CalendarError::Invalid(SEALED.into())),
        (_, Err(_)) => Ok(()),
    }
}

/// One attempt at bringing an appointment into the caller's calendar, for the delivery log.
#[derive(Debug, Clone)]
pub struct AttemptView {
    pub appointment_id: AppointmentId,
    pub at: jiff::Timestamp,
    /// `put` (written or moved), `delete` (removed), or `none` (nothing to write).
    pub action: String,
    pub status_code: Option<i64>,
    pub error: Option<String>,
}

/// The caller's latest attempts at writing their bookings into their calendar, newest first.
pub async fn recent(
    svc: &Service,
    caller: &termin_domain::principal::Principal,
    limit: i64,
) -> ServiceResult<Vec<AttemptView>> {
    caller.require_scope(termin_domain::credential::ScopeGroup::Scheduling)?;
    let found = stored::attempts_of_user(
        &mut *svc.db.conn().await?,
        caller.user_id,
        limit.clamp(1, 100),
    )
    .await?;
    Ok(found
        .into_iter()
        .map(|a| AttemptView {
            appointment_id: a.appointment_id,
            at: a.at,
            action: a.action,
            status_code: a.status_code,
            error: a.error,
        })
        .collect())
}
