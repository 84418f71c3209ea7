//! Bookable times and booking. The slot engine (a pure function of the domain) decides what is
//! bookable; this module feeds it from the database and, for a booking, re-runs it inside the
//! write transaction that inserts the appointment, so "offered" and "booked" are one decision.
//!
//! No double booking: on PostgreSQL the hosts' rows are locked (`FOR UPDATE`) for the duration
//! of the transaction and an exclusion constraint refuses overlapping host rows; on SQLite every
//! writer holds the database's write lock (`BEGIN IMMEDIATE`) and triggers refuse overlaps. Group
//! seats are counted under the same lock, with a CHECK constraint as backstop.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use termin_domain::availability::{Availability, WeeklySchedule};
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::slots::{bookable_slots, bookable_starts, Busy, Host, Method, Slot, SlotQuery};
use termin_domain::validate::TimeZoneName;
use termin_domain::{AppointmentId, CompanyId, MeetingTypeId, UserId};
use termin_storage::appointments::{self, BusyRow};
use termin_storage::availabilities::{self, AvailabilityRecord};
use termin_storage::users::UserRecord;
use termin_storage::{lock_users, users, Connection};

use super::availability::engine_availability;
use super::meeting_types::MeetingType;
use crate::busy_cache::BusyCache;
use crate::error::{ServiceError, ServiceResult, Validator};
use crate::Service;

pub use termin_domain::limits::MAX_WINDOW_DAYS;

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

/// The hosts of a request, read in one query whatever their number: the given ones (present
/// users of the company, in the order given) or the meeting type's own host.
///
/// A member may name only themself (and the meeting type's host, whose type they reach);
/// reaching colleagues' calendars takes an admin. `known` is a user record the caller already
/// holds (authentication's): when it is the only host, nothing is read.
pub async fn resolve_hosts(
    conn: &mut Connection,
    caller: &Principal,
    mt: &MeetingType,
    given: Option<&[UserId]>,
    known: Option<&UserRecord>,
) -> ServiceResult<Vec<UserRecord>> {
    let named = given.filter(|g| !g.is_empty());
    let wanted = named.unwrap_or(std::slice::from_ref(&mt.record.user_id));
    for (i, id) in wanted.iter().enumerate() {
        if *id != mt.record.user_id && !caller.may_access_user(*id) {
            return Err(ServiceError::forbidden(format!(
                "hostIds[{i}] names another user; only an owner or admin may book or query colleagues' time"
            )));
        }
    }
    if let ([only], Some(me)) = (wanted, known) {
        if me.id == *only && me.company_id == caller.company_id && me.removed_at.is_none() {
            return Ok(vec![me.clone()]);
        }
    }
    let mut found = users::find_present_many(conn, caller.company_id, wanted).await?;
    let mut hosts: Vec<UserRecord> = Vec::with_capacity(wanted.len());
    for (i, id) in wanted.iter().enumerate() {
        if hosts.iter().any(|h| h.id == *id) {
            continue; // named twice
        }
        match found.iter().position(|u| u.id == *id) {
            Some(at) => hosts.push(found.swap_remove(at)),
            None if named.is_some() => {
                return Err(ServiceError::field(
                    &format!("hostIds[{i}]"),
                    "is not a user of this company",
                ))
            }
            // The meeting type's own host was removed: the meeting type is gone with them.
            None => return Err(ServiceError::not_found("Meeting type not found")),
        }
    }
    Ok(hosts)
}

/// Why nobody can book this meeting type with these hosts now, or `None` when they can. The
/// one rule behind both the bookable times (which list nothing then) and booking (which is
/// refused with this reason).
pub fn why_not_bookable(mt: &MeetingType, hosts: &[UserRecord]) -> Option<String> {
    if mt.record.deleted_at.is_some() {
        return Some("This meeting type has been deleted".into());
    }
    if !mt.record.enabled {
        return Some("This meeting type is disabled and takes no bookings".into());
    }
    hosts
        .iter()
        .find(|h| h.deactivated_at.is_some())
        .map(|h| format!("The host {} is deactivated and takes no bookings", h.email))
}

