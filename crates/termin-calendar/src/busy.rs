//! Busy time out of iCalendar data (RFC 5545).
//!
//! Every event becomes the instants it occupies, within a window:
//!
//! - A time with `TZID` is read in that zone: its IANA name when it has one (also when it only
//!   ends with one, as Mozilla's do), else the rules of its `VTIMEZONE`. A time without a zone
//!   (floating) and an all-day event are read in the host's zone, so an all-day event takes the
//!   host's whole day, whatever the day's length.
//! - A recurring event is expanded in its own zone's wall time, so a weekly 09:00 stays at 09:00
//!   across a DST change. `EXDATE` removes occurrences, `RDATE` adds some, and an override with
//!   `RECURRENCE-ID` replaces the occurrence it names (moved, shortened, or cancelled).
//! - An event does not make the host busy when it is `TRANSP:TRANSPARENT`, `STATUS:CANCELLED`,
//!   declined by the host (an `ATTENDEE` with one of the host's addresses and
//!   `PARTSTAT=DECLINED`), or one of the host's own termin appointments (the caller names their
//!   UIDs, `{appointmentId}@termin`): those are counted once, from termin's own table.

use std::collections::HashMap;

use icalendar::parser::{Component, Property};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::zones;

/// One busy interval, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusySpan {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// How to read a calendar: the host's zone, the host's addresses (lower case), and the window
/// whose busy time is wanted.
pub struct BusyOptions<'a> {
    pub host_zone: &'a TimeZone,
    pub owner_emails: &'a [String],
    pub from: Timestamp,
    pub to: Timestamp,
    /// UIDs of events that are the host's own termin appointments (`{appointmentId}@termin`),
    /// counted from termin's own table: left out here. Another user's termin appointment in
    /// this calendar (an invitation the host received as an attendee) still counts.
    pub own_uids: &'a std::collections::HashSet<String>,
}

/// At most this many occurrences of one series are looked at (a daily event from 1990 has
/// about 13,000 by 2026), so a rule without end cannot keep a sync busy.
const MAX_OCCURRENCES: usize = 50_000;
/// And at most this many in one call, over all its series: a feed of many high-frequency
/// series is cut short (and says so in the log) instead of taking the CPU for minutes.
const MAX_TOTAL_OCCURRENCES: usize = 2_000_000;

/// The busy spans of the events in `ics` (one or more `VCALENDAR`s) that touch the window,
/// clipped to it and sorted. Events that cannot be read are skipped (and logged); only text
/// that is not iCalendar at all is an error.
pub fn busy_spans(ics: &str, opts: &BusyOptions<'_>) -> Result<Vec<BusySpan>, String> {
    let unfolded = icalendar::parser::unfold(ics);
    let roots = icalendar::parser::read_components(&unfolded)
        .map_err(|_| "the calendar data is not valid iCalendar".to_owned())?;
    let mut events = Vec::new();
    let mut timezones = Vec::new();
    for root in &roots {
        collect(root, &mut events, &mut timezones);
    }
    let zones = zones::Zones::new(&timezones);
    let reader = Reader {
        zones: &zones,
        opts,
        budget: std::cell::Cell::new(MAX_TOTAL_OCCURRENCES),
    };
    // The master event and its overrides share a UID. An event without one stands alone.
    let mut series: HashMap<String, Series> = HashMap::new();
    for (i, component) in events.into_iter().enumerate() {
        let Some(event) = reader.event(component) else {
            continue;
        };
        if opts.own_uids.contains(&event.uid) {
            continue;
        }
        let key = if event.uid.is_empty() {
            format!("\u{0}{i}")
        } else {
            event.uid.clone()
        };
        let entry = series.entry(key).or_default();
        match event.recurrence_id.clone() {
            Some(id) => {
                let at = reader.instant(&id);
                entry.overrides.push((at, event));
            }
            // Two masters with one UID (against the RFC, but seen): both count.
            None => entry.masters.push(event),
        }
    }
    let mut spans = Vec::new();
    for s in series.values() {
        reader.expand(s, &mut spans);
    }
    spans.sort_unstable();
    spans.dedup();
    Ok(spans)
}

fn collect<'c, 'a>(
    c: &'c Component<'a>,
    events: &mut Vec<&'c Component<'a>>,
    zones: &mut Vec<&'c Component<'a>>,
) {
    let name = c.name.as_str();
    if name.eq_ignore_ascii_case("VEVENT") {
        events.push(c);
    } else if name.eq_ignore_ascii_case("VTIMEZONE") {
        zones.push(c);
    } else {
        for inner in &c.components {
            collect(inner, events, zones);
        }
    }
}

