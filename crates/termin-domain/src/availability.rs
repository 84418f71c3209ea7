//! When a host can be booked: a weekly schedule of wall-clock hours plus exceptions for single
//! dates, both read in the host's own time zone.
//!
//! Hours are wall-clock times, not instants, on purpose: "09:00 to 17:00" must stay 09:00 to
//! 17:00 on both sides of a daylight-saving change. Turning them into instants is the slot
//! engine's job ([`crate::slots`]), which knows how to treat times that a change skips or repeats.
//!
//! Input arrives as the `Raw*` types, which hold whatever strings the client sent; their
//! `validate` turns them into the typed values or into a list of `(field path, message)` pairs
//! fit for the `errors[]` of a 400. The typed values serialise back to exactly the input shape.

use std::fmt;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// At most this many ranges in one day: more is a client bug, not a schedule.
pub const MAX_RANGES_PER_DAY: usize = 12;
/// At most this many date exceptions: one a day for a year.
pub const MAX_EXCEPTIONS: usize = 366;
/// Minutes in a civil day; an [`HourRange`] may end here ("24:00").
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// Field-level validation errors: `(path, message)`, e.g.
/// `("schedule.monday.hours[0]", "start must be before end")`.
pub type FieldErrors = Vec<(String, String)>;

/// A half-open range `[start, end)` of wall-clock time within one day, in whole minutes since
/// local midnight. `end` may be 1440 ("24:00", the next day's midnight) so that a range can run
/// to the end of the day; `start < end` always holds.
///
/// Minutes rather than [`jiff::civil::Time`] because `Time` cannot say "24:00", and because the
/// wire format has minute precision anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HourRange {
    start: u16,
    end: u16,
}

impl HourRange {
    /// `None` unless `start < end <= 1440`.
    pub const fn new(start_minute: u16, end_minute: u16) -> Option<Self> {
        if start_minute < end_minute && end_minute <= MINUTES_PER_DAY {
            Some(Self {
                start: start_minute,
                end: end_minute,
            })
        } else {
            None
        }
    }

    /// Parses two "HH:MM" strings; `end` may be "24:00".
    pub fn parse(start: &str, end: &str) -> Result<Self, &'static str> {
        let start = parse_hhmm(start, false).ok_or(START_FORMAT)?;
        let end = parse_hhmm(end, true).ok_or(END_FORMAT)?;
        Self::new(start, end).ok_or(START_BEFORE_END)
    }

    /// Minutes since local midnight, 0..=1439.
    pub const fn start_minute(self) -> u16 {
        self.start
    }

    /// Minutes since local midnight, 1..=1440 (1440 is the end of the day).
    pub const fn end_minute(self) -> u16 {
        self.end
    }

    /// The start as a civil time (always representable, unlike the end).
    pub fn start_time(self) -> Time {
        Time::constant((self.start / 60) as i8, (self.start % 60) as i8, 0, 0)
    }

    /// Whether the two ranges share at least one minute (touching ranges do not overlap).
    pub const fn overlaps(self, other: HourRange) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for HourRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", Hhmm(self.start), Hhmm(self.end))
    }
}

impl Serialize for HourRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("HourRange", 2)?;
        s.serialize_field("start", &Hhmm(self.start))?;
        s.serialize_field("end", &Hhmm(self.end))?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for HourRange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawHourRange::deserialize(deserializer)?;
        HourRange::parse(&raw.start, &raw.end).map_err(serde::de::Error::custom)
    }
}

/// Minutes since midnight, shown and serialised as "HH:MM".
struct Hhmm(u16);

impl fmt::Display for Hhmm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for Hhmm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

const START_FORMAT: &str = "must be a time as HH:MM, from 00:00 to 23:59";
const END_FORMAT: &str = "must be a time as HH:MM, from 00:01 to 24:00";
const START_BEFORE_END: &str = "start must be before end";

/// Exactly "HH:MM" (two digits each), 00:00..=23:59, plus "24:00" when `allow_24`. Strict on
/// purpose: "9:00" or "09:00:00" are more likely a client bug than a wish.
fn parse_hhmm(s: &str, allow_24: bool) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let h = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
    let m = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
    match (h, m) {
        (0..=23, 0..=59) => Some(h * 60 + m),
        (24, 0) if allow_24 => Some(MINUTES_PER_DAY),
        _ => None,
    }
}

