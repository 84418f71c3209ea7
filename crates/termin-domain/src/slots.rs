//! The slot engine: which start times a booking page may offer, as one pure function of the
//! hosts' availability, their existing appointments and the meeting type's rules.
//!
//! Times are generated in each host's wall-clock time, because that is how hosts think ("I take
//! calls at 09:00, 09:30, ..."), and then checked in absolute time, because that is how
//! appointments collide. Around a daylight-saving change the two differ:
//!
//! - a start time that the change skips (02:30 on a spring-forward night) is not offered;
//! - a start time that happens twice (02:30 on a fall-back night) is offered once, at its
//!   earlier instant;
//! - a slot lasts `duration` of real time, and must end by the instant the host's range ends,
//!   which is the first instant the local clock reaches or passes the range's end time. So
//!   09:00-17:00 is eight real hours with the same local slot times on both sides of a change.
//!
//! Performance matters because a booking page asks for weeks of slots at once: each host's busy
//! list is merged once per call and probed by binary search, exceptions are looked up by date,
//! and days without a time-zone transition turn local times into instants by plain addition.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::availability::Availability;

/// Nanoseconds since the Unix epoch, or a length in nanoseconds: exact, and cheap to compare.
type Ns = i128;

const NS_PER_MINUTE: i64 = 60_000_000_000;
const NS_PER_DAY: i64 = 24 * 60 * NS_PER_MINUTE;

/// Time a host is not free: an appointment, or a calendar event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub start: Timestamp,
    pub end: Timestamp,
    /// A group appointment of the meeting type being booked with seats left: a candidate
    /// starting exactly at `start` (same length) may join it instead of conflicting.
    pub joinable: bool,
}

/// One host as the engine sees them.
#[derive(Debug, Clone, Copy)]
pub struct Host<'a> {
    pub availability: &'a Availability,
    /// Sorted by start (the engine copes if not, at a cost); may overlap each other.
    pub busy: &'a [Busy],
}

/// How several hosts share a meeting type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Round robin: a time is offered when at least one host is free.
    #[default]
    Anyone,
    /// Collective: a time is offered only when every host is free. Joining a group appointment
    /// is not possible here (the others are not in it), so joinable busy time conflicts.
    Everyone,
}

/// What is being booked and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotQuery {
    /// Only starts in `[window_start, window_end)` are returned; a slot may end after
    /// `window_end`.
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub now: Timestamp,
    /// Length of the meeting, in real time. Must be positive.
    pub duration: SignedDuration,
    /// Step between offered starts, in the host's wall-clock time from the start of each
    /// range. Must be positive.
    pub interval: SignedDuration,
    /// Free time needed before a meeting, between it and other busy time (negative counts as 0).
    pub buffer_before: SignedDuration,
    /// Free time needed after a meeting (negative counts as 0).
    pub buffer_after: SignedDuration,
    /// Earliest allowed start = now + minimum_notice.
    pub minimum_notice: SignedDuration,
    /// Latest allowed start = now + horizon (inclusive); `None` for no limit.
    pub horizon: Option<SignedDuration>,
    pub method: Method,
}

/// One bookable start time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    /// `start + duration`.
    pub end: Timestamp,
    /// Indexes into the `hosts` given to [`bookable_slots`] of those who can take this slot,
    /// ascending. With [`Method::Everyone`] that is every host.
    pub free_hosts: Vec<usize>,
    /// For a slot that joins a joinable [`Busy`]: the lowest index of a host whose group
    /// appointment it matches (that host is also in `free_hosts`). Else `None`, and always
    /// `None` with [`Method::Everyone`].
    pub joins: Option<usize>,
}

/// Every bookable slot for `query` across `hosts`, sorted by start, one per start.
///
/// Returns nothing, rather than panicking, for degenerate input: no hosts, a non-positive
/// duration or interval, or a window that the notice or horizon leaves empty.
///
/// Each host is walked over their local dates that touch the window, so the cost grows with
/// the window's length in days, the number of starts per day and log(busy entries); callers
/// should cap the window (a few months) rather than rely on this.
pub fn bookable_slots(query: &SlotQuery, hosts: &[Host<'_>]) -> Vec<Slot> {
    let Some(p) = Params::new(query) else {
        return Vec::new();
    };
    if hosts.is_empty() {
        return Vec::new();
    }
    let honour_joinable = query.method == Method::Anyone;
    let mut per_host: Vec<Vec<Candidate>> = Vec::with_capacity(hosts.len());
    for host in hosts {
        let conflicts = Conflicts::new(host.busy, honour_joinable);
        let mut candidates = Vec::new();
        host_candidates(&p, host.availability, &conflicts, &[], &mut candidates);
        if query.method == Method::Everyone && candidates.is_empty() {
            return Vec::new();
        }
        per_host.push(candidates);
    }
    match query.method {
        Method::Anyone if hosts.len() == 1 => per_host[0]
            .iter()
            .filter_map(|c| p.slot(c.start, vec![0], c.joins.then_some(0)))
            .collect(),
        Method::Anyone => {
            // Each host's candidates are in order: merge them by walking every list once.
            let mut cursors = vec![0usize; per_host.len()];
            let mut out = Vec::new();
            while let Some(start) = per_host
                .iter()
                .zip(&cursors)
                .filter_map(|(list, &i)| list.get(i).map(|c| c.start))
                .min()
            {
                let mut free_hosts = Vec::new();
                let mut joins = None;
                for (h, (list, i)) in per_host.iter().zip(cursors.iter_mut()).enumerate() {
                    if let Some(c) = list.get(*i).filter(|c| c.start == start) {
                        free_hosts.push(h);
                        if c.joins && joins.is_none() {
                            joins = Some(h);
                        }
                        *i += 1;
                    }
                }
                out.extend(p.slot(start, free_hosts, joins));
            }
            out
        }
        Method::Everyone => {
            let (first, rest) = per_host.split_first().expect("at least one host");
            let mut cursors = vec![0usize; rest.len()];
            let mut out = Vec::new();
            'starts: for c in first {
                for (list, i) in rest.iter().zip(cursors.iter_mut()) {
                    while *i < list.len() && list[*i].start < c.start {
                        *i += 1;
                    }
                    if *i == list.len() {
                        break 'starts;
                    }
                    if list[*i].start != c.start {
                        continue 'starts;
                    }
                }
                out.extend(p.slot(c.start, (0..hosts.len()).collect(), None));
            }
            out
        }
    }
}

/// One start a listing of bookable times offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub start: Timestamp,
    /// As [`Slot::joins`]: the lowest index of a host whose group appointment this joins.
    pub joins: Option<usize>,
}