/// A time as written: a date (all-day), or a wall time in a zone.
#[derive(Debug, Clone)]
enum When {
    Date(Date),
    Wall(DateTime, TimeZone),
}

/// How long each occurrence lasts: whole days of the calendar (a DST day is 23 or 25 hours),
/// then exact time.
#[derive(Debug, Clone, Copy, Default)]
struct Length {
    days: i64,
    exact: SignedDuration,
}

#[derive(Debug)]
struct Event {
    uid: String,
    start: When,
    length: Length,
    rrule: Option<String>,
    rdates: Vec<When>,
    exdates: Vec<When>,
    recurrence_id: Option<When>,
    busy: bool,
}

#[derive(Default)]
struct Series {
    masters: Vec<Event>,
    overrides: Vec<(Option<Timestamp>, Event)>,
}

struct Reader<'r> {
    zones: &'r zones::Zones,
    opts: &'r BusyOptions<'r>,
    /// Occurrences this call may still look at.
    budget: std::cell::Cell<usize>,
}

fn prop<'c, 'a>(c: &'c Component<'a>, name: &str) -> Option<&'c Property<'a>> {
    c.properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn props<'c, 'a: 'c>(
    c: &'c Component<'a>,
    name: &'c str,
) -> impl Iterator<Item = &'c Property<'a>> + 'c {
    c.properties
        .iter()
        .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn param<'p>(p: &'p Property<'_>, key: &str) -> Option<&'p str> {
    p.params
        .iter()
        .find(|q| q.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|q| q.val.as_ref())
        .map(|v| v.as_str().trim_matches('"'))
}