/// One weekday's hours. A disabled day keeps its hours so that switching it back on restores
/// them; an enabled day with no hours is simply closed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DaySchedule {
    pub enabled: bool,
    /// Sorted by start and non-overlapping when it came through validation. Code that builds a
    /// `DaySchedule` by hand need not keep that up: [`Availability::new`] normalises.
    pub hours: Vec<HourRange>,
}

impl DaySchedule {
    pub fn closed() -> Self {
        Self::default()
    }

    pub fn open(hours: Vec<HourRange>) -> Self {
        Self {
            enabled: true,
            hours,
        }
    }
}

/// The recurring week, in the host's wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawWeeklySchedule")]
pub struct WeeklySchedule {
    pub monday: DaySchedule,
    pub tuesday: DaySchedule,
    pub wednesday: DaySchedule,
    pub thursday: DaySchedule,
    pub friday: DaySchedule,
    pub saturday: DaySchedule,
    pub sunday: DaySchedule,
}

impl WeeklySchedule {
    /// Monday to Friday 09:00-17:00, weekend closed: what a new user starts with.
    pub fn default_business_hours() -> Self {
        let work = || DaySchedule::open(vec![HourRange::new(9 * 60, 17 * 60).expect("valid")]);
        Self {
            monday: work(),
            tuesday: work(),
            wednesday: work(),
            thursday: work(),
            friday: work(),
            saturday: DaySchedule::closed(),
            sunday: DaySchedule::closed(),
        }
    }

    pub fn day(&self, weekday: Weekday) -> &DaySchedule {
        match weekday {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    pub fn day_mut(&mut self, weekday: Weekday) -> &mut DaySchedule {
        match weekday {
            Weekday::Monday => &mut self.monday,
            Weekday::Tuesday => &mut self.tuesday,
            Weekday::Wednesday => &mut self.wednesday,
            Weekday::Thursday => &mut self.thursday,
            Weekday::Friday => &mut self.friday,
            Weekday::Saturday => &mut self.saturday,
            Weekday::Sunday => &mut self.sunday,
        }
    }
}

/// What a [`DateException`] does to its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExceptionKind {
    /// No hours: the whole date is closed. With hours: only those are taken out of the weekly
    /// hours (a dentist appointment, not a holiday).
    Blocked,
    /// The date's hours are exactly these, whatever the weekly schedule says.
    Available,
}

/// A one-off change to a single date's hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawDateException")]
pub struct DateException {
    pub date: Date,
    #[serde(rename = "type")]
    pub kind: ExceptionKind,
    pub hours: Vec<HourRange>,
}

// ---------------------------------------------------------------------------------------------
// Raw input and validation
// ---------------------------------------------------------------------------------------------

/// An hour range as the client sent it. Missing fields become empty strings so that they are
/// reported per field instead of failing the whole body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RawHourRange {
    pub start: String,
    pub end: String,
}

/// A day as the client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RawDaySchedule {
    /// Missing means "enabled if it has hours", so `{"hours": [...]}` does not silently close
    /// the day.
    pub enabled: Option<bool>,
    pub hours: Vec<RawHourRange>,
}

/// The week as the client sent it. A missing (or null) day is closed. Unknown keys are refused
/// because a misspelt "wednsday" would otherwise close Wednesday without a word.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeeklySchedule {
    #[serde(default)]
    pub monday: Option<RawDaySchedule>,
    #[serde(default)]
    pub tuesday: Option<RawDaySchedule>,
    #[serde(default)]
    pub wednesday: Option<RawDaySchedule>,
    #[serde(default)]
    pub thursday: Option<RawDaySchedule>,
    #[serde(default)]
    pub friday: Option<RawDaySchedule>,
    #[serde(default)]
    pub saturday: Option<RawDaySchedule>,
    #[serde(default)]
    pub sunday: Option<RawDaySchedule>,
}

/// A date exception as the client sent it (`type` is "blocked" or "available").
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RawDateException {
    pub date: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub hours: Vec<RawHourRange>,
}