/// What a listing of bookable times shows: [`bookable_slots`] without saying who is free at
/// each start (a test holds the two to the same answer).
///
/// A listing needs each start once, not every host who could take it. So with
/// [`Method::Anyone`] a host's start is checked against their calendar only when no earlier host
/// already offers it, and a team of similar calendars costs little more than one. Where a
/// group appointment could be joined, which host's it is matters, and every host is checked.
pub fn bookable_starts(query: &SlotQuery, hosts: &[Host<'_>]) -> Vec<Offer> {
    let any_joinable = hosts.iter().any(|h| h.busy.iter().any(|b| b.joinable));
    let offers_of = |slots: Vec<Slot>| {
        slots
            .into_iter()
            .map(|s| Offer {
                start: s.start,
                joins: s.joins,
            })
            .collect()
    };
    if query.method != Method::Anyone || hosts.len() < 2 || any_joinable {
        return offers_of(bookable_slots(query, hosts));
    }
    let Some(p) = Params::new(query) else {
        return Vec::new();
    };
    let mut offered: Vec<Candidate> = Vec::new();
    let mut more = Vec::new();
    for host in hosts {
        let conflicts = Conflicts::new(host.busy, false);
        more.clear();
        host_candidates(&p, host.availability, &conflicts, &offered, &mut more);
        if !more.is_empty() {
            offered = merge_starts(&offered, &more);
        }
    }
    offered
        .iter()
        .filter_map(|c| {
            Some(Offer {
                start: Timestamp::from_nanosecond(c.start).ok()?,
                joins: None,
            })
        })
        .collect()
}

/// Two ascending lists of candidates as one, each start once.
fn merge_starts(a: &[Candidate], b: &[Candidate]) -> Vec<Candidate> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].start.cmp(&b[j].start) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The query in nanoseconds, with the window narrowed by notice and horizon.
struct Params {
    duration: Ns,
    /// At most two days: a longer step can only ever give one start per range anyway.
    interval: i64,
    before: Ns,
    after: Ns,
    /// First allowed start (inclusive).
    lo: Ns,
    /// End of allowed starts (exclusive).
    hi: Ns,
}

impl Params {
    fn new(q: &SlotQuery) -> Option<Self> {
        let duration = q.duration.as_nanos();
        let interval = q.interval.as_nanos();
        if duration <= 0 || interval <= 0 {
            return None;
        }
        let now = q.now.as_nanosecond();
        let lo = q
            .window_start
            .as_nanosecond()
            .max(now + q.minimum_notice.as_nanos());
        let mut hi = q.window_end.as_nanosecond();
        if let Some(horizon) = q.horizon {
            hi = hi.min(now + horizon.as_nanos() + 1);
        }
        (lo < hi).then(|| Self {
            duration,
            interval: interval.min(Ns::from(2 * NS_PER_DAY)) as i64,
            before: q.buffer_before.as_nanos().max(0),
            after: q.buffer_after.as_nanos().max(0),
            lo,
            hi,
        })
    }

    /// The local dates in `tz` that can hold an allowed start, with a day's margin either side
    /// for zones whose clocks cross midnight backwards.
    fn local_dates(&self, tz: &TimeZone) -> Option<(Date, Date)> {
        let first = tz
            .to_datetime(Timestamp::from_nanosecond(self.lo).ok()?)
            .date();
        let last = tz
            .to_datetime(Timestamp::from_nanosecond(self.hi - 1).ok()?)
            .date();
        Some((
            first.yesterday().unwrap_or(first),
            last.tomorrow().unwrap_or(last),
        ))
    }

    fn slot(&self, start: Ns, free_hosts: Vec<usize>, joins: Option<usize>) -> Option<Slot> {
        Some(Slot {
            start: Timestamp::from_nanosecond(start).ok()?,
            end: Timestamp::from_nanosecond(start + self.duration).ok()?,
            free_hosts,
            joins,
        })
    }
}

/// A start one host can take.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    start: Ns,
    joins: bool,
}

/// One host's busy time, prepared for binary search.
struct Conflicts {
    /// Busy time that always conflicts, merged: sorted, disjoint, so ends are sorted too.
    blocked: Vec<(Ns, Ns)>,
    /// Joinable group appointments, sorted by start, unmerged (each must be matched exactly).
    joinable: Vec<(Ns, Ns)>,
    /// The longest joinable entry, which bounds how far back one can reach.
    joinable_max: Ns,
}

impl Conflicts {
    fn new(busy: &[Busy], honour_joinable: bool) -> Self {
        let mut blocked = Vec::with_capacity(busy.len());
        let mut joinable = Vec::new();
        for b in busy {
            let (start, end) = (b.start.as_nanosecond(), b.end.as_nanosecond());
            if end <= start {
                continue; // empty: overlaps nothing
            }
            if honour_joinable && b.joinable {
                joinable.push((start, end));
            } else {
                blocked.push((start, end));
            }
        }
        if !blocked.is_sorted() {
            blocked.sort_unstable();
        }
        let mut kept = 0;
        for i in 0..blocked.len() {
            let (start, end) = blocked[i];
            if kept > 0 && start <= blocked[kept - 1].1 {
                blocked[kept - 1].1 = blocked[kept - 1].1.max(end);
            } else {
                blocked[kept] = (start, end);
                kept += 1;
            }
        }
        blocked.truncate(kept);
        if !joinable.is_sorted() {
            joinable.sort_unstable();
        }
        let joinable_max = joinable.iter().map(|&(s, e)| e - s).max().unwrap_or(0);
        Self {
            blocked,
            joinable,
            joinable_max,
        }
    }

    /// `None` if `[start, end)` widened by the buffers collides with busy time; otherwise
    /// whether it exactly matches a joinable group appointment.
    fn check(&self, start: Ns, end: Ns, p: &Params) -> Option<bool> {
        let (lo, hi) = (start - p.before, end + p.after);
        let i = self.blocked.partition_point(|&(_, e)| e <= lo);
        if self.blocked.get(i).is_some_and(|&(s, _)| s < hi) {
            return None;
        }
        let mut joins = false;
        if !self.joinable.is_empty() {
            // Entries starting at or before this end at or before `lo`: they cannot overlap.
            let from = lo - self.joinable_max;
            let first = self.joinable.partition_point(|&(s, _)| s <= from);
            for &(s, e) in self.joinable[first..].iter().take_while(|&&(s, _)| s < hi) {
                if e > lo {
                    if s == start && e == end {
                        joins = true;
                    } else {
                        return None;
                    }
                }
            }
        }
        Some(joins)
    }
}