impl Reader<'_> {
    fn event(&self, c: &Component<'_>) -> Option<Event> {
        let uid = prop(c, "UID")
            .map(|p| p.val.as_str().trim().to_owned())
            .unwrap_or_default();
        let Some(start) = prop(c, "DTSTART").and_then(|p| self.when(p).into_iter().next()) else {
            tracing::debug!(%uid, "an event without a readable DTSTART is skipped");
            return None;
        };
        let length =
            if let Some(end) = prop(c, "DTEND").and_then(|p| self.when(p).into_iter().next()) {
                match (&start, &end) {
                    (When::Date(s), When::Date(e)) => Length {
                        days: (*e - *s).get_days() as i64,
                        exact: SignedDuration::ZERO,
                    },
                    _ => {
                        let (s, e) = (self.instant(&start)?, self.instant(&end)?);
                        Length {
                            days: 0,
                            exact: e.duration_since(s),
                        }
                    }
                }
            } else if let Some(d) = prop(c, "DURATION") {
                parse_duration(d.val.as_str())?
            } else if matches!(start, When::Date(_)) {
                Length {
                    days: 1,
                    exact: SignedDuration::ZERO,
                }
            } else {
                Length::default()
            };
        let status = prop(c, "STATUS").map(|p| p.val.as_str().trim().to_ascii_uppercase());
        let transparent = prop(c, "TRANSP")
            .is_some_and(|p| p.val.as_str().trim().eq_ignore_ascii_case("TRANSPARENT"));
        let declined = props(c, "ATTENDEE").any(|a| {
            let address = a.val.as_str().trim();
            let address = address
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("mailto:"))
                .map_or(address, |_| &address[7..]);
            self.opts
                .owner_emails
                .iter()
                .any(|e| e.eq_ignore_ascii_case(address))
                && param(a, "PARTSTAT").is_some_and(|s| s.eq_ignore_ascii_case("DECLINED"))
        });
        let busy = status.as_deref() != Some("CANCELLED") && !transparent && !declined;
        Some(Event {
            uid,
            start,
            length,
            rrule: prop(c, "RRULE").map(|p| p.val.as_str().trim().to_owned()),
            rdates: props(c, "RDATE").flat_map(|p| self.when(p)).collect(),
            exdates: props(c, "EXDATE").flat_map(|p| self.when(p)).collect(),
            recurrence_id: prop(c, "RECURRENCE-ID").and_then(|p| self.when(p).into_iter().next()),
            busy,
        })
    }

    /// The times of a date or date-time property (EXDATE and RDATE may list several; a PERIOD
    /// counts by its start).
    fn when(&self, p: &Property<'_>) -> Vec<When> {
        let date_only = param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        let zone = param(p, "TZID").map(|id| self.zones.get(id));
        p.val
            .as_str()
            .split(',')
            .filter_map(|raw| {
                let raw = raw.trim();
                let raw = raw.split_once('/').map_or(raw, |(start, _)| start);
                if date_only || raw.len() == 8 {
                    return Date::strptime("%Y%m%d", raw).ok().map(When::Date);
                }
                let (wall, utc) = match raw.strip_suffix(['Z', 'z']) {
                    Some(w) => (w, true),
                    None => (raw, false),
                };
                let wall = DateTime::strptime("%Y%m%dT%H%M%S", wall).ok()?;
                let tz = if utc {
                    TimeZone::UTC
                } else {
                    match &zone {
                        Some(Some(tz)) => tz.clone(),
                        // Floating, or a zone nobody can read: the host's wall time.
                        _ => self.opts.host_zone.clone(),
                    }
                };
                Some(When::Wall(wall, tz))
            })
            .collect()
    }

    fn instant(&self, w: &When) -> Option<Timestamp> {
        match w {
            When::Date(d) => d
                .to_zoned_datetime(self.opts.host_zone.clone())
                .ok()
                .map(|z| z.timestamp()),
            When::Wall(dt, tz) => tz.to_ambiguous_timestamp(*dt).compatible().ok(),
        }
    }

    /// The span of one occurrence starting at `start`.
    fn span(&self, start: &When, length: Length) -> Option<BusySpan> {
        let begin = self.instant(start)?;
        let end = if length.days == 0 {
            begin.checked_add(length.exact).ok()?
        } else {
            let shifted = match start {
                When::Date(d) => {
                    When::Date(d.checked_add(jiff::Span::new().days(length.days)).ok()?)
                }
                When::Wall(dt, tz) => When::Wall(
                    dt.checked_add(jiff::Span::new().days(length.days)).ok()?,
                    tz.clone(),
                ),
            };
            self.instant(&shifted)?.checked_add(length.exact).ok()?
        };
        (end > begin).then_some(BusySpan { start: begin, end })
    }

    fn push(&self, span: Option<BusySpan>, out: &mut Vec<BusySpan>) {
        if let Some(s) = span {
            let (from, to) = (self.opts.from, self.opts.to);
            if s.start < to && s.end > from {
                out.push(BusySpan {
                    start: s.start.max(from),
                    end: s.end.min(to),
                });
            }
        }
    }

    fn expand(&self, series: &Series, out: &mut Vec<BusySpan>) {
        // Each override stands for itself: moved, changed or cancelled.
        for (_, o) in &series.overrides {
            if o.busy {
                self.push(self.span(&o.start, o.length), out);
            }
        }
        for master in series.masters.iter().filter(|m| m.busy) {
            self.expand_master(series, master, out);
        }
    }

    fn expand_master(&self, series: &Series, master: &Event, out: &mut Vec<BusySpan>) {
        let replaced: Vec<Timestamp> = series.overrides.iter().filter_map(|(at, _)| *at).collect();
        let excluded: Vec<Timestamp> = master
            .exdates
            .iter()
            .filter_map(|w| self.instant(w))
            .collect();
        let mut starts: Vec<When> = Vec::new();
        match &master.rrule {
            Some(rule) => match self.occurrences(master, rule) {
                Some(found) => starts.extend(found),
                None => starts.push(master.start.clone()),
            },
            None => starts.push(master.start.clone()),
        }
        starts.extend(master.rdates.iter().cloned());
        for start in &starts {
            let Some(at) = self.instant(start) else {
                continue;
            };
            if excluded.contains(&at) || replaced.contains(&at) {
                continue;
            }
            self.push(self.span(start, master.length), out);
        }
    }

    /// The starts of `master`'s recurrence up to the window's end, in its own wall time. The
    /// rule is expanded on wall times (as if in UTC, which has no DST) and each is then placed
    /// in the event's zone: that is what RFC 5545 means by a recurrence in local time.
    fn occurrences(&self, master: &Event, rule: &str) -> Option<Vec<When>> {
        use chrono::TimeZone as _;
        let (wall, zone) = match &master.start {
            When::Date(d) => (d.to_datetime(jiff::civil::Time::midnight()), None),
            When::Wall(dt, tz) => (*dt, Some(tz.clone())),
        };
        let rule = wall_until(rule, zone.as_ref());
        let parsed: rrule::RRule<rrule::Unvalidated> = match rule.parse() {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(uid = %master.uid, error = %e, "a recurrence rule termin cannot read counts once");
                return None;
            }
        };
        let start = rrule::Tz::UTC
            .with_ymd_and_hms(
                wall.year().into(),
                wall.month() as u32,
                wall.day() as u32,
                wall.hour() as u32,
                wall.minute() as u32,
                wall.second() as u32,
            )
            .single()?;
        let set = match parsed.build(start) {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(uid = %master.uid, error = %e, "a recurrence rule termin cannot use counts once");
                return None;
            }
        };
        // Wall times at or after this cannot start an occurrence inside the window (a day of
        // slack for the widest zone offset).
        let horizon = self
            .opts
            .to
            .checked_add(SignedDuration::from_hours(28))
            .ok()?;
        let last = horizon.to_zoned_datetime(TimeZone::UTC).datetime();
        let mut found = Vec::new();
        for occurrence in set.into_iter().take(MAX_OCCURRENCES) {
            let left = self.budget.get();
            if left == 0 {
                tracing::warn!(uid = %master.uid, "a calendar with more recurring occurrences than termin reads at once: the rest are left out");
                break;
            }
            self.budget.set(left - 1);
            use chrono::{Datelike as _, Timelike as _};
            let naive = occurrence.naive_utc();
            let dt = DateTime::new(
                i16::try_from(naive.year()).ok()?,
                naive.month() as i8,
                naive.day() as i8,
                naive.hour() as i8,
                naive.minute() as i8,
                naive.second() as i8,
                0,
            )
            .ok()?;
            if dt > last {
                break;
            }
            found.push(match (&master.start, &zone) {
                (When::Date(_), _) => When::Date(dt.date()),
                (_, Some(tz)) => When::Wall(dt, tz.clone()),
                (_, None) => When::Date(dt.date()),
            });
        }
        Some(found)
    }
}