fn push(errors: &mut FieldErrors, path: impl Into<String>, message: impl Into<String>) {
    errors.push((path.into(), message.into()));
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// Validates one list of ranges at `path` (e.g. "schedule.monday.hours"). Returns the ranges
/// sorted by start, or `None` after pushing at least one error.
fn check_ranges(
    raw: &[RawHourRange],
    path: &str,
    errors: &mut FieldErrors,
) -> Option<Vec<HourRange>> {
    let before = errors.len();
    if raw.len() > MAX_RANGES_PER_DAY {
        push(
            errors,
            path,
            format!("must have at most {MAX_RANGES_PER_DAY} ranges"),
        );
        return None;
    }
    // (input index, range) of the ranges that are valid on their own.
    let mut ranges = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let start = parse_hhmm(&r.start, false);
        let end = parse_hhmm(&r.end, true);
        if start.is_none() {
            push(errors, format!("{at}.start"), START_FORMAT);
        }
        if end.is_none() {
            push(errors, format!("{at}.end"), END_FORMAT);
        }
        if let (Some(start), Some(end)) = (start, end) {
            match HourRange::new(start, end) {
                Some(range) => ranges.push((i, range)),
                None => push(errors, at, START_BEFORE_END),
            }
        }
    }
    ranges.sort_by_key(|&(i, r)| (r, i));
    // Sorted by start, a range overlaps an earlier one iff it starts before the furthest end
    // seen so far; naming that range is enough for the user to find the clash.
    let mut furthest: Option<(usize, HourRange)> = None;
    for &(i, r) in &ranges {
        if let Some((j, f)) = furthest {
            if r.start < f.end {
                push(
                    errors,
                    format!("{path}[{i}]"),
                    format!("overlaps {path}[{j}]"),
                );
            }
        }
        if furthest.is_none_or(|(_, f)| r.end > f.end) {
            furthest = Some((i, r));
        }
    }
    (errors.len() == before).then(|| ranges.into_iter().map(|(_, r)| r).collect())
}

impl RawWeeklySchedule {
    /// The weekdays this names (a PATCH changes only those).
    pub fn named_days(&self) -> Vec<Weekday> {
        [
            (Weekday::Monday, &self.monday),
            (Weekday::Tuesday, &self.tuesday),
            (Weekday::Wednesday, &self.wednesday),
            (Weekday::Thursday, &self.thursday),
            (Weekday::Friday, &self.friday),
            (Weekday::Saturday, &self.saturday),
            (Weekday::Sunday, &self.sunday),
        ]
        .into_iter()
        .filter(|(_, day)| day.is_some())
        .map(|(weekday, _)| weekday)
        .collect()
    }

    /// The typed schedule, or every problem found, with paths under `schedule.`.
    pub fn validate(&self) -> Result<WeeklySchedule, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut check = |name: &str, day: &Option<RawDaySchedule>| -> DaySchedule {
            let Some(day) = day else {
                return DaySchedule::closed();
            };
            let hours = check_ranges(&day.hours, &format!("schedule.{name}.hours"), &mut errors)
                .unwrap_or_default();
            DaySchedule {
                enabled: day.enabled.unwrap_or(!day.hours.is_empty()),
                hours,
            }
        };
        let schedule = WeeklySchedule {
            monday: check("monday", &self.monday),
            tuesday: check("tuesday", &self.tuesday),
            wednesday: check("wednesday", &self.wednesday),
            thursday: check("thursday", &self.thursday),
            friday: check("friday", &self.friday),
            saturday: check("saturday", &self.saturday),
            sunday: check("sunday", &self.sunday),
        };
        if errors.is_empty() {
            Ok(schedule)
        } else {
            Err(errors)
        }
    }
}

impl RawDateException {
    /// Checks this exception on its own, with paths under `prefix` ("exceptions[3]", or "" for
    /// bare field names). Duplicate dates are the list's concern: see [`validate_exceptions`].
    fn check(&self, prefix: &str, errors: &mut FieldErrors) -> Option<DateException> {
        let before = errors.len();
        let date = parse_date(&self.date);
        if date.is_none() {
            push(errors, join(prefix, "date"), "must be a date as YYYY-MM-DD");
        }
        let kind = match self.kind.as_str() {
            "blocked" => Some(ExceptionKind::Blocked),
            "available" => Some(ExceptionKind::Available),
            _ => {
                push(
                    errors,
                    join(prefix, "type"),
                    "must be \"blocked\" or \"available\"",
                );
                None
            }
        };
        let hours_path = join(prefix, "hours");
        let hours = check_ranges(&self.hours, &hours_path, errors);
        if kind == Some(ExceptionKind::Available) && self.hours.is_empty() {
            push(
                errors,
                hours_path,
                "an \"available\" exception needs at least one range; use \"blocked\" to close the day",
            );
        }
        match (date, kind, hours) {
            (Some(date), Some(kind), Some(hours)) if errors.len() == before => {
                Some(DateException { date, kind, hours })
            }
            _ => None,
        }
    }
}

