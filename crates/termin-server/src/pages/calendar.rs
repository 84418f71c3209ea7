//! The month calendar and the time labels of the booking pages, in the visitor's zone.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

pub const WEEKDAYS: [(&str, &str); 7] = [
    ("Mo", "Monday"),
    ("Tu", "Tuesday"),
    ("We", "Wednesday"),
    ("Th", "Thursday"),
    ("Fr", "Friday"),
    ("Sa", "Saturday"),
    ("Su", "Sunday"),
];

/// One day cell of the month: a link when it has free times.
pub struct Day {
    pub number: i8,
    /// "Thursday, 3 December"
    pub label: String,
    pub href: Option<String>,
    pub selected: bool,
}

/// The weeks (Monday first) of the month starting at `first`; `href` links the days that have
/// free times.
pub fn weeks(
    first: Date,
    free: &BTreeMap<Date, Vec<Timestamp>>,
    selected: Option<Date>,
    href: impl Fn(Date) -> String,
) -> Vec<[Option<Day>; 7]> {
    let mut weeks = Vec::new();
    let mut week: [Option<Day>; 7] = Default::default();
    let mut day = first;
    loop {
        let column = usize::from(day.weekday().to_monday_zero_offset().unsigned_abs());
        week[column] = Some(Day {
            number: day.day(),
            label: day.strftime("%A, %-d %B").to_string(),
            href: free.contains_key(&day).then(|| href(day)),
            selected: selected == Some(day),
        });
        let next = day.tomorrow().ok().filter(|d| d.month() == first.month());
        if column == 6 || next.is_none() {
            weeks.push(std::mem::take(&mut week));
        }
        match next {
            Some(next) => day = next,
            None => break,
        }
    }
    weeks
}

/// The first day of the month `raw` names (`2026-12`).
pub fn parse_month(raw: &str) -> Option<Date> {
    let (y, m) = raw.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()
}

pub fn month_key(first: Date) -> String {
    first.strftime("%Y-%m").to_string()
}

pub fn first_of_month(d: Date) -> Date {
    d.first_of_month()
}

pub fn next_month(first: Date) -> Option<Date> {
    first.last_of_month().tomorrow().ok()
}

pub fn previous_month(first: Date) -> Option<Date> {
    first.yesterday().ok().map(Date::first_of_month)
}

/// "10:00"
pub fn clock(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%H:%M")
        .to_string()
}

/// "Thursday, 3 December 2026, 10:00 – 10:30"
pub fn span(start: Timestamp, end: Timestamp, tz: &TimeZone) -> String {
    let s = start.to_zoned_datetime(tz.clone());
    let e = end.to_zoned_datetime(tz.clone());
    if s.date() == e.date() {
        format!(
            "{}, {} – {}",
            s.strftime("%A, %-d %B %Y"),
            s.strftime("%H:%M"),
            e.strftime("%H:%M")
        )
    } else {
        format!(
            "{} – {}",
            s.strftime("%A, %-d %B %Y, %H:%M"),
            e.strftime("%A, %-d %B %Y, %H:%M")
        )
    }
}

/// "Thursday, 3 December"
pub fn day_label(d: Date) -> String {
    d.strftime("%A, %-d %B").to_string()
}

pub fn month_label(first: Date) -> String {
    first.strftime("%B %Y").to_string()
}

/// The zones the visitor may pick from: the places of the time zone database (`Area/City`) and
/// UTC, sorted. Old aliases (`US/Eastern`, `Etc/GMT+5`) are left out of the list, though a link
/// may still name them.
pub fn zones() -> &'static [&'static str] {
    static ZONES: OnceLock<Vec<&'static str>> = OnceLock::new();
    ZONES.get_or_init(|| {
        const AREAS: [&str; 10] = [
            "Africa/",
            "America/",
            "Antarctica/",
            "Arctic/",
            "Asia/",
            "Atlantic/",
            "Australia/",
            "Europe/",
            "Indian/",
            "Pacific/",
        ];
        let mut names: Vec<&'static str> = termin_domain::validate::TimeZoneName::canonical_names()
            .into_iter()
            .filter(|n| *n == "UTC" || AREAS.iter().any(|a| n.starts_with(a)))
            .collect();
        names.sort_unstable();
        names
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_laid_out_in_weeks_from_monday() {
        // December 2026 starts on a Tuesday and has 31 days.
        let first = Date::new(2026, 12, 1).unwrap();
        assert_eq!(first.weekday(), jiff::civil::Weekday::Tuesday);
        let mut free = BTreeMap::new();
        free.insert(Date::new(2026, 12, 3).unwrap(), vec![]);
        let weeks = weeks(first, &free, None, |d| d.to_string());
        assert_eq!(weeks.len(), 5);
        assert!(weeks[0][0].is_none());
        assert_eq!(weeks[0][1].as_ref().unwrap().number, 1);
        assert_eq!(
            weeks[0][3].as_ref().unwrap().href.as_deref(),
            Some("2026-12-03")
        );
        assert!(weeks[0][2].as_ref().unwrap().href.is_none());
        assert_eq!(weeks[4][3].as_ref().unwrap().number, 31);
        assert!(weeks[4][4].is_none());
    }

    #[test]
    fn months_parse_and_step() {
        let dec = parse_month("2026-12").unwrap();
        assert_eq!(next_month(dec).unwrap(), Date::new(2027, 1, 1).unwrap());
        assert_eq!(
            previous_month(dec).unwrap(),
            Date::new(2026, 11, 1).unwrap()
        );
        assert!(parse_month("2026-13").is_none());
        assert!(parse_month("26-1").is_none());
    }
}