/// The availability each host is bookable in for a meeting type, in the order of `hosts`.
///
/// A booking reads these before it takes the write lock: a booking only has to be serialised
/// against other appointments, and a booking that read a schedule just before someone edited it
/// is the same as one made a moment before the edit.
///
/// `own` is the meeting type's own availability when the caller already read it (see
/// `meeting_types::get_with_availability`); it governs the meeting type's owner.
///
/// It reads in at most two queries however many hosts there are: the meeting type's own
/// availability (when the caller has not read it already) and every other host's default one.
/// A host without any availability is never free.
pub async fn load_availabilities(
    conn: &mut Connection,
    company: CompanyId,
    mt: &MeetingType,
    own: Option<&AvailabilityRecord>,
    hosts: &[HostZone<'_>],
) -> ServiceResult<Vec<Availability>> {
    let owner = mt.record.user_id;
    let own = match (own, mt.record.availability_id) {
        (Some(record), _) => Some(record.clone()),
        (None, Some(id)) if hosts.iter().any(|h| h.id == owner) => {
            availabilities::find(conn, company, id).await?
        }
        _ => None,
    };
    let need_default: Vec<UserId> = hosts
        .iter()
        .map(|h| h.id)
        .filter(|id| *id != owner || own.is_none())
        .collect();
    let defaults = availabilities::defaults_for_users(conn, &need_default).await?;
    hosts
        .iter()
        .map(|host| {
            let record = match &own {
                Some(record) if host.id == owner => Some(record),
                _ => defaults.iter().find(|r| r.user_id == host.id),
            };
            match record {
                Some(record) => engine_availability(record),
                None => {
                    let tz = TimeZone::get(host.timezone).unwrap_or(TimeZone::UTC);
                    Ok(Availability::new(tz, WeeklySchedule::default(), Vec::new()))
                }
            }
        })
        .collect()
}

/// A host as reading availabilities needs it: who, and the zone an empty schedule is in.
#[derive(Debug, Clone, Copy)]
pub struct HostZone<'a> {
    pub id: UserId,
    pub timezone: &'a str,
}

impl<'a> From<&'a UserRecord> for HostZone<'a> {
    fn from(u: &'a UserRecord) -> Self {
        Self {
            id: u.id,
            timezone: &u.timezone,
        }
    }
}

/// Computes the bookable slots; also returns the busy rows it used, by host.
pub async fn compute_slots(
    conn: &mut Connection,
    req: &SlotRequest<'_>,
) -> ServiceResult<(Vec<Slot>, Vec<BusyRow>)> {
    let (busy_rows, hosts_busy) = read_busy(conn, req, None).await?;
    let hosts = engine_hosts(req, &hosts_busy);
    Ok((bookable_slots(&slot_query(req), &hosts), busy_rows))
}

/// Busy time as the engine takes it: each host's entries, in the order of `req.hosts`.
type HostsBusy = Vec<Arc<[Busy]>>;

/// The busy rows of `req`'s hosts that can touch a slot in its window, and the same by host.
///
/// With `kept` (the cache and each host's `busy_version`), a host's entries come from the
/// cache when it holds them at that version, and are kept there when read. Group meeting types
/// and reschedules (which ignore one appointment) always read: their busy time depends on more
/// than the host's appointments. The rows are returned only when read.
async fn read_busy(
    conn: &mut Connection,
    req: &SlotRequest<'_>,
    kept: Option<(&BusyCache, &[i64])>,
) -> ServiceResult<(Vec<BusyRow>, HostsBusy)> {
    let s = &req.meeting_type.settings;
    let duration = SignedDuration::from_mins(req.duration_minutes);
    let before = SignedDuration::from_mins(s.meeting_info.buffer_before);
    let after = SignedDuration::from_mins(s.meeting_info.buffer_after);
    debug_assert_eq!(req.hosts.len(), req.availabilities.len());
    // Exactly the appointments that can touch a slot starting in the window: a slot `[s, s +
    // duration)` collides with busy time inside `[s - before, s + duration + after)`. Wider
    // bounds would only ship more rows out of the database (a dense calendar has hundreds a day).
    let from = req.window_start - before.max(SignedDuration::ZERO);
    let to = req.window_end + duration + after.max(SignedDuration::ZERO);
    let groups = s.spots > 1;
    let kept = kept.filter(|_| req.ignore.is_none() && !groups);
    let mut hosts_busy: Vec<Option<Arc<[Busy]>>> = match kept {
        Some((cache, versions)) => req
            .hosts
            .iter()
            .zip(versions)
            .map(|(&host, &version)| cache.get(host, version, from, to))
            .collect(),
        None => vec![None; req.hosts.len()],
    };
    let missing: Vec<UserId> = req
        .hosts
        .iter()
        .zip(&hosts_busy)
        .filter(|(_, kept)| kept.is_none())
        .map(|(host, _)| *host)
        .collect();
    if missing.is_empty() {
        let hosts_busy = hosts_busy.into_iter().map(|b| b.expect("kept")).collect();
        return Ok((Vec::new(), hosts_busy));
    }
    // The hosts' own calendars come along (kept by the calendar sync; see `calendar_connections`).
    let mut rows = appointments::busy_intervals(conn, &missing, from, to, req.ignore, true).await?;
    if groups {
        let mt = req.meeting_type.record.id;
        appointments::mark_open_groups(conn, &mut rows, &missing, from, to, req.ignore, mt).await?;
    }
    let mut by_host: HashMap<UserId, Vec<Busy>> = HashMap::new();
    for row in &rows {
        let joinable =
            row.open_group.is_some() && row.end_at.duration_since(row.start_at) == duration;
        by_host.entry(row.host).or_default().push(Busy {
            start: row.start_at,
            end: row.end_at,
            joinable,
        });
    }
    for (i, host) in req.hosts.iter().enumerate() {
        if hosts_busy[i].is_none() {
            let theirs: Arc<[Busy]> = by_host.remove(host).unwrap_or_default().into();
            if let Some((cache, versions)) = kept {
                cache.put(*host, versions[i], from, to, theirs.clone());
            }
            hosts_busy[i] = Some(theirs);
        }
    }
    let hosts_busy = hosts_busy.into_iter().map(|b| b.expect("read")).collect();
    Ok((rows, hosts_busy))
}