/// Exactly "YYYY-MM-DD" naming a real date.
fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    s.parse().ok()
}

/// The typed exceptions sorted by date, or every problem found, with paths under
/// `exceptions[i]` (indexes into the input).
pub fn validate_exceptions(raw: &[RawDateException]) -> Result<Vec<DateException>, FieldErrors> {
    let mut errors = FieldErrors::new();
    if raw.len() > MAX_EXCEPTIONS {
        push(
            &mut errors,
            "exceptions",
            format!("must have at most {MAX_EXCEPTIONS} entries"),
        );
        return Err(errors);
    }
    let mut out: Vec<(usize, DateException)> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            e.check(&format!("exceptions[{i}]"), &mut errors)
                .map(|e| (i, e))
        })
        .collect();
    out.sort_by_key(|(i, e)| (e.date, *i));
    for pair in out.windows(2) {
        let ((first, a), (second, b)) = (&pair[0], &pair[1]);
        if a.date == b.date {
            push(
                &mut errors,
                format!("exceptions[{second}].date"),
                format!("{} is already used by exceptions[{first}]", b.date),
            );
        }
    }
    if errors.is_empty() {
        Ok(out.into_iter().map(|(_, e)| e).collect())
    } else {
        Err(errors)
    }
}

/// Validates a schedule and its exceptions together so that one 400 lists every problem.
pub fn validate_availability(
    schedule: &RawWeeklySchedule,
    exceptions: &[RawDateException],
) -> Result<(WeeklySchedule, Vec<DateException>), FieldErrors> {
    match (schedule.validate(), validate_exceptions(exceptions)) {
        (Ok(s), Ok(e)) => Ok((s, e)),
        (s, e) => Err(s.err().into_iter().chain(e.err()).flatten().collect()),
    }
}

fn errors_to_string(errors: FieldErrors) -> String {
    errors
        .into_iter()
        .map(|(path, message)| format!("{path}: {message}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl TryFrom<RawWeeklySchedule> for WeeklySchedule {
    type Error = String;

    fn try_from(raw: RawWeeklySchedule) -> Result<Self, Self::Error> {
        raw.validate().map_err(errors_to_string)
    }
}

impl TryFrom<RawDateException> for DateException {
    type Error = String;

    fn try_from(raw: RawDateException) -> Result<Self, Self::Error> {
        let mut errors = FieldErrors::new();
        raw.check("", &mut errors)
            .ok_or_else(|| errors_to_string(errors))
    }
}

// ---------------------------------------------------------------------------------------------
// A host's availability, resolved per date
// ---------------------------------------------------------------------------------------------

/// One stretch of open hours on a date, after exceptions, with the point its slot grid is
/// anchored at.
///
/// The anchor is the start of the weekly (or "available" exception) range the stretch came from.
/// It differs from `hours.start_minute()` only when a partial block cut the front off a range:
/// blocking 12:00-12:30 out of 09:00-17:00 should leave hourly slots at 13:00, 14:00, ... as
/// before, not shift them to 12:30, 13:30, ..., just as a booked appointment would not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenRange {
    pub hours: HourRange,
    /// Minutes since local midnight, `<= hours.start_minute()`.
    pub grid_anchor: u16,
}

/// Sorts and merges overlapping or touching ranges; each merged range is anchored at its start.
/// Touching ranges merge because "09:00-12:00" plus "12:00-17:00" is one open afternoon to a
/// booker: a meeting may run across 12:00.
fn normalise(hours: &[HourRange]) -> Vec<OpenRange> {
    let mut sorted = hours.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<OpenRange> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.hours.end => {
                last.hours.end = last.hours.end.max(r.end);
            }
            _ => out.push(OpenRange {
                hours: r,
                grid_anchor: r.start,
            }),
        }
    }
    out
}

