//! Bookable times and booking. The slot engine (a pure function of the domain) decides what is
//! bookable; this module feeds it from the database and, for a booking, re-runs it inside the
//! write transaction that inserts the appointment, so "offered" and "booked" are one decision.
//!
//! No double booking: on PostgreSQL the hosts' rows are locked (`FOR UPDATE`) for the duration
//! of the transaction and an exclusion constraint refuses overlapping host rows; on SQLite every
//! writer holds the database's write lock (`BEGIN IMMEDIATE`) and triggers refuse overlaps. Group
//! seats are counted under the same lock, with a CHECK constraint as backstop.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use termin_domain::availability::Availability;
use termin_domain::principal::Principal;
use termin_domain::slots::{bookable_slots, Busy, Host, Method, Slot, SlotQuery};
use termin_domain::{AppointmentId, CompanyId, UserId};
use termin_storage::appointments::{self, BusyRow};
use termin_storage::availabilities::AvailabilityRecord;
use termin_storage::{lock_users, users, Connection, Db};

use super::availability::{availability_for, engine_availability};
use super::meeting_types::MeetingType;
use crate::error::{ServiceError, ServiceResult};

/// Longest window `GET /v4/booking-availability` computes at once.
pub const MAX_WINDOW_DAYS: i64 = 62;

/// What to compute slots for.
pub struct SlotRequest<'a> {
    pub meeting_type: &'a MeetingType,
    pub hosts: &'a [UserId],
    /// The hosts' availabilities, in the order of `hosts` (see [`load_availabilities`]).
    pub availabilities: &'a [Availability],
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub duration_minutes: i64,
    pub method: Method,
    /// An appointment to ignore (rescheduling it).
    pub ignore: Option<AppointmentId>,
    pub now: Timestamp,
}

/// The hosts of a request: the given ones (present users of the company) or the meeting type's.
///
/// A member may name only themself (and the meeting type's host, whose type they reach);
/// reaching colleagues' calendars takes an admin.
pub async fn resolve_hosts(
    conn: &mut Connection,
    caller: &Principal,
    mt: &MeetingType,
    given: Option<&[UserId]>,
) -> ServiceResult<Vec<UserId>> {
    let company = caller.company_id;
    let Some(given) = given.filter(|g| !g.is_empty()) else {
        return Ok(vec![mt.record.user_id]);
    };
    let mut hosts = Vec::with_capacity(given.len());
    for (i, id) in given.iter().enumerate() {
        if *id != mt.record.user_id && !caller.may_access_user(*id) {
            return Err(ServiceError::forbidden(format!(
                "hostIds[{i}] names another user; only an owner or admin may book or query colleagues' time"
            )));
        }
        let user = users::find_present(conn, company, *id).await?;
        match user {
            Some(u) if u.deactivated_at.is_none() => {
                if !hosts.contains(&u.id) {
                    hosts.push(u.id)
                }
            }
            _ => {
                return Err(ServiceError::field(
                    &format!("hostIds[{i}]"),
                    "is not a user of this company",
                ))
            }
        }
    }
    Ok(hosts)
}

/// The availability each host is bookable in for a meeting type, in the order of `hosts`.
///
/// A booking reads these before it takes the write lock: a booking only has to be serialised
/// against other appointments, and a booking that read a schedule just before someone edited it
/// is the same as one made a moment before the edit.
///
/// `own` is the meeting type's own availability when the caller already read it (see
/// `meeting_types::get_with_availability`); it governs the meeting type's owner.
pub async fn load_availabilities(
    conn: &mut Connection,
    company: CompanyId,
    mt: &MeetingType,
    own: Option<&AvailabilityRecord>,
    hosts: &[UserId],
) -> ServiceResult<Vec<Availability>> {
    let mut availabilities = Vec::with_capacity(hosts.len());
    for host in hosts {
        let availability = match own {
            Some(record) if *host == mt.record.user_id => engine_availability(record)?,
            _ => availability_for(conn, company, mt, *host).await?,
        };
        availabilities.push(availability);
    }
    Ok(availabilities)
}