/// The hosts as the engine takes them.
fn engine_hosts<'a>(req: &SlotRequest<'a>, busy: &'a HostsBusy) -> Vec<Host<'a>> {
    req.availabilities
        .iter()
        .zip(busy)
        .map(|(availability, busy)| Host { availability, busy })
        .collect()
}

/// The meeting type's rules and the window, as the engine takes them.
fn slot_query(req: &SlotRequest<'_>) -> SlotQuery {
    let s = &req.meeting_type.settings;
    let duration = SignedDuration::from_mins(req.duration_minutes);
    let before = SignedDuration::from_mins(s.meeting_info.buffer_before);
    let after = SignedDuration::from_mins(s.meeting_info.buffer_after);
    SlotQuery {
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
    }
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

/// A time as a query names it: an exact instant, or a calendar date read in the answer's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePoint {
    Instant(Timestamp),
    Date(jiff::civil::Date),
}

impl std::str::FromStr for TimePoint {
    type Err = &'static str;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.len() == 10 {
            return raw
                .parse()
                .map(Self::Date)
                .map_err(|_| "must be a date (2026-12-01) or an RFC 3339 timestamp");
        }
        crate::wire_time::parse(raw)
            .map(Self::Instant)
            .map_err(|e| {
                if e.starts_with("is out of range") {
                    e
                } else {
                    "must be a date (2026-12-01) or an RFC 3339 timestamp"
                }
            })
    }
}

impl TimePoint {
    /// The instant this names in `tz`: a date's first moment, or with `end_of_day` the first
    /// moment of the next day (so a range of dates includes its last one).
    pub fn resolve(self, tz: &TimeZone, end_of_day: bool) -> Result<Timestamp, &'static str> {
        match self {
            Self::Instant(t) => Ok(t),
            Self::Date(date) => {
                let date = if end_of_day {
                    date.tomorrow().map_err(|_| "is out of range")?
                } else {
                    date
                };
                date.to_zoned_datetime(tz.clone())
                    .map(|z| z.timestamp())
                    .map_err(|_| "is out of range")
            }
        }
    }
}

/// A validated bookable-times question.
#[derive(Debug, Clone)]
pub struct TimesQuery {
    pub meeting_type_id: MeetingTypeId,
    pub host_ids: Vec<UserId>,
    pub method: Method,
    /// The zone to answer in; default the (first) host's.
    pub timezone: Option<TimeZoneName>,
    pub duration: Option<i64>,
    /// An appointment to ignore (rescheduling it).
    pub ignore: Option<AppointmentId>,
    pub start: TimePoint,
    pub end: TimePoint,
}

/// A group appointment a bookable time would join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joinable {
    pub id: AppointmentId,
    pub total_spots: i64,
    pub taken_spots: i64,
}

/// The answer to a [`TimesQuery`].
#[derive(Debug)]
pub struct BookableTimes {
    pub timezone: TimeZoneName,
    pub tz: TimeZone,
    pub window: (Timestamp, Timestamp),
    /// Start times in order, with the group appointment each would join.
    pub times: Vec<(Timestamp, Option<Joinable>)>,
}

/// The meeting type's duration, or one of its allowed others.
pub fn allowed_duration(mt: &MeetingType, asked: Option<i64>) -> Result<i64, &'static str> {
    let info = &mt.settings.meeting_info;
    match asked {
        None => Ok(info.duration),
        Some(d)
            if d == info.duration || mt.settings.meeting_options.allowed_durations.contains(&d) =>
        {
            Ok(d)
        }
        Some(_) => Err("is not one of the meeting type's durations"),
    }
}