/// The rule with its `UNTIL` as a wall time of the event's zone (written with a `Z`, since the
/// rule is expanded as if in UTC). An `UNTIL` in UTC is moved into the zone; a date or a
/// floating time already is one.
fn wall_until(rule: &str, zone: Option<&TimeZone>) -> String {
    rule.split(';')
        .map(|part| {
            let Some((key, value)) = part.split_once('=') else {
                return part.to_owned();
            };
            if !key.trim().eq_ignore_ascii_case("UNTIL") {
                return part.to_owned();
            }
            let value = value.trim();
            let wall = if let Some(utc) = value.strip_suffix(['Z', 'z']) {
                match DateTime::strptime("%Y%m%dT%H%M%S", utc) {
                    Ok(dt) => {
                        let ts = TimeZone::UTC.to_ambiguous_timestamp(dt).compatible();
                        match (ts, zone) {
                            (Ok(ts), Some(tz)) => ts.to_zoned_datetime(tz.clone()).datetime(),
                            _ => dt,
                        }
                    }
                    Err(_) => return part.to_owned(),
                }
            } else if value.len() == 8 {
                match Date::strptime("%Y%m%d", value) {
                    Ok(d) => d.to_datetime(jiff::civil::Time::midnight()),
                    Err(_) => return part.to_owned(),
                }
            } else {
                match DateTime::strptime("%Y%m%dT%H%M%S", value) {
                    Ok(dt) => dt,
                    Err(_) => return part.to_owned(),
                }
            };
            format!("UNTIL={}Z", wall.strftime("%Y%m%dT%H%M%S"))
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// An RFC 5545 duration (`P1D`, `PT1H30M`, `P2W`, `-PT15M`), as calendar days and exact time.
fn parse_duration(raw: &str) -> Option<Length> {
    let raw = raw.trim();
    let (negative, rest) = match raw.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (mut days, mut secs) = (0i64, 0i64);
    let mut number = String::new();
    let mut in_time = false;
    for ch in rest.chars() {
        match ch.to_ascii_uppercase() {
            'T' => in_time = true,
            c if c.is_ascii_digit() => number.push(c),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let (total, by) = match (unit, in_time) {
                    ('W', false) => (&mut days, 7),
                    ('D', false) => (&mut days, 1),
                    ('H', true) => (&mut secs, 3600),
                    ('M', true) => (&mut secs, 60),
                    ('S', true) => (&mut secs, 1),
                    _ => return None,
                };
                *total = n.checked_mul(by).and_then(|v| total.checked_add(v))?;
            }
        }
    }
    if !number.is_empty() || negative {
        // A negative length makes no busy time.
        return if negative {
            Some(Length::default())
        } else {
            None
        };
    }
    // Longer than any calendar's window: no event lasts a thousand years.
    if days > 366_000 || secs > 366_000 * 86_400 {
        return None;
    }
    Some(Length {
        days,
        exact: SignedDuration::from_secs(secs),
    })
}

#[cfg(test)]
mod tests;