/// `open` minus `blocks`, each remaining piece keeping the anchor of the range it came from.
fn subtract(open: &[OpenRange], blocks: &[OpenRange]) -> Vec<OpenRange> {
    let mut out = Vec::new();
    for o in open {
        let mut cur = o.hours.start;
        for b in blocks {
            if b.hours.end <= cur || b.hours.start >= o.hours.end {
                continue;
            }
            if b.hours.start > cur {
                out.push(OpenRange {
                    hours: HourRange {
                        start: cur,
                        end: b.hours.start,
                    },
                    grid_anchor: o.grid_anchor,
                });
            }
            cur = cur.max(b.hours.end);
        }
        if cur < o.hours.end {
            out.push(OpenRange {
                hours: HourRange {
                    start: cur,
                    end: o.hours.end,
                },
                grid_anchor: o.grid_anchor,
            });
        }
    }
    out
}

/// A host's availability: time zone, weekly hours and date exceptions. The open hours of every
/// weekday and every exception date are worked out once here, so the slot engine only looks
/// them up.
#[derive(Debug, Clone)]
pub struct Availability {
    tz: TimeZone,
    weekly: WeeklySchedule,
    /// Sorted by date, one per date.
    exceptions: Vec<DateException>,
    /// Indexed by `Weekday::to_monday_zero_offset`.
    weekly_open: [Vec<OpenRange>; 7],
    /// Parallel to `exceptions`.
    exception_open: Vec<Vec<OpenRange>>,
}

impl Availability {
    /// Exceptions may come in any order; if two share a date, the first one in `exceptions`
    /// wins (validated input never has duplicates).
    pub fn new(tz: TimeZone, weekly: WeeklySchedule, mut exceptions: Vec<DateException>) -> Self {
        exceptions.sort_by_key(|e| e.date); // stable: the first of a date stays first
        exceptions.dedup_by_key(|e| e.date);
        let weekly_open = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ]
        .map(|wd| {
            let day = weekly.day(wd);
            if day.enabled {
                normalise(&day.hours)
            } else {
                Vec::new()
            }
        });
        let exception_open = exceptions
            .iter()
            .map(|e| match e.kind {
                ExceptionKind::Available => normalise(&e.hours),
                ExceptionKind::Blocked if e.hours.is_empty() => Vec::new(),
                ExceptionKind::Blocked => subtract(
                    &weekly_open[e.date.weekday().to_monday_zero_offset() as usize],
                    &normalise(&e.hours),
                ),
            })
            .collect();
        Self {
            tz,
            weekly,
            exceptions,
            weekly_open,
            exception_open,
        }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    pub fn weekly(&self) -> &WeeklySchedule {
        &self.weekly
    }

    /// Sorted by date, at most one per date.
    pub fn exceptions(&self) -> &[DateException] {
        &self.exceptions
    }

    pub fn exception_on(&self, date: Date) -> Option<&DateException> {
        self.exceptions
            .binary_search_by_key(&date, |e| e.date)
            .ok()
            .map(|i| &self.exceptions[i])
    }

    /// The open stretches of `date` with their grid anchors, after exceptions: sorted,
    /// non-overlapping and non-touching. Allocation-free, for the slot engine.
    pub(crate) fn open_ranges(&self, date: Date) -> &[OpenRange] {
        match self.exceptions.binary_search_by_key(&date, |e| e.date) {
            Ok(i) => &self.exception_open[i],
            Err(_) => &self.weekly_open[date.weekday().to_monday_zero_offset() as usize],
        }
    }

    /// See [`OpenRange`].
    pub fn open_ranges_on(&self, date: Date) -> Vec<OpenRange> {
        self.open_ranges(date).to_vec()
    }