/// The bookable start times of a meeting type (`GET /v4/booking-availability`). The same rules
/// as booking: a meeting type that takes no bookings ([`why_not_bookable`]) lists none.
///
/// `conn` is the connection authentication read with, and `me` the caller's record when it did.
pub async fn bookable_times(
    svc: &Service,
    conn: &mut Connection,
    caller: &Principal,
    me: Option<&UserRecord>,
    q: &TimesQuery,
) -> ServiceResult<BookableTimes> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let (mt, own_availability) =
        super::meeting_types::get_with_availability(conn, caller, q.meeting_type_id).await?;
    bookable_times_of(svc, conn, caller, me, &mt, own_availability.as_ref(), q).await
}

/// [`bookable_times`] for a door that holds no connection of its own (the dashboard).
pub async fn bookable_times_for(
    svc: &Service,
    caller: &Principal,
    q: &TimesQuery,
) -> ServiceResult<BookableTimes> {
    let mut conn = svc.db.conn().await?;
    bookable_times(svc, &mut conn, caller, None, q).await
}

/// [`bookable_times`] of a meeting type the caller has already read, with its own
/// availability (the public booking page reads both with the host in one query).
pub async fn bookable_times_of(
    svc: &Service,
    conn: &mut Connection,
    caller: &Principal,
    me: Option<&UserRecord>,
    mt: &MeetingType,
    own_availability: Option<&AvailabilityRecord>,
    q: &TimesQuery,
) -> ServiceResult<BookableTimes> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    if !super::meeting_types::visible(caller, &mt.record) {
        return Err(ServiceError::not_found("Meeting type not found"));
    }
    let hosts = resolve_hosts(conn, caller, mt, Some(&q.host_ids), me).await?;
    let timezone = match &q.timezone {
        Some(tz) => tz.clone(),
        None => {
            let first = &hosts[0];
            let zone = me.filter(|me| me.id == first.id).unwrap_or(first);
            TimeZoneName::stored(&zone.timezone).map_err(ServiceError::internal)?
        }
    };
    let tz = TimeZone::get(timezone.as_str())
        .map_err(|_| ServiceError::field("timezone", "is not a known time zone"))?;
    let mut v = Validator::new();
    let start = v.check("start", q.start.resolve(&tz, false));
    let end_of_day = matches!(q.end, TimePoint::Date(_));
    let end = v.check("end", q.end.resolve(&tz, end_of_day));
    // Moving an appointment keeps its length, whatever lengths the meeting type offers now.
    let duration = match (q.ignore, q.duration) {
        (Some(_), Some(d)) => Some(d),
        _ => v.check("meetingDuration", allowed_duration(mt, q.duration)),
    };
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            v.fail("end", "must be after start");
        } else if e.duration_since(s) > SignedDuration::from_hours(24 * MAX_WINDOW_DAYS) {
            v.fail(
                "end",
                format!("must be at most {MAX_WINDOW_DAYS} days after start"),
            );
        }
    }
    v.finish()?;
    let (start, end) = (start.expect("validated"), end.expect("validated"));
    let duration = duration.expect("validated");
    let mut answer = BookableTimes {
        timezone,
        tz,
        window: (start, end),
        times: Vec::new(),
    };
    if why_not_bookable(mt, &hosts).is_some() {
        return Ok(answer);
    }
    let host_ids: Vec<UserId> = hosts.iter().map(|h| h.id).collect();
    let zones: Vec<HostZone> = hosts.iter().map(HostZone::from).collect();
    let availabilities =
        load_availabilities(conn, caller.company_id, mt, own_availability, &zones).await?;
    let request = SlotRequest {
        meeting_type: mt,
        hosts: &host_ids,
        availabilities: &availabilities,
        window_start: start,
        window_end: end,
        duration_minutes: duration,
        method: q.method,
        ignore: q.ignore,
        now: svc.now(),
    };
    let versions: Vec<i64> = hosts.iter().map(|h| h.busy_version).collect();
    let (busy, hosts_busy) = read_busy(conn, &request, Some((&svc.busy, &versions))).await?;
    let offers = bookable_starts(&slot_query(&request), &engine_hosts(&request, &hosts_busy));
    answer.times = offers
        .iter()
        .map(|slot| {
            let joins = slot.joins.and_then(|_| {
                busy.iter()
                    .filter(|b| b.start_at == slot.start)
                    .find_map(|b| b.open_group)
                    .map(|g| Joinable {
                        id: g.appointment_id,
                        total_spots: g.spots,
                        taken_spots: g.taken_spots,
                    })
            });
            (slot.start, joins)
        })
        .collect();
    Ok(answer)
}

/// Locks the hosts for the rest of the transaction (PostgreSQL; SQLite holds its write lock).
/// Answers which of them have a calendar receiving bookings, where the lock tells
/// (`termin_storage::lock_users`).
pub async fn lock_hosts(
    tx: &mut termin_storage::Tx,
    svc: &Service,
    hosts: &[UserId],
) -> ServiceResult<Option<Vec<UserId>>> {
    Ok(lock_users(tx, svc.db.backend(), hosts).await?)
}
