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
        let open = free.contains_key(&day);
        week[column] = Some(Day {
            number: day.day(),
            // Named for the links only: a day without times is a number in its weekday's column.
            label: if open { day_label(day) } else { String::new() },
            href: open.then(|| href(day)),
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

pub fn next_month(first: Date) -> Option<Date> {
    first.last_of_month().tomorrow().ok()
}

pub fn previous_month(first: Date) -> Option<Date> {
    first.yesterday().ok().map(Date::first_of_month)
}

/// "10:00"
pub fn clock(t: Timestamp, tz: &TimeZone) -> String {
    let local = tz.to_datetime(t);
    format!("{:02}:{:02}", local.hour(), local.minute())
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

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "Thursday, 3 December" (written out: a month of them is on every calendar page)
pub fn day_label(d: Date) -> String {
    let weekday = WEEKDAYS[usize::from(d.weekday().to_monday_zero_offset().unsigned_abs())].1;
    let month = MONTHS[usize::from(d.month().unsigned_abs()) - 1];
    format!("{weekday}, {} {month}", d.day())
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

/// The zone list's `<option>`s around the selected one: the options before it, and after it
/// (all of them after it when the list does not have it: an alias a link named). The list is
/// rendered once; a page only writes the selected option between the two halves.
pub fn zone_options(selected: &str) -> (&'static str, &'static str) {
    /// The options' HTML, and where each zone's option starts and ends in it.
    type Rendered = (String, Vec<(&'static str, usize, usize)>);
    static OPTIONS: OnceLock<Rendered> = OnceLock::new();
    let (all, at) = OPTIONS.get_or_init(|| {
        let mut html = String::new();
        let mut at = Vec::new();
        for z in zones() {
            // Zone names are letters, digits, `/`, `_`, `+` and `-`: nothing to escape.
            let start = html.len();
            html.push_str(&format!("<option>{z}</option>"));
            at.push((*z, start, html.len()));
        }
        (html, at)
    });
    match at.binary_search_by(|(z, _, _)| z.cmp(&selected)) {
        Ok(i) => (&all[..at[i].1], &all[at[i].2..]),
        Err(_) => ("", all.as_str()),
    }
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
    fn the_zone_list_splits_around_the_visitors_zone() {
        let (before, after) = zone_options("Asia/Tokyo");
        assert!(before.ends_with("</option>") && !before.contains("Asia/Tokyo"));
        assert!(
            after.starts_with("<option>Asia/Tomsk</option>"),
            "{}",
            &after[..40]
        );
        let (none, all) = zone_options("US/Pacific");
        assert!(none.is_empty() && all.starts_with("<option>Africa/Abidjan</option>"));
        assert_eq!(
            day_label(Date::new(2026, 12, 3).unwrap()),
            "Thursday, 3 December"
        );
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