    /// The wall-clock hours open on `date` in the host's time zone, after exceptions: sorted,
    /// non-overlapping, touching ranges merged.
    pub fn hours_on(&self, date: Date) -> Vec<HourRange> {
        self.open_ranges(date).iter().map(|r| r.hours).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hr(start: &str, end: &str) -> HourRange {
        HourRange::parse(start, end).unwrap()
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn raw_schedule(v: serde_json::Value) -> RawWeeklySchedule {
        serde_json::from_value(v).unwrap()
    }

    fn raw_exceptions(v: serde_json::Value) -> Vec<RawDateException> {
        serde_json::from_value(v).unwrap()
    }

    fn paths(errors: &FieldErrors) -> Vec<&str> {
        errors.iter().map(|(p, _)| p.as_str()).collect()
    }

    #[test]
    fn hhmm_is_strict_and_allows_24_00_only_as_end() {
        assert_eq!(parse_hhmm("00:00", false), Some(0));
        assert_eq!(parse_hhmm("23:59", false), Some(1439));
        assert_eq!(parse_hhmm("24:00", true), Some(1440));
        for bad in [
            "24:00", "9:00", "09:00:00", "09-00", "ab:cd", "", "12:60", "25:00", "０9:00",
        ] {
            assert_eq!(parse_hhmm(bad, false), None, "{bad:?}");
        }
        assert_eq!(parse_hhmm("24:01", true), None);
        assert_eq!(hr("22:00", "24:00").end_minute(), 1440);
        assert_eq!(HourRange::parse("10:00", "10:00"), Err(START_BEFORE_END));
        assert_eq!(
            hr("09:30", "10:00").start_time(),
            Time::constant(9, 30, 0, 0)
        );
    }

    #[test]
    fn typed_values_serialise_to_the_wire_shape() {
        let schedule = WeeklySchedule::default_business_hours();
        let v = serde_json::to_value(&schedule).unwrap();
        let day = json!({ "enabled": true, "hours": [{ "start": "09:00", "end": "17:00" }] });
        let closed = json!({ "enabled": false, "hours": [] });
        assert_eq!(
            v,
            json!({
                "monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day,
                "saturday": closed, "sunday": closed,
            })
        );
        let exceptions = vec![
            DateException {
                date: date("2026-12-24"),
                kind: ExceptionKind::Blocked,
                hours: vec![],
            },
            DateException {
                date: date("2026-12-27"),
                kind: ExceptionKind::Available,
                hours: vec![hr("10:00", "12:00"), hr("22:00", "24:00")],
            },
        ];
        assert_eq!(
            serde_json::to_value(&exceptions).unwrap(),
            json!([
                { "date": "2026-12-24", "type": "blocked", "hours": [] },
                { "date": "2026-12-27", "type": "available",
                  "hours": [{ "start": "10:00", "end": "12:00" }, { "start": "22:00", "end": "24:00" }] },
            ])
        );
    }

    #[test]
    fn wire_shape_round_trips_through_raw_validation() {
        let schedule = WeeklySchedule::default_business_hours();
        let raw: RawWeeklySchedule = raw_schedule(serde_json::to_value(&schedule).unwrap());
        assert_eq!(raw.validate().unwrap(), schedule);
        // And the typed types deserialise (validated) directly, e.g. from a stored JSON column.
        let back: WeeklySchedule =
            serde_json::from_value(serde_json::to_value(&schedule).unwrap()).unwrap();
        assert_eq!(back, schedule);
        let e: DateException =
            serde_json::from_value(json!({ "date": "2026-12-24", "type": "blocked" })).unwrap();
        assert_eq!(e.hours, vec![]);
        assert!(serde_json::from_value::<DateException>(
            json!({ "date": "2026-12-24", "type": "available" })
        )
        .is_err());
        assert!(
            serde_json::from_value::<HourRange>(json!({ "start": "10:00", "end": "09:00" }))
                .is_err()
        );
    }

    #[test]
    fn missing_days_are_closed_and_missing_enabled_follows_hours() {
        let s = raw_schedule(json!({
            "monday": { "hours": [{ "start": "13:00", "end": "15:00" }, { "start": "08:00", "end": "12:00" }] },
            "tuesday": { "enabled": false, "hours": [{ "start": "08:00", "end": "12:00" }] },
            "wednesday": null,
        }))
        .validate()
        .unwrap();
        assert!(s.monday.enabled);
        // Sorted by start.
        assert_eq!(
            s.monday.hours,
            vec![hr("08:00", "12:00"), hr("13:00", "15:00")]
        );
        assert!(!s.tuesday.enabled);
        assert_eq!(s.tuesday.hours.len(), 1, "a disabled day keeps its hours");
        assert_eq!(s.wednesday, DaySchedule::closed());
        assert_eq!(s.sunday, DaySchedule::closed());
    }

    #[test]
    fn misspelt_day_is_refused() {
        assert!(serde_json::from_value::<RawWeeklySchedule>(json!({ "wednsday": {} })).is_err());
    }

    #[test]
    fn schedule_errors_name_the_field() {
        let errors = raw_schedule(json!({
            "monday": { "enabled": true, "hours": [
                { "start": "9:00", "end": "17:00" },
                { "start": "12:00", "end": "11:00" },
                { "start": "08:00", "end": "24:01" },
            ] },
            "tuesday": { "enabled": true, "hours": [
                { "start": "09:00", "end": "12:00" },
                { "start": "13:00", "end": "17:00" },
                { "start": "11:00", "end": "14:00" },
                { "start": "12:00", "end": "13:00" },
            ] },
            "friday": { "enabled": true, "hours": vec![json!({ "start": "09:00", "end": "10:00" }); 13] },
            "saturday": { "enabled": true, "hours": [{ "end": "10:00" }] },
        }))
        .validate()
        .unwrap_err();
        assert_eq!(
            errors,
            vec![
                ("schedule.monday.hours[0].start".into(), START_FORMAT.into()),
                ("schedule.monday.hours[1]".into(), START_BEFORE_END.into()),
                ("schedule.monday.hours[2].end".into(), END_FORMAT.into()),
                (
                    "schedule.tuesday.hours[2]".into(),
                    "overlaps schedule.tuesday.hours[0]".into()
                ),
                (
                    "schedule.tuesday.hours[3]".into(),
                    "overlaps schedule.tuesday.hours[2]".into()
                ),
                (
                    "schedule.tuesday.hours[1]".into(),
                    "overlaps schedule.tuesday.hours[2]".into()
                ),
                (
                    "schedule.friday.hours".into(),
                    "must have at most 12 ranges".into()
                ),
                (
                    "schedule.saturday.hours[0].start".into(),
                    START_FORMAT.into()
                ),
            ]
        );
    }

    #[test]
    fn touching_ranges_are_not_overlapping() {
        let s = raw_schedule(json!({ "monday": { "hours": [
            { "start": "12:00", "end": "17:00" }, { "start": "09:00", "end": "12:00" }
        ] } }))
        .validate()
        .unwrap();
        assert_eq!(
            s.monday.hours,
            vec![hr("09:00", "12:00"), hr("12:00", "17:00")]
        );
        assert_eq!(
            raw_schedule(json!({ "monday": { "hours": vec![json!({ "start": "09:00", "end": "10:00" }); 12] } }))
                .validate()
                .unwrap_err(),
            (1..12)
                .map(|i| (format!("schedule.monday.hours[{i}]"), "overlaps schedule.monday.hours[0]".to_owned()))
                .collect::<Vec<_>>(),
            "12 ranges are allowed by count; these only clash"
        );
    }

    #[test]
    fn exception_errors_name_the_field() {
        let errors = validate_exceptions(&raw_exceptions(json!([
            { "date": "2026-12-24", "type": "blocked", "hours": [] },
            { "date": "2026-02-30", "type": "blocked" },
            { "date": "2026-12-25", "type": "closed" },
            { "date": "2026-12-26", "type": "available", "hours": [] },
            { "date": "2026-12-24", "type": "available", "hours": [{ "start": "10:00", "end": "12:00" }] },
            { "date": "20261227", "type": "blocked", "hours": [{ "start": "10:00", "end": "09:00" }] },
        ])))
        .unwrap_err();
        assert_eq!(
            paths(&errors),
            vec![
                "exceptions[1].date",
                "exceptions[2].type",
                "exceptions[3].hours",
                "exceptions[5].date",
                "exceptions[5].hours[0]",
                "exceptions[4].date",
            ]
        );
        assert_eq!(errors[5].1, "2026-12-24 is already used by exceptions[0]");
        let too_many: Vec<_> = (0..367)
            .map(|i| RawDateException {
                date: date("2026-01-01")
                    .checked_add(jiff::Span::new().days(i))
                    .unwrap()
                    .to_string(),
                kind: "blocked".into(),
                hours: vec![],
            })
            .collect();
        assert_eq!(
            paths(&validate_exceptions(&too_many).unwrap_err()),
            vec!["exceptions"]
        );
        assert_eq!(validate_exceptions(&too_many[..366]).unwrap().len(), 366);
    }

    #[test]
    fn valid_exceptions_come_back_sorted() {
        let e = validate_exceptions(&raw_exceptions(json!([
            { "date": "2026-12-27", "type": "available", "hours": [{ "start": "10:00", "end": "12:00" }] },
            { "date": "2026-12-24", "type": "blocked", "hours": [] },
        ])))
        .unwrap();
        assert_eq!(
            e.iter().map(|e| e.date).collect::<Vec<_>>(),
            vec![date("2026-12-24"), date("2026-12-27")]
        );
        assert_eq!(e[1].kind, ExceptionKind::Available);
    }

    #[test]
    fn combined_validation_lists_both_sides() {
        let errors = validate_availability(
            &raw_schedule(json!({ "monday": { "hours": [{ "start": "x", "end": "10:00" }] } })),
            &raw_exceptions(json!([{ "date": "x", "type": "blocked" }])),
        )
        .unwrap_err();
        assert_eq!(
            paths(&errors),
            vec!["schedule.monday.hours[0].start", "exceptions[0].date"]
        );
    }

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    #[test]
    fn hours_on_applies_exceptions() {
        let mut weekly = WeeklySchedule::default_business_hours();
        weekly.saturday = DaySchedule {
            enabled: false,
            hours: vec![hr("10:00", "14:00")],
        };
        let a = Availability::new(
            berlin(),
            weekly,
            vec![
                // Given out of order on purpose.
                DateException {
                    date: date("2026-12-27"), // a Sunday
                    kind: ExceptionKind::Available,
                    hours: vec![hr("10:00", "12:00")],
                },
                DateException {
                    date: date("2026-12-24"), // a Thursday
                    kind: ExceptionKind::Blocked,
                    hours: vec![],
                },
                DateException {
                    date: date("2026-12-23"), // a Wednesday
                    kind: ExceptionKind::Blocked,
                    hours: vec![
                        hr("12:00", "13:00"),
                        hr("08:00", "09:30"),
                        hr("16:30", "18:00"),
                    ],
                },
                DateException {
                    date: date("2026-12-19"), // a Saturday, disabled in the week
                    kind: ExceptionKind::Blocked,
                    hours: vec![hr("11:00", "12:00")],
                },
            ],
        );
        assert_eq!(a.hours_on(date("2026-12-22")), vec![hr("09:00", "17:00")]);
        assert_eq!(a.hours_on(date("2026-12-24")), vec![]);
        assert_eq!(a.hours_on(date("2026-12-27")), vec![hr("10:00", "12:00")]);
        assert_eq!(a.hours_on(date("2026-12-26")), vec![], "disabled Saturday");
        assert_eq!(
            a.hours_on(date("2026-12-19")),
            vec![],
            "a partial block cannot open a closed day"
        );
        assert_eq!(
            a.hours_on(date("2026-12-23")),
            vec![hr("09:30", "12:00"), hr("13:00", "16:30")]
        );
        // The afternoon piece keeps the 09:00 grid of the range it was cut from.
        assert_eq!(
            a.open_ranges_on(date("2026-12-23")),
            vec![
                OpenRange {
                    hours: hr("09:30", "12:00"),
                    grid_anchor: 9 * 60
                },
                OpenRange {
                    hours: hr("13:00", "16:30"),
                    grid_anchor: 9 * 60
                },
            ]
        );
        assert_eq!(a.exceptions()[0].date, date("2026-12-19"));
        assert_eq!(
            a.exception_on(date("2026-12-24")).unwrap().kind,
            ExceptionKind::Blocked
        );
        assert!(a.exception_on(date("2026-12-25")).is_none());
    }

    #[test]
    fn hours_on_merges_touching_and_overlapping_hand_built_ranges() {
        let weekly = WeeklySchedule {
            monday: DaySchedule::open(vec![
                hr("13:00", "17:00"),
                hr("09:00", "12:00"),
                hr("12:00", "14:00"),
            ]),
            ..WeeklySchedule::default()
        };
        let a = Availability::new(TimeZone::UTC, weekly, vec![]);
        assert_eq!(a.hours_on(date("2026-03-30")), vec![hr("09:00", "17:00")]);
    }

    #[test]
    fn first_exception_of_a_date_wins_in_hand_built_lists() {
        let blocked = DateException {
            date: date("2026-03-30"),
            kind: ExceptionKind::Blocked,
            hours: vec![],
        };
        let open = DateException {
            kind: ExceptionKind::Available,
            hours: vec![hr("10:00", "11:00")],
            ..blocked.clone()
        };
        let a = Availability::new(
            TimeZone::UTC,
            WeeklySchedule::default(),
            vec![blocked, open],
        );
        assert_eq!(a.exceptions().len(), 1);
        assert_eq!(a.hours_on(date("2026-03-30")), vec![]);
    }
}