/// Computes the bookable slots; also returns the busy rows it used, by host.
pub async fn compute_slots(
    conn: &mut Connection,
    req: &SlotRequest<'_>,
) -> ServiceResult<(Vec<Slot>, Vec<BusyRow>)> {
    let s = &req.meeting_type.settings;
    let duration = SignedDuration::from_mins(req.duration_minutes);
    let before = SignedDuration::from_mins(s.meeting_info.buffer_before);
    let after = SignedDuration::from_mins(s.meeting_info.buffer_after);
    debug_assert_eq!(req.hosts.len(), req.availabilities.len());
    // Exactly the appointments that can touch a slot starting in the window: a slot `[s, s +
    // duration)` collides with busy time inside `[s - before, s + duration + after)`. Wider
    // bounds would only ship more rows out of the database (a dense calendar has hundreds a day).
    let busy_rows = appointments::busy_for_hosts(
        conn,
        req.hosts,
        req.window_start - before.max(SignedDuration::ZERO),
        req.window_end + duration + after.max(SignedDuration::ZERO),
        req.ignore,
    )
    .await?;
    let mut by_host: HashMap<UserId, Vec<Busy>> = HashMap::new();
    for row in &busy_rows {
        let joinable = row.meeting_type_id == req.meeting_type.record.id
            && row.spots > 1
            && row.taken_spots < row.spots
            && row.end_at.duration_since(row.start_at) == duration;
        by_host.entry(row.host).or_default().push(Busy {
            start: row.start_at,
            end: row.end_at,
            joinable,
        });
    }
    let empty = Vec::new();
    let hosts: Vec<Host> = req
        .hosts
        .iter()
        .zip(req.availabilities)
        .map(|(id, availability)| Host {
            availability,
            busy: by_host.get(id).unwrap_or(&empty),
        })
        .collect();
    let query = SlotQuery {
        window_start: req.window_start,
        window_end: req.window_end,
        now: req.now,
        duration,
        interval: SignedDuration::from_mins(s.interval_minutes()),
        buffer_before: before,
        buffer_after: after,
        minimum_notice: SignedDuration::from_mins(s.booking_minimum),
        horizon: s
            .days_into_future
            .booking_limit
            .map(|d| SignedDuration::from_hours(24 * d)),
        method: req.method,
    };
    Ok((bookable_slots(&query, &hosts), busy_rows))
}

/// The one slot starting exactly at `start`, if it is bookable now.
pub async fn slot_at(
    conn: &mut Connection,
    req: &SlotRequest<'_>,
    start: Timestamp,
) -> ServiceResult<Option<Slot>> {
    let narrow = SlotRequest {
        meeting_type: req.meeting_type,
        hosts: req.hosts,
        availabilities: req.availabilities,
        window_start: start,
        window_end: start + SignedDuration::from_millis(1),
        duration_minutes: req.duration_minutes,
        method: req.method,
        ignore: req.ignore,
        now: req.now,
    };
    let (slots, _) = compute_slots(conn, &narrow).await?;
    Ok(slots.into_iter().find(|s| s.start == start))
}

/// Locks the hosts for the rest of the transaction (PostgreSQL; SQLite holds its write lock).
pub async fn lock_hosts(
    tx: &mut termin_storage::Tx,
    db: &Db,
    hosts: &[UserId],
) -> ServiceResult<()> {
    lock_users(tx, db.backend(), hosts).await?;
    Ok(())
}

/// A member may only act on their own scheduling; an admin on anyone's in the company.
pub fn require_access(caller: &Principal, user: UserId) -> ServiceResult<()> {
    if caller.may_access_user(user) {
        Ok(())
    } else {
        Err(ServiceError::not_found("Not found"))
    }
}