/// Appends the starts `availability` allows and `conflicts` leaves free, in ascending order,
/// leaving out (unchecked) those in `known`, which is ascending.
fn host_candidates(
    p: &Params,
    availability: &Availability,
    conflicts: &Conflicts,
    known: &[Candidate],
    out: &mut Vec<Candidate>,
) {
    let mut k = 0;
    let tz = availability.time_zone();
    let Some((first, last)) = p.local_dates(tz) else {
        return;
    };
    let mut date = first;
    loop {
        let ranges = availability.open_ranges(date);
        if !ranges.is_empty() {
            let clock = DayClock::new(tz, date);
            for r in ranges {
                let end_local = i64::from(r.hours.end_minute()) * NS_PER_MINUTE;
                let start_local = i64::from(r.hours.start_minute()) * NS_PER_MINUTE;
                let anchor = i64::from(r.grid_anchor) * NS_PER_MINUTE;
                let Some(end) = clock.end(end_local) else {
                    continue;
                };
                // The first grid point at or after the range start.
                let mut t =
                    anchor + (start_local - anchor + p.interval - 1) / p.interval * p.interval;
                while t < end_local {
                    if let Some(start) = clock.start(t) {
                        // Later local times are later instants, so neither test can pass again
                        // in this range.
                        if start + p.duration > end || start >= p.hi {
                            break;
                        }
                        // Starts ascend (but for exotic zones, where a start is at worst
                        // checked and listed twice, and merged once).
                        while known.get(k).is_some_and(|c| c.start < start) {
                            k += 1;
                        }
                        let is_known = known.get(k).is_some_and(|c| c.start == start);
                        if start >= p.lo && !is_known {
                            if let Some(joins) = conflicts.check(start, start + p.duration, p) {
                                out.push(Candidate { start, joins });
                            }
                        }
                    }
                    t += p.interval;
                }
            }
        }
        if date >= last {
            break;
        }
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    // Ascending by construction; a zone with exotic transitions must not break the promise.
    if !out.is_sorted_by(|a, b| a.start < b.start) {
        out.sort_unstable_by_key(|c| c.start);
        out.dedup_by_key(|c| c.start);
    }
}

/// Turns local times of one date into instants.
enum DayClock<'a> {
    /// One offset holds from 00:00 to 24:00 and no local time of the day is ambiguous: an
    /// instant is midnight plus the local time. Almost every day.
    Fixed { midnight: Ns },
    /// A transition touches this day: ask the time zone for each local time.
    Varying { tz: &'a TimeZone, date: Date },
}

impl<'a> DayClock<'a> {
    fn new(tz: &'a TimeZone, date: Date) -> Self {
        let varying = Self::Varying { tz, date };
        let Ok(next) = date.tomorrow() else {
            return varying;
        };
        let m0 = tz.to_ambiguous_timestamp(date.to_datetime(Time::midnight()));
        let m1 = tz.to_ambiguous_timestamp(next.to_datetime(Time::midnight()));
        let (
            AmbiguousOffset::Unambiguous { offset: o0 },
            AmbiguousOffset::Unambiguous { offset: o1 },
        ) = (m0.offset(), m1.offset())
        else {
            return varying;
        };
        let Ok(t0) = m0.earlier() else {
            return varying;
        };
        // Both midnights unambiguous at the same offset with no transition between them means
        // every local time of the day exists exactly once at that offset.
        let midnight = t0.as_nanosecond();
        match tz.following(t0).next() {
            _ if o0 != o1 => varying,
            Some(tr) if tr.timestamp().as_nanosecond() <= midnight + Ns::from(NS_PER_DAY) => {
                varying
            }
            _ => Self::Fixed { midnight },
        }
    }

    /// The instant the local clock shows `t` (nanoseconds after midnight, below 24 h): `None`
    /// if a transition skips it, the earlier instant if it shows it twice.
    fn start(&self, t: i64) -> Option<Ns> {
        match *self {
            Self::Fixed { midnight } => Some(midnight + Ns::from(t)),
            Self::Varying { tz, date } => {
                let amb = tz.to_ambiguous_timestamp(local(date, t)?);
                match amb.offset() {
                    AmbiguousOffset::Gap { .. } => None,
                    _ => amb.earlier().ok().map(Timestamp::as_nanosecond),
                }
            }
        }
    }

    /// The first instant at which the local clock reaches or passes `t` (nanoseconds after
    /// midnight, up to 24 h = the next midnight): where a range ending at `t` ends. That is the
    /// earlier instant of a repeated time (the hours end when the clock first says so), and the
    /// transition itself for a skipped time.
    fn end(&self, t: i64) -> Option<Ns> {
        match *self {
            Self::Fixed { midnight } => Some(midnight + Ns::from(t)),
            Self::Varying { tz, date } => {
                let amb = tz.to_ambiguous_timestamp(local(date, t)?);
                // In a gap `earlier` is the skipped time read with the new offset, which lies
                // before the transition; the next transition after it is the one that skips.
                let earlier = amb.earlier().ok()?;
                match amb.offset() {
                    AmbiguousOffset::Gap { .. } => tz
                        .following(earlier)
                        .next()
                        .map(|tr| tr.timestamp().as_nanosecond()),
                    _ => Some(earlier.as_nanosecond()),
                }
            }
        }
    }
}

/// `date` at `t` nanoseconds after midnight; 24 h is the next day's midnight.
fn local(date: Date, t: i64) -> Option<DateTime> {
    if t >= NS_PER_DAY {
        return Some(date.tomorrow().ok()?.to_datetime(Time::midnight()));
    }
    let secs = t / 1_000_000_000;
    let time = Time::new(
        (secs / 3600) as i8,
        (secs / 60 % 60) as i8,
        (secs % 60) as i8,
        (t % 1_000_000_000) as i32,
    )
    .ok()?;
    Some(date.to_datetime(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::{
        DateException, DaySchedule, ExceptionKind, HourRange, WeeklySchedule,
    };

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    fn hr(start: &str, end: &str) -> HourRange {
        HourRange::parse(start, end).unwrap()
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn busy(start: &str, end: &str) -> Busy {
        Busy {
            start: ts(start),
            end: ts(end),
            joinable: false,
        }
    }

    fn group(start: &str, end: &str) -> Busy {
        Busy {
            joinable: true,
            ..busy(start, end)
        }
    }

    fn business(zone: &str) -> Availability {
        Availability::new(tz(zone), WeeklySchedule::default_business_hours(), vec![])
    }

    fn only_sunday(hours: HourRange) -> WeeklySchedule {
        WeeklySchedule {
            sunday: DaySchedule::open(vec![hours]),
            ..WeeklySchedule::default()
        }
    }

    /// 30-minute meetings every 30 minutes, no buffers, notice or horizon, `now` long before.
    fn query(window_start: &str, window_end: &str) -> SlotQuery {
        SlotQuery {
            window_start: ts(window_start),
            window_end: ts(window_end),
            now: ts("2026-01-01T00:00:00Z"),
            duration: mins(30),
            interval: mins(30),
            buffer_before: SignedDuration::ZERO,
            buffer_after: SignedDuration::ZERO,
            minimum_notice: SignedDuration::ZERO,
            horizon: None,
            method: Method::Anyone,
        }
    }

    fn one(a: &Availability, busy: &[Busy], q: &SlotQuery) -> Vec<Slot> {
        bookable_slots(
            q,
            &[Host {
                availability: a,
                busy,
            }],
        )
    }

    fn starts(slots: &[Slot]) -> Vec<String> {
        slots.iter().map(|s| s.start.to_string()).collect()
    }

    fn local_starts(slots: &[Slot], zone: &str) -> Vec<String> {
        let zone = tz(zone);
        slots
            .iter()
            .map(|s| {
                s.start
                    .to_zoned_datetime(zone.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn basic_weekday_slots() {
        let a = business("UTC");
        let q = SlotQuery {
            duration: mins(60),
            interval: mins(60),
            ..query("2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z")
        };
        let slots = one(&a, &[], &q);
        assert_eq!(slots.len(), 5 * 8, "Monday to Friday, 09:00 to 16:00");
        assert_eq!(
            starts(&slots[..8]),
            [
                "2026-03-02T09:00:00Z",
                "2026-03-02T10:00:00Z",
                "2026-03-02T11:00:00Z",
                "2026-03-02T12:00:00Z",
                "2026-03-02T13:00:00Z",
                "2026-03-02T14:00:00Z",
                "2026-03-02T15:00:00Z",
                "2026-03-02T16:00:00Z",
            ]
        );
        assert_eq!(starts(&slots[39..]), ["2026-03-06T16:00:00Z"]);
        assert!(slots
            .iter()
            .all(|s| s.end == s.start + mins(60) && s.free_hosts == [0] && s.joins.is_none()));
    }

    #[test]
    fn exceptions_block_open_and_partially_block_days() {
        let a = Availability::new(
            tz("UTC"),
            WeeklySchedule::default_business_hours(),
            vec![
                DateException {
                    date: date("2026-03-03"), // Tuesday
                    kind: ExceptionKind::Blocked,
                    hours: vec![],
                },
                DateException {
                    date: date("2026-03-04"), // Wednesday
                    kind: ExceptionKind::Blocked,
                    hours: vec![hr("12:00", "14:00")],
                },
                DateException {
                    date: date("2026-03-07"), // Saturday
                    kind: ExceptionKind::Available,
                    hours: vec![hr("10:00", "12:00"), hr("22:00", "24:00")],
                },
            ],
        );
        let q = SlotQuery {
            duration: mins(60),
            interval: mins(60),
            ..query("2026-03-03T00:00:00Z", "2026-03-09T00:00:00Z")
        };
        let all = starts(&one(&a, &[], &q));
        let on = |day: &str| -> Vec<&str> {
            all.iter()
                .filter(|s| s.starts_with(day))
                .map(|s| &s[11..16])
                .collect()
        };
        assert_eq!(on("2026-03-03"), Vec::<&str>::new());
        assert_eq!(
            on("2026-03-04"),
            ["09:00", "10:00", "11:00", "14:00", "15:00", "16:00"]
        );
        assert_eq!(on("2026-03-05").len(), 8);
        assert_eq!(
            on("2026-03-07"),
            ["10:00", "11:00", "22:00", "23:00"],
            "23:00 runs to 24:00"
        );
        assert_eq!(on("2026-03-08"), Vec::<&str>::new());
    }

    #[test]
    fn buffers_keep_distance_from_busy_time() {
        let a = business("UTC");
        let appointment = [busy("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")];
        let morning = |before: i64, after: i64| -> Vec<String> {
            let q = SlotQuery {
                buffer_before: mins(before),
                buffer_after: mins(after),
                ..query("2026-03-02T00:00:00Z", "2026-03-02T12:00:00Z")
            };
            starts(&one(&a, &appointment, &q))
        };
        assert_eq!(
            morning(0, 0),
            [
                "2026-03-02T09:00:00Z",
                "2026-03-02T09:30:00Z",
                "2026-03-02T11:00:00Z",
                "2026-03-02T11:30:00Z"
            ]
        );
        assert_eq!(
            morning(10, 10),
            ["2026-03-02T09:00:00Z", "2026-03-02T11:30:00Z"]
        );
        // Only the candidate's own buffers count: after it, and before it.
        assert_eq!(
            morning(0, 10),
            [
                "2026-03-02T09:00:00Z",
                "2026-03-02T11:00:00Z",
                "2026-03-02T11:30:00Z"
            ]
        );
        assert_eq!(
            morning(10, 0),
            [
                "2026-03-02T09:00:00Z",
                "2026-03-02T09:30:00Z",
                "2026-03-02T11:30:00Z"
            ]
        );
        assert_eq!(
            morning(-10, -10),
            morning(0, 0),
            "negative buffers count as none"
        );
    }

    #[test]
    fn overlapping_and_unsorted_busy_lists_are_all_respected() {
        let a = business("UTC");
        let q = query("2026-03-02T00:00:00Z", "2026-03-02T14:00:00Z");
        let nested = [
            busy("2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z"),
            busy("2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z"),
            busy("2026-03-02T12:30:00Z", "2026-03-02T13:00:00Z"),
        ];
        let expected = [
            "2026-03-02T12:00:00Z",
            "2026-03-02T13:00:00Z",
            "2026-03-02T13:30:00Z",
        ];
        assert_eq!(starts(&one(&a, &nested, &q)), expected);
        let mut reversed = nested;
        reversed.reverse();
        assert_eq!(starts(&one(&a, &reversed, &q)), expected);
    }

    #[test]
    fn minimum_notice_hides_starts_too_soon() {
        let a = business("UTC");
        let q = SlotQuery {
            now: ts("2026-03-02T09:05:00Z"),
            minimum_notice: mins(120),
            ..query("2026-03-02T00:00:00Z", "2026-03-02T13:00:00Z")
        };
        assert_eq!(
            starts(&one(&a, &[], &q)),
            [
                "2026-03-02T11:30:00Z",
                "2026-03-02T12:00:00Z",
                "2026-03-02T12:30:00Z"
            ]
        );
    }

    #[test]
    fn horizon_is_the_inclusive_latest_start() {
        let a = business("UTC");
        let q = SlotQuery {
            now: ts("2026-03-02T00:00:00Z"),
            horizon: Some(SignedDuration::from_hours(2 * 24 + 9)),
            duration: mins(60),
            interval: mins(60),
            ..query("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
        };
        let slots = one(&a, &[], &q);
        assert_eq!(slots.len(), 8 + 8 + 1);
        assert_eq!(slots.last().unwrap().start, ts("2026-03-04T09:00:00Z"));
    }

    #[test]
    fn window_bounds_starts_not_ends() {
        let a = business("UTC");
        let q = query("2026-03-02T10:00:00Z", "2026-03-02T11:45:00Z");
        let slots = one(&a, &[], &q);
        assert_eq!(
            starts(&slots),
            [
                "2026-03-02T10:00:00Z",
                "2026-03-02T10:30:00Z",
                "2026-03-02T11:00:00Z",
                "2026-03-02T11:30:00Z"
            ]
        );
        assert_eq!(
            slots[3].end,
            ts("2026-03-02T12:00:00Z"),
            "may end after the window"
        );
        let q = query("2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z");
        assert!(one(&a, &[], &q).is_empty());
    }

    #[test]
    fn interval_grid_is_anchored_at_the_range_start() {
        let weekly = WeeklySchedule {
            monday: DaySchedule::open(vec![hr("09:15", "12:00")]),
            tuesday: DaySchedule::open(vec![hr("09:00", "12:00"), hr("12:00", "13:00")]),
            ..WeeklySchedule::default()
        };
        let a = Availability::new(
            tz("UTC"),
            weekly.clone(),
            vec![DateException {
                date: date("2026-03-09"), // a Monday, partly blocked
                kind: ExceptionKind::Blocked,
                hours: vec![hr("09:15", "09:45")],
            }],
        );
        let q = SlotQuery {
            interval: mins(60),
            ..query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        };
        assert_eq!(
            starts(&one(&a, &[], &q)),
            [
                "2026-03-02T09:15:00Z",
                "2026-03-02T10:15:00Z",
                "2026-03-02T11:15:00Z"
            ]
        );
        // Touching ranges are one stretch: one grid, and a meeting may cross 12:00.
        let q = SlotQuery {
            duration: mins(60),
            interval: mins(90),
            ..query("2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z")
        };
        assert_eq!(
            starts(&one(&a, &[], &q)),
            [
                "2026-03-03T09:00:00Z",
                "2026-03-03T10:30:00Z",
                "2026-03-03T12:00:00Z"
            ]
        );
        // A partial block keeps the grid of the range it cuts.
        let q = SlotQuery {
            interval: mins(60),
            ..query("2026-03-09T00:00:00Z", "2026-03-10T00:00:00Z")
        };
        assert_eq!(
            starts(&one(&a, &[], &q)),
            ["2026-03-09T10:15:00Z", "2026-03-09T11:15:00Z"]
        );
    }

    #[test]
    fn joinable_group_appointment_is_offered_as_a_join() {
        let a = business("UTC");
        let base = SlotQuery {
            buffer_before: mins(10),
            buffer_after: mins(10),
            ..query("2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z")
        };
        let seats = [group("2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z")];
        let slots = one(&a, &seats, &base);
        assert_eq!(
            starts(&slots),
            [
                "2026-03-02T09:00:00Z",
                "2026-03-02T10:00:00Z",
                "2026-03-02T11:00:00Z",
                "2026-03-02T11:30:00Z"
            ]
        );
        assert_eq!(slots[1].joins, Some(0));
        assert_eq!(slots[1].free_hosts, [0]);
        assert!(slots
            .iter()
            .filter(|s| s.start != ts("2026-03-02T10:00:00Z"))
            .all(|s| s.joins.is_none()));

        // Another length, or other busy time inside it, is a plain conflict.
        let longer = [group("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")];
        assert!(!starts(&one(&a, &longer, &base)).contains(&"2026-03-02T10:00:00Z".to_owned()));
        let clash = [
            seats[0],
            busy("2026-03-02T10:20:00Z", "2026-03-02T10:25:00Z"),
        ];
        assert!(!starts(&one(&a, &clash, &base)).contains(&"2026-03-02T10:00:00Z".to_owned()));

        // With Everyone the others are not in the group, so it is busy time.
        let everyone = SlotQuery {
            method: Method::Everyone,
            ..base
        };
        assert_eq!(
            starts(&one(&a, &seats, &everyone)),
            [
                "2026-03-02T09:00:00Z",
                "2026-03-02T11:00:00Z",
                "2026-03-02T11:30:00Z"
            ]
        );
    }

    #[test]
    fn anyone_and_everyone_with_hosts_in_different_zones() {
        let berlin = business("Europe/Berlin"); // 09:00 CET = 08:00Z
        let new_york = business("America/New_York"); // 09:00 EST = 14:00Z
        let ny_busy = [busy("2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z")];
        let hosts = [
            Host {
                availability: &berlin,
                busy: &[],
            },
            Host {
                availability: &new_york,
                busy: &ny_busy,
            },
        ];
        let q = SlotQuery {
            duration: mins(60),
            interval: mins(60),
            ..query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        };
        let anyone: Vec<(String, Vec<usize>)> = bookable_slots(&q, &hosts)
            .into_iter()
            .map(|s| (s.start.to_string()[11..16].to_owned(), s.free_hosts))
            .collect();
        let expected: Vec<(String, Vec<usize>)> = [
            ("08:00", vec![0]),
            ("09:00", vec![0]),
            ("10:00", vec![0]),
            ("11:00", vec![0]),
            ("12:00", vec![0]),
            ("13:00", vec![0]),
            ("14:00", vec![0, 1]),
            ("15:00", vec![0]),
            ("16:00", vec![1]),
            ("17:00", vec![1]),
            ("18:00", vec![1]),
            ("19:00", vec![1]),
            ("20:00", vec![1]),
            ("21:00", vec![1]),
        ]
        .into_iter()
        .map(|(t, h)| (t.to_owned(), h))
        .collect();
        assert_eq!(anyone, expected);

        let everyone = SlotQuery {
            method: Method::Everyone,
            ..q.clone()
        };
        let slots = bookable_slots(&everyone, &hosts);
        assert_eq!(starts(&slots), ["2026-03-02T14:00:00Z"]);
        assert_eq!(slots[0].free_hosts, [0, 1]);

        // Kolkata's hours start at :30 UTC (09:00 IST = 03:30Z), so an hourly grid never meets
        // Berlin's.
        let kolkata = business("Asia/Kolkata");
        let grids_apart = [
            hosts[0],
            Host {
                availability: &kolkata,
                busy: &[],
            },
        ];
        assert!(bookable_slots(&everyone, &grids_apart).is_empty());
        assert_eq!(bookable_slots(&q, &grids_apart).len(), 16);
    }

    #[test]
    fn degenerate_queries_give_nothing() {
        let a = business("UTC");
        let q = query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z");
        assert!(bookable_slots(&q, &[]).is_empty());
        for bad in [
            SlotQuery {
                interval: SignedDuration::ZERO,
                ..q.clone()
            },
            SlotQuery {
                duration: mins(-30),
                ..q.clone()
            },
            SlotQuery {
                window_end: q.window_start,
                ..q.clone()
            },
            SlotQuery {
                horizon: Some(mins(-1)),
                now: q.window_start,
                ..q.clone()
            },
            SlotQuery {
                duration: mins(9 * 60),
                ..q.clone()
            },
        ] {
            assert!(one(&a, &[], &bad).is_empty(), "{bad:?}");
        }
    }

    // --- Daylight saving time. Berlin moves to +02:00 at 2026-03-29 01:00Z (02:00 local
    // becomes 03:00) and back to +01:00 at 2026-10-25 01:00Z (03:00 local becomes 02:00);
    // New York moves on 2026-03-08 and 2026-11-01.

    #[test]
    fn dst_weekday_hours_keep_their_local_times_in_spring() {
        let a = business("Europe/Berlin");
        let q = SlotQuery {
            duration: mins(60),
            interval: mins(60),
            ..query("2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z")
        };
        assert_eq!(
            starts(&one(&a, &[], &q)),
            [
                // Friday 2026-03-27, CET (+01:00).
                "2026-03-27T08:00:00Z",
                "2026-03-27T09:00:00Z",
                "2026-03-27T10:00:00Z",
                "2026-03-27T11:00:00Z",
                "2026-03-27T12:00:00Z",
                "2026-03-27T13:00:00Z",
                "2026-03-27T14:00:00Z",
                "2026-03-27T15:00:00Z",
                // Monday 2026-03-30, CEST (+02:00).
                "2026-03-30T07:00:00Z",
                "2026-03-30T08:00:00Z",
                "2026-03-30T09:00:00Z",
                "2026-03-30T10:00:00Z",
                "2026-03-30T11:00:00Z",
                "2026-03-30T12:00:00Z",
                "2026-03-30T13:00:00Z",
                "2026-03-30T14:00:00Z",
            ]
        );
    }

    #[test]
    fn dst_weekday_hours_keep_their_local_times_in_autumn() {
        let a = business("Europe/Berlin");
        let q = SlotQuery {
            duration: mins(60),
            interval: mins(60),
            ..query("2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z")
        };
        assert_eq!(
            starts(&one(&a, &[], &q)),
            [
                // Friday 2026-10-23, CEST (+02:00).
                "2026-10-23T07:00:00Z",
                "2026-10-23T08:00:00Z",
                "2026-10-23T09:00:00Z",
                "2026-10-23T10:00:00Z",
                "2026-10-23T11:00:00Z",
                "2026-10-23T12:00:00Z",
                "2026-10-23T13:00:00Z",
                "2026-10-23T14:00:00Z",
                // Monday 2026-10-26, CET (+01:00).
                "2026-10-26T08:00:00Z",
                "2026-10-26T09:00:00Z",
                "2026-10-26T10:00:00Z",
                "2026-10-26T11:00:00Z",
                "2026-10-26T12:00:00Z",
                "2026-10-26T13:00:00Z",
                "2026-10-26T14:00:00Z",
                "2026-10-26T15:00:00Z",
            ]
        );
    }

    #[test]
    fn dst_spring_forward_night_skips_the_missing_hour() {
        let a = Availability::new(
            tz("Europe/Berlin"),
            only_sunday(hr("00:00", "05:00")),
            vec![],
        );
        let hourly = SlotQuery {
            interval: mins(60),
            ..query("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z")
        };
        let slots = one(&a, &[], &hourly);
        assert_eq!(
            starts(&slots),
            [
                "2026-03-28T23:00:00Z",
                "2026-03-29T00:00:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T02:00:00Z"
            ]
        );
        assert_eq!(
            local_starts(&slots, "Europe/Berlin"),
            [
                "2026-03-29T00:00:00+01:00",
                "2026-03-29T01:00:00+01:00",
                "2026-03-29T03:00:00+02:00",
                "2026-03-29T04:00:00+02:00",
            ]
        );
        // Every half hour: 02:00 and 02:30 do not exist, and the instants run on unbroken.
        let half_hourly = query("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z");
        let slots = one(&a, &[], &half_hourly);
        assert_eq!(
            starts(&slots),
            [
                "2026-03-28T23:00:00Z",
                "2026-03-28T23:30:00Z",
                "2026-03-29T00:00:00Z",
                "2026-03-29T00:30:00Z",
                "2026-03-29T01:00:00Z",
                "2026-03-29T01:30:00Z",
                "2026-03-29T02:00:00Z",
                "2026-03-29T02:30:00Z",
            ]
        );
        assert!(local_starts(&slots, "Europe/Berlin")
            .iter()
            .all(|s| !s.contains("T02:")));
    }

    #[test]
    fn dst_fall_back_night_offers_the_repeated_hour_once() {
        let a = Availability::new(
            tz("Europe/Berlin"),
            only_sunday(hr("00:00", "05:00")),
            vec![],
        );
        let q = SlotQuery {
            interval: mins(60),
            ..query("2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z")
        };
        let slots = one(&a, &[], &q);
        assert_eq!(
            starts(&slots),
            [
                "2026-10-24T22:00:00Z",
                "2026-10-24T23:00:00Z",
                "2026-10-25T00:00:00Z",
                "2026-10-25T02:00:00Z",
                "2026-10-25T03:00:00Z",
            ]
        );
        assert_eq!(
            local_starts(&slots, "Europe/Berlin"),
            [
                "2026-10-25T00:00:00+02:00",
                "2026-10-25T01:00:00+02:00",
                "2026-10-25T02:00:00+02:00",
                "2026-10-25T03:00:00+01:00",
                "2026-10-25T04:00:00+01:00",
            ]
        );
    }

    #[test]
    fn dst_range_ends_when_the_clock_first_reaches_the_end() {
        let spring = Availability::new(
            tz("Europe/Berlin"),
            only_sunday(hr("00:00", "02:30")),
            vec![],
        );
        // 02:30 never shows: the range ends at the jump, 03:00 CEST = 01:00Z.
        let q = query("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z");
        assert_eq!(
            starts(&one(&spring, &[], &q)),
            [
                "2026-03-28T23:00:00Z",
                "2026-03-28T23:30:00Z",
                "2026-03-29T00:00:00Z",
                "2026-03-29T00:30:00Z"
            ]
        );
        // A 45-minute meeting from 01:30 CET would run to 03:15 CEST, past the jump.
        let q45 = SlotQuery {
            duration: mins(45),
            ..query("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z")
        };
        assert_eq!(
            starts(&one(&spring, &[], &q45)),
            [
                "2026-03-28T23:00:00Z",
                "2026-03-28T23:30:00Z",
                "2026-03-29T00:00:00Z"
            ]
        );
        // 02:30 shows twice: the range ends at the first, 02:30 CEST = 00:30Z.
        let autumn = Availability::new(
            tz("Europe/Berlin"),
            only_sunday(hr("00:00", "02:30")),
            vec![],
        );
        let q = query("2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z");
        assert_eq!(
            starts(&one(&autumn, &[], &q)),
            [
                "2026-10-24T22:00:00Z",
                "2026-10-24T22:30:00Z",
                "2026-10-24T23:00:00Z",
                "2026-10-24T23:30:00Z",
                "2026-10-25T00:00:00Z",
            ]
        );
    }

    #[test]
    fn dst_berlin_slots_rendered_in_new_york() {
        let a = business("Europe/Berlin");
        let q = SlotQuery {
            duration: mins(60),
            interval: mins(120),
            ..query("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z")
        };
        // Both on standard time: six hours apart.
        assert_eq!(
            local_starts(&one(&a, &[], &q), "America/New_York"),
            [
                "2026-03-02T03:00:00-05:00",
                "2026-03-02T05:00:00-05:00",
                "2026-03-02T07:00:00-05:00",
                "2026-03-02T09:00:00-05:00",
            ]
        );
        // New York on summer time, Berlin not yet: five hours apart.
        let q = SlotQuery {
            window_start: ts("2026-03-23T00:00:00Z"),
            window_end: ts("2026-03-24T00:00:00Z"),
            ..q
        };
        assert_eq!(
            local_starts(&one(&a, &[], &q), "America/New_York"),
            [
                "2026-03-23T04:00:00-04:00",
                "2026-03-23T06:00:00-04:00",
                "2026-03-23T08:00:00-04:00",
                "2026-03-23T10:00:00-04:00",
            ]
        );
        // Both on summer time: six hours apart again.
        let q = SlotQuery {
            window_start: ts("2026-03-30T00:00:00Z"),
            window_end: ts("2026-03-31T00:00:00Z"),
            ..q
        };
        let slots = one(&a, &[], &q);
        assert_eq!(
            starts(&slots),
            [
                "2026-03-30T07:00:00Z",
                "2026-03-30T09:00:00Z",
                "2026-03-30T11:00:00Z",
                "2026-03-30T13:00:00Z"
            ]
        );
        assert_eq!(
            local_starts(&slots, "America/New_York"),
            [
                "2026-03-30T03:00:00-04:00",
                "2026-03-30T05:00:00-04:00",
                "2026-03-30T07:00:00-04:00",
                "2026-03-30T09:00:00-04:00",
            ]
        );
    }

    #[test]
    fn day_clock_takes_the_fast_path_only_on_plain_days() {
        let berlin = tz("Europe/Berlin");
        for (day, fixed) in [
            ("2026-03-28", true),
            ("2026-03-29", false),
            ("2026-10-25", false),
            ("2026-10-26", true),
        ] {
            let clock = DayClock::new(&berlin, date(day));
            assert_eq!(matches!(clock, DayClock::Fixed { .. }), fixed, "{day}");
        }
        // Santiago changes clocks at midnight: the day before is not plain either.
        let santiago = tz("America/Santiago");
        assert!(matches!(
            DayClock::new(&santiago, date("2026-04-04")),
            DayClock::Varying { .. }
        ));
    }
}

/// Property tests: random schedules, exceptions, busy lists and parameters, across DST changes
/// in several zones, checked against the rules and against a slow reference implementation.
#[cfg(test)]
mod props {
    use std::collections::BTreeMap;

    use jiff::civil::Weekday;
    use jiff::ToSpan;
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;
    use crate::availability::{
        DateException, DaySchedule, ExceptionKind, HourRange, WeeklySchedule,
    };

    const ZONES: &[&str] = &[
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "America/St_Johns",
        // A 30-minute DST shift.
        "Australia/Lord_Howe",
        // Clocks change at midnight.
        "America/Santiago",
    ];

    /// Window bases near DST changes of the zones above (and one far from any).
    const BASES: &[&str] = &[
        "2026-03-05",
        "2026-03-26",
        "2026-04-01",
        "2026-06-10",
        "2026-09-03",
        "2026-10-01",
        "2026-10-22",
        "2026-10-29",
    ];

    #[derive(Debug, Clone)]
    struct HostCase {
        zone: &'static str,
        weekly: WeeklySchedule,
        exceptions: Vec<DateException>,
        busy: Vec<Busy>,
    }

    #[derive(Debug, Clone)]
    struct Case {
        query: SlotQuery,
        hosts: Vec<HostCase>,
    }

    /// Possibly unsorted and overlapping, as hand-built ones may be.
    /// A minute of the day on a 5-minute grid, often one where DST changes happen (00:00 for
    /// Santiago, 02:00 to 03:00 elsewhere) or the day ends.
    fn arb_minute() -> impl Strategy<Value = u16> {
        prop_oneof![
            3 => (0u16..=288).prop_map(|m| m * 5),
            1 => select(&[0u16, 60, 90, 120, 150, 180, 210, 1410, 1440][..]),
        ]
    }

    /// Possibly unsorted and overlapping, as hand-built ones may be.
    fn arb_hours() -> impl Strategy<Value = Vec<HourRange>> {
        prop::collection::vec((arb_minute(), arb_minute()), 0..4).prop_map(|v| {
            v.into_iter()
                .filter_map(|(a, b)| HourRange::new(a.min(b), a.max(b)))
                .collect()
        })
    }

    type RawHost = (
        &'static str,
        Vec<(bool, Vec<HourRange>)>,
        Vec<(i64, bool, Vec<HourRange>)>,
        Vec<(i64, i64, u8)>,
    );

    fn arb_host() -> impl Strategy<Value = RawHost> {
        (
            select(ZONES),
            prop::collection::vec((prop::bool::weighted(0.8), arb_hours()), 7),
            prop::collection::vec((0i64..16, any::<bool>(), arb_hours()), 0..5),
            // (start minute from the base minus a day, length in minutes, kind)
            prop::collection::vec((0i64..16 * 1440, 0i64..240, 0u8..10), 0..40),
        )
    }

    prop_compose! {
        fn arb_case()(
            base in select(BASES),
            start_off in 0i64..2880,
            len_min in 60i64..12 * 1440,
            duration in select(&[7i64, 15, 30, 45, 60, 90][..]),
            interval in select(&[5i64, 7, 10, 15, 20, 30, 45, 60, 120][..]),
            before in 0i64..25,
            after in 0i64..25,
            notice in 0i64..3000,
            horizon in prop::option::of(0i64..20_000),
            now_off in -3000i64..6000,
            everyone in prop::bool::weighted(0.3),
            hosts in prop::collection::vec(arb_host(), 1..3),
        ) -> Case {
            let base_date: Date = base.parse().unwrap();
            let base_ts = base_date.to_zoned_datetime(TimeZone::UTC).unwrap().timestamp();
            let at = |m: i64| base_ts + SignedDuration::from_mins(m);
            let hosts = hosts
                .into_iter()
                .map(|(zone, days, exceptions, busy)| {
                    let mut weekly = WeeklySchedule::default();
                    for (wd, (enabled, hours)) in
                        [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday,
                         Weekday::Friday, Weekday::Saturday, Weekday::Sunday].into_iter().zip(days)
                    {
                        *weekly.day_mut(wd) = DaySchedule { enabled, hours };
                    }
                    let exceptions = exceptions
                        .into_iter()
                        .map(|(day, blocked, hours)| DateException {
                            date: base_date.checked_add(day.days()).unwrap(),
                            kind: if blocked { ExceptionKind::Blocked } else { ExceptionKind::Available },
                            hours,
                        })
                        .collect();
                    let mut busy: Vec<Busy> = busy
                        .into_iter()
                        .map(|(start, len, kind)| match kind {
                            // A group appointment lined up on a quarter hour, the meeting's length.
                            8 | 9 => Busy {
                                start: at(start / 15 * 15 - 1440),
                                end: at(start / 15 * 15 - 1440 + duration),
                                joinable: true,
                            },
                            _ => Busy { start: at(start - 1440), end: at(start - 1440 + len), joinable: kind >= 6 },
                        })
                        .collect();
                    busy.sort_by_key(|b| b.start);
                    HostCase { zone, weekly, exceptions, busy }
                })
                .collect();
            Case {
                query: SlotQuery {
                    window_start: at(start_off),
                    window_end: at(start_off + len_min),
                    now: at(now_off),
                    duration: SignedDuration::from_mins(duration),
                    interval: SignedDuration::from_mins(interval),
                    buffer_before: SignedDuration::from_mins(before),
                    buffer_after: SignedDuration::from_mins(after),
                    minimum_notice: SignedDuration::from_mins(notice),
                    horizon: horizon.map(SignedDuration::from_mins),
                    method: if everyone { Method::Everyone } else { Method::Anyone },
                },
                hosts,
            }
        }
    }

    fn allowed_start(q: &SlotQuery, s: Timestamp) -> bool {
        s >= q.window_start
            && s < q.window_end
            && s >= q.now + q.minimum_notice
            && q.horizon.is_none_or(|h| s <= q.now + h)
    }

    fn conflict_free(q: &SlotQuery, busy: &[Busy], s: Timestamp, e: Timestamp) -> Option<bool> {
        let lo = s - q.buffer_before.max(SignedDuration::ZERO);
        let hi = e + q.buffer_after.max(SignedDuration::ZERO);
        let mut joins = false;
        for b in busy
            .iter()
            .filter(|b| b.end > b.start && b.start < hi && b.end > lo)
        {
            if q.method == Method::Anyone && b.joinable && b.start == s && b.end == e {
                joins = true;
            } else {
                return None;
            }
        }
        Some(joins)
    }

    /// The same rules, written the slow and obvious way: civil-time arithmetic, one time-zone
    /// lookup per candidate, a linear scan of the busy list.
    fn reference(q: &SlotQuery, hosts: &[Host<'_>]) -> Vec<Slot> {
        if q.duration <= SignedDuration::ZERO
            || q.interval <= SignedDuration::ZERO
            || hosts.is_empty()
        {
            return Vec::new();
        }
        let mut free: BTreeMap<Timestamp, Vec<(usize, bool)>> = BTreeMap::new();
        for (h, host) in hosts.iter().enumerate() {
            let tz = host.availability.time_zone();
            let mut date = q
                .window_start
                .to_zoned_datetime(tz.clone())
                .date()
                .checked_sub(2.days())
                .unwrap();
            let last = q
                .window_end
                .to_zoned_datetime(tz.clone())
                .date()
                .checked_add(2.days())
                .unwrap();
            while date <= last {
                let midnight = date.to_datetime(Time::midnight());
                let at = |m: u16| {
                    midnight
                        .checked_add(SignedDuration::from_mins(i64::from(m)))
                        .unwrap()
                };
                for r in host.availability.open_ranges_on(date) {
                    let (start_dt, end_dt) = (at(r.hours.start_minute()), at(r.hours.end_minute()));
                    let amb = tz.to_ambiguous_timestamp(end_dt);
                    let end = match amb.offset() {
                        AmbiguousOffset::Gap { .. } => {
                            let after_gap = amb.later().unwrap() + SignedDuration::from_nanos(1);
                            tz.preceding(after_gap).next().unwrap().timestamp()
                        }
                        _ => amb.earlier().unwrap(),
                    };
                    let mut dt = at(r.grid_anchor);
                    while dt < end_dt {
                        let amb = tz.to_ambiguous_timestamp(dt);
                        if dt >= start_dt && !matches!(amb.offset(), AmbiguousOffset::Gap { .. }) {
                            let s = amb.earlier().unwrap();
                            let e = s + q.duration;
                            if e <= end && allowed_start(q, s) {
                                if let Some(joins) = conflict_free(q, host.busy, s, e) {
                                    free.entry(s).or_default().push((h, joins));
                                }
                            }
                        }
                        dt = dt.checked_add(q.interval).unwrap();
                    }
                }
                date = date.tomorrow().unwrap();
            }
        }
        free.into_iter()
            .filter(|(_, hs)| q.method == Method::Anyone || hs.len() == hosts.len())
            .map(|(s, mut hs)| {
                hs.sort_unstable();
                Slot {
                    start: s,
                    end: s + q.duration,
                    free_hosts: hs.iter().map(|&(h, _)| h).collect(),
                    joins: hs.iter().find(|&&(_, j)| j).map(|&(h, _)| h),
                }
            })
            .collect()
    }

    fn check_rules(
        q: &SlotQuery,
        cases: &[HostCase],
        hosts: &[Host<'_>],
        slots: &[Slot],
    ) -> Result<(), TestCaseError> {
        // (d) sorted and unique.
        prop_assert!(slots.windows(2).all(|w| w[0].start < w[1].start));
        for slot in slots {
            prop_assert_eq!(slot.end, slot.start + q.duration);
            // (c) window, notice and horizon.
            prop_assert!(
                allowed_start(q, slot.start),
                "{slot:?} outside the allowed starts"
            );
            prop_assert!(!slot.free_hosts.is_empty());
            if q.method == Method::Everyone {
                prop_assert_eq!(&slot.free_hosts, &(0..hosts.len()).collect::<Vec<_>>());
                prop_assert_eq!(slot.joins, None);
            }
            if let Some(j) = slot.joins {
                prop_assert!(slot.free_hosts.contains(&j));
                prop_assert!(hosts[j]
                    .busy
                    .iter()
                    .any(|b| b.joinable && b.start == slot.start && b.end == slot.end));
            }
            for &h in &slot.free_hosts {
                let (host, case) = (&hosts[h], &cases[h]);
                // (a) no overlap with busy time widened by the buffers, except an exact joinable.
                let lo = slot.start - q.buffer_before;
                let hi = slot.end + q.buffer_after;
                for b in host
                    .busy
                    .iter()
                    .filter(|b| b.end > b.start && b.start < hi && b.end > lo)
                {
                    prop_assert!(
                        q.method == Method::Anyone
                            && b.joinable
                            && b.start == slot.start
                            && b.end == slot.end,
                        "{slot:?} collides with {b:?} of host {h}"
                    );
                }
                // (b) inside the open hours of the slot's local date: it starts at or after a
                // range's start, and the clock stays before the range's end until it ends.
                let tz = host.availability.time_zone();
                let local_start = slot.start.to_zoned_datetime(tz.clone()).datetime();
                let local_last = (slot.end - SignedDuration::from_nanos(1))
                    .to_zoned_datetime(tz.clone())
                    .datetime();
                let date = local_start.date();
                let midnight = date.to_datetime(Time::midnight());
                let at = |m: u16| {
                    midnight
                        .checked_add(SignedDuration::from_mins(i64::from(m)))
                        .unwrap()
                };
                let hours = host.availability.hours_on(date);
                prop_assert!(
                    hours
                        .iter()
                        .any(|r| at(r.start_minute()) <= local_start
                            && local_last < at(r.end_minute())),
                    "{slot:?} ({local_start} to {local_last}) outside {hours:?} for host {h}"
                );
                // (e) on the interval grid from the start of a range that the schedule or an
                // "available" exception names.
                let mut anchors: Vec<u16> = match case.exceptions.iter().find(|e| e.date == date) {
                    Some(e) if e.kind == ExceptionKind::Available => {
                        e.hours.iter().map(|r| r.start_minute()).collect()
                    }
                    _ => case
                        .weekly
                        .day(date.weekday())
                        .hours
                        .iter()
                        .map(|r| r.start_minute())
                        .collect(),
                };
                anchors.sort_unstable();
                let since_midnight = local_start
                    .time()
                    .duration_since(Time::midnight())
                    .as_nanos();
                let interval = q.interval.as_nanos();
                prop_assert!(
                    anchors.iter().any(|&a| {
                        let off = since_midnight - i128::from(a) * i128::from(NS_PER_MINUTE);
                        off >= 0 && off % interval == 0
                    }),
                    "{slot:?} ({local_start}) off the grid from {anchors:?}"
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn slots_obey_the_rules_and_match_the_reference(case in arb_case()) {
            let availabilities: Vec<Availability> = case
                .hosts
                .iter()
                .map(|h| Availability::new(TimeZone::get(h.zone).unwrap(), h.weekly.clone(), h.exceptions.clone()))
                .collect();
            let hosts: Vec<Host<'_>> = availabilities
                .iter()
                .zip(&case.hosts)
                .map(|(a, h)| Host { availability: a, busy: &h.busy })
                .collect();
            let slots = bookable_slots(&case.query, &hosts);
            check_rules(&case.query, &case.hosts, &hosts, &slots)?;
            // A listing offers the same starts, with or without group appointments to join.
            let offers = |slots: &[Slot]| slots.iter().map(|s| Offer { start: s.start, joins: s.joins }).collect::<Vec<_>>();
            prop_assert_eq!(bookable_starts(&case.query, &hosts), offers(&slots));
            let plain: Vec<Vec<Busy>> = case.hosts.iter()
                .map(|h| h.busy.iter().map(|b| Busy { joinable: false, ..*b }).collect())
                .collect();
            let plain_hosts: Vec<Host<'_>> = hosts.iter().zip(&plain).map(|(h, b)| Host { busy: b, ..*h }).collect();
            prop_assert_eq!(bookable_starts(&case.query, &plain_hosts), offers(&bookable_slots(&case.query, &plain_hosts)));
            prop_assert_eq!(slots, reference(&case.query, &hosts));
        }
    }
}
