//! The zones a calendar's times are written in.
//!
//! A `TZID` is read, in this order:
//! 1. as an IANA name (`Europe/Berlin`), which carries the zone's whole history;
//! 2. by its last segments, for producers that prefix the name (`/mozilla.org/20050126_1/
//!    Europe/Berlin`, `/citadel.org/20190914_1/Europe/Berlin`);
//! 3. by the rules of its `VTIMEZONE` (Outlook's `W. Europe Standard Time`, or any made-up
//!    name): the current standard and daylight offsets and their yearly changes, as a POSIX
//!    TZ rule.
//!
//! A zone none of these can read is `None`, and its times are read in the host's zone.

use std::collections::HashMap;

use icalendar::parser::Component;
use jiff::tz::TimeZone;

pub struct Zones {
    defined: HashMap<String, Option<TimeZone>>,
}

impl Zones {
    pub fn new(vtimezones: &[&Component<'_>]) -> Self {
        let mut defined = HashMap::new();
        for vt in vtimezones {
            let Some(id) = value(vt, "TZID") else {
                continue;
            };
            let zone = by_name(&id).or_else(|| by_rules(vt));
            if zone.is_none() {
                tracing::debug!(tzid = %id, "a VTIMEZONE termin cannot read; its times count in the host's zone");
            }
            defined.insert(id, zone);
        }
        Self { defined }
    }

    pub fn get(&self, tzid: &str) -> Option<TimeZone> {
        match self.defined.get(tzid) {
            Some(zone) => zone.clone(),
            None => by_name(tzid),
        }
    }
}

fn value(c: &Component<'_>, name: &str) -> Option<String> {
    c.properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
        .map(|p| p.val.as_str().trim().to_owned())
}

fn by_name(tzid: &str) -> Option<TimeZone> {
    let tzid = tzid.trim().trim_matches('"');
    if let Ok(tz) = TimeZone::get(tzid) {
        return Some(tz);
    }
    let segments: Vec<&str> = tzid.split('/').filter(|s| !s.is_empty()).collect();
    (1..segments.len())
        .map(|skip| segments[skip..].join("/"))
        .find_map(|name| TimeZone::get(&name).ok())
}

/// An offset as iCalendar writes it (`+0100`, `-0530`, `+013000`), in seconds east of UTC.
fn offset_seconds(raw: &str) -> Option<i32> {
    let raw = raw.trim();
    let (sign, digits) = match raw.as_bytes().first()? {
        b'+' => (1, &raw[1..]),
        b'-' => (-1, &raw[1..]),
        _ => (1, raw),
    };
    if !(digits.len() == 4 || digits.len() == 6) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[0..2].parse().ok()?;
    let m: i32 = digits[2..4].parse().ok()?;
    let s: i32 = digits.get(4..6).map_or(Some(0), |s| s.parse().ok())?;
    Some(sign * (h * 3600 + m * 60 + s))
}

/// A POSIX offset is west of UTC: `+01:00` is written `-1`.
fn posix_offset(east: i32) -> String {
    let west = -east;
    let sign = if west < 0 { "-" } else { "" };
    let a = west.abs();
    format!("{sign}{}:{:02}:{:02}", a / 3600, (a % 3600) / 60, a % 60)
}

struct Observance {
    start: String,
    offset: i32,
    rule: Option<String>,
}

fn observances(vt: &Component<'_>, kind: &str) -> Vec<Observance> {
    vt.components
        .iter()
        .filter(|c| c.name.as_str().eq_ignore_ascii_case(kind))
        .filter_map(|c| {
            Some(Observance {
                start: value(c, "DTSTART")?,
                offset: offset_seconds(&value(c, "TZOFFSETTO")?)?,
                rule: value(c, "RRULE"),
            })
        })
        .collect()
}

/// The yearly change of a rule such as `FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU`, at the wall time of
/// `start`, as POSIX writes it (`M3.5.0/02:00:00`).
fn posix_change(rule: &str, start: &str) -> Option<String> {
    let mut month = None;
    let mut day = None;
    for part in rule.split(';') {
        let (k, v) = part.split_once('=')?;
        match k.trim().to_ascii_uppercase().as_str() {
            "FREQ" if !v.eq_ignore_ascii_case("YEARLY") => return None,
            "UNTIL" | "COUNT" => return None,
            "BYMONTH" => month = v.parse::<u8>().ok(),
            "BYDAY" => day = Some(v.trim().to_ascii_uppercase()),
            _ => {}
        }
    }
    let (month, day) = (month?, day?);
    let weekday = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
        .iter()
        .position(|d| day.ends_with(d))?;
    let nth: i32 = day[..day.len() - 2].trim_start_matches('+').parse().ok()?;
    let week = match nth {
        1..=4 => nth,
        -1 => 5,
        _ => return None,
    };
    let time = start.split_once(['T', 't']).map(|(_, t)| t)?;
    let digits = time
        .get(0..6)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
    Some(format!(
        "M{month}.{week}.{weekday}/{}:{}:{}",
        &digits[0..2],
        &digits[2..4],
        &digits[4..6]
    ))
}

fn by_rules(vt: &Component<'_>) -> Option<TimeZone> {
    let latest = |mut v: Vec<Observance>| {
        v.sort_by(|a, b| a.start.cmp(&b.start));
        v.pop()
    };
    let standard = latest(observances(vt, "STANDARD"));
    let daylight = latest(observances(vt, "DAYLIGHT"));
    let posix = match (standard, daylight) {
        (Some(std), Some(dst)) => match (&std.rule, &dst.rule) {
            (Some(sr), Some(dr)) => {
                let to_dst = posix_change(dr, &dst.start)?;
                let to_std = posix_change(sr, &std.start)?;
                format!(
                    "STD{}DST{},{to_dst},{to_std}",
                    posix_offset(std.offset),
                    posix_offset(dst.offset)
                )
            }
            // Daylight time ended for good (or never repeats): the latest observance holds.
            _ if dst.start > std.start => format!("DST{}", posix_offset(dst.offset)),
            _ => format!("STD{}", posix_offset(std.offset)),
        },
        (Some(only), None) | (None, Some(only)) => format!("STD{}", posix_offset(only.offset)),
        (None, None) => return None,
    };
    TimeZone::posix(&posix).ok()
}
