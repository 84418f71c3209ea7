//! Availability: the weekly editor (several ranges a day), date exceptions and the schedule's
//! zone, with a preview of the next times a meeting type that uses it offers. It saves through
//! the same use case as `PATCH /v4/availability/{id}`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Weekday;
use serde::Deserialize;
use termin_domain::availability::{
    RawDateException, RawDaySchedule, RawHourRange, RawWeeklySchedule,
};
use termin_domain::slots::Method;
use termin_domain::AvailabilityId;
use termin_service::availability::{self, AvailabilityInput, AvailabilityView};
use termin_service::booking::{self, TimePoint, TimesQuery};
use termin_service::{meeting_types, ServiceError};

use super::{all, field, outcome, Nav, Outcome, Posted, Refused, Section, Viewer};
use crate::pages::view::{failure, query, Layout, Page};
use crate::state::AppState;

const DAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Monday, "monday", "Monday"),
    (Weekday::Tuesday, "tuesday", "Tuesday"),
    (Weekday::Wednesday, "wednesday", "Wednesday"),
    (Weekday::Thursday, "thursday", "Thursday"),
    (Weekday::Friday, "friday", "Friday"),
    (Weekday::Saturday, "saturday", "Saturday"),
    (Weekday::Sunday, "sunday", "Sunday"),
];
/// How many days and times a day the preview shows, and how far ahead it looks.
const PREVIEW_DAYS_SHOWN: usize = 5;
const PREVIEW_TIMES_A_DAY: usize = 6;
const PREVIEW_DAYS: i64 = 21;

pub struct Range {
    pub start: String,
    pub end: String,
}

pub struct DayRow {
    pub key: &'static str,
    pub label: &'static str,
    pub enabled: bool,
    pub ranges: Vec<Range>,
}

pub struct ExceptionRow {
    pub date: String,
    pub blocked: bool,
    pub start: String,
    pub end: String,
}

pub struct Choice {
    pub href: String,
    pub name: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "dash_availability.html")]
struct EditorView {
    layout: Layout,
    nav: Nav,
    action: String,
    schedules: Vec<Choice>,
    name: String,
    timezone: String,
    zones: &'static [&'static str],
    days: Vec<DayRow>,
    exceptions: Vec<ExceptionRow>,
    errors: Vec<String>,
    saved: bool,
    preview_of: Option<String>,
    preview: Vec<(String, Vec<String>)>,
}

#[derive(Deserialize)]
pub struct Which {
    id: Option<String>,
    saved: Option<String>,
}

fn split(range: impl std::fmt::Display) -> Range {
    let text = range.to_string();
    let (start, end) = text.split_once('-').unwrap_or((&text, ""));
    Range {
        start: start.to_owned(),
        end: end.to_owned(),
    }
}

fn blank() -> Range {
    Range {
        start: String::new(),
        end: String::new(),
    }
}

/// The editor's rows for a stored schedule, each day with one empty range more to add.
fn rows_of(a: &AvailabilityView) -> (Vec<DayRow>, Vec<ExceptionRow>) {
    let days = DAYS
        .iter()
        .map(|(day, key, label)| {
            let d = a.schedule.day(*day);
            let mut ranges: Vec<Range> = d.hours.iter().map(split).collect();
            ranges.push(blank());
            DayRow {
                key,
                label,
                enabled: d.enabled,
                ranges,
            }
        })
        .collect();
    let mut exceptions: Vec<ExceptionRow> = Vec::new();
    for e in &a.exceptions {
        let blocked = e.kind == termin_domain::availability::ExceptionKind::Blocked;
        if e.hours.is_empty() {
            exceptions.push(ExceptionRow {
                date: e.date.to_string(),
                blocked,
                start: String::new(),
                end: String::new(),
            });
        }
        for h in &e.hours {
            let r = split(h);
            exceptions.push(ExceptionRow {
                date: e.date.to_string(),
                blocked,
                start: r.start,
                end: r.end,
            });
        }
    }
    for _ in 0..2 {
        exceptions.push(ExceptionRow {
            date: String::new(),
            blocked: true,
            start: String::new(),
            end: String::new(),
        });
    }
    (days, exceptions)
}

/// The form as the use case's input: every day (so the week is replaced), and every exception
/// row with a date (rows of one date are one exception with several ranges).
fn input_of(fields: &[(String, String)]) -> AvailabilityInput {
    let mut schedule = RawWeeklySchedule::default();
    for (day, key, _) in DAYS {
        let starts = all(fields, &format!("{key}.start"));
        let ends = all(fields, &format!("{key}.end"));
        let hours = starts
            .iter()
            .zip(ends.iter())
            .filter(|(s, e)| !s.trim().is_empty() || !e.trim().is_empty())
            .map(|(s, e)| RawHourRange {
                start: s.trim().to_owned(),
                end: e.trim().to_owned(),
            })
            .collect();
        let d = RawDaySchedule {
            enabled: Some(field(fields, key).is_some()),
            hours,
        };
        *match day {
            Weekday::Monday => &mut schedule.monday,
            Weekday::Tuesday => &mut schedule.tuesday,
            Weekday::Wednesday => &mut schedule.wednesday,
            Weekday::Thursday => &mut schedule.thursday,
            Weekday::Friday => &mut schedule.friday,
            Weekday::Saturday => &mut schedule.saturday,
            Weekday::Sunday => &mut schedule.sunday,
        } = Some(d);
    }
    let dates = all(fields, "exDate");
    let kinds = all(fields, "exKind");
    let starts = all(fields, "exStart");
    let ends = all(fields, "exEnd");
    let mut exceptions: Vec<RawDateException> = Vec::new();
    for (i, date) in dates.iter().enumerate() {
        let date = date.trim();
        if date.is_empty() {
            continue;
        }
        let kind = kinds.get(i).copied().unwrap_or("blocked").to_owned();
        let (s, e) = (
            starts.get(i).map(|s| s.trim()).unwrap_or_default(),
            ends.get(i).map(|s| s.trim()).unwrap_or_default(),
        );
        let range = (!s.is_empty() || !e.is_empty()).then(|| RawHourRange {
            start: s.to_owned(),
            end: e.to_owned(),
        });
        match exceptions
            .iter_mut()
            .find(|x| x.date == date && x.kind == kind)
        {
            Some(x) => x.hours.extend(range),
            None => exceptions.push(RawDateException {
                date: date.to_owned(),
                kind,
                hours: range.into_iter().collect(),
            }),
        }
    }
    AvailabilityInput {
        name: field(fields, "name").map(str::to_owned),
        timezone: field(fields, "timezone").map(|t| t.trim().to_owned()),
        schedule: Some(schedule),
        exceptions: Some(exceptions),
    }
}

/// "schedule.monday.hours[0].start: must be ..." as a person reads it.
fn readable(field: &str, message: &str) -> String {
    let mut out = field
        .replace("schedule.", "")
        .replace("exceptions", "Exception");
    for (_, key, label) in DAYS {
        out = out.replace(key, label);
    }
    let out = out.replace(".hours", ", range").replace('.', " ");
    if out.is_empty() {
        message.to_owned()
    } else {
        format!("{out}: {message}")
    }
}

/// The next bookable times of the viewer's first enabled meeting type on this schedule.
async fn preview(
    state: &AppState,
    v: &Viewer,
    a: &AvailabilityView,
    first: bool,
) -> Result<(Option<String>, Vec<(String, Vec<String>)>), ServiceError> {
    let types = meeting_types::list(&state.service, &v.caller).await?;
    let Some(mt) = types.into_iter().find(|m| {
        m.enabled && (m.availability_id == Some(a.id) || (m.availability_id.is_none() && first))
    }) else {
        return Ok((None, Vec::new()));
    };
    let tz = v.zone();
    let today = state.service.now().to_zoned_datetime(tz.clone()).date();
    let q = TimesQuery {
        meeting_type_id: mt.id,
        host_ids: Vec::new(),
        method: Method::Anyone,
        timezone: None,
        duration: None,
        ignore: None,
        start: TimePoint::Date(today),
        end: TimePoint::Date(today.saturating_add(jiff::Span::new().days(PREVIEW_DAYS))),
    };
    let answer = booking::bookable_times_for(&state.service, &v.caller, &q).await?;
    // The first few times of each of the next few open days: the shape of the week shows.
    let mut days: Vec<(String, Vec<String>)> = Vec::new();
    for (t, _) in &answer.times {
        let z = t.to_zoned_datetime(tz.clone());
        let day = z.strftime("%A, %-d %B").to_string();
        let time = z.strftime("%H:%M").to_string();
        let shown = days.len();
        match days.last_mut() {
            Some((d, times)) if *d == day => {
                if times.len() < PREVIEW_TIMES_A_DAY {
                    times.push(time);
                }
            }
            _ if shown == PREVIEW_DAYS_SHOWN => break,
            _ => days.push((day, vec![time])),
        }
    }
    Ok((Some(mt.meeting_info.name.clone()), days))
}

async fn render(
    state: &AppState,
    v: &Viewer,
    which: Option<&str>,
    status: StatusCode,
    edited: Option<Refused<'_>>,
    saved: bool,
) -> Response {
    let list = match availability::list(&state.service, &v.caller).await {
        Ok(l) => l,
        Err(e) => return failure(e),
    };
    let wanted: Option<AvailabilityId> = which.and_then(|w| w.parse().ok());
    let index = wanted
        .and_then(|id| list.iter().position(|a| a.id == id))
        .unwrap_or(0);
    let Some(a) = list.get(index) else {
        return failure(ServiceError::not_found(
            "You have no availability schedule yet",
        ));
    };
    let (mut days, mut exceptions) = rows_of(a);
    let (mut name, mut timezone) = (a.name.clone(), a.timezone.clone());
    let mut errors = Vec::new();
    if let Some((fields, errs)) = edited {
        // Show what was typed, not what is stored, next to what is wrong with it.
        let typed = input_of(fields);
        name = typed.name.unwrap_or(name);
        timezone = typed.timezone.unwrap_or(timezone);
        for row in &mut days {
            row.enabled = field(fields, row.key).is_some();
            let starts = all(fields, &format!("{}.start", row.key));
            let ends = all(fields, &format!("{}.end", row.key));
            row.ranges = starts
                .iter()
                .zip(ends.iter())
                .map(|(s, e)| Range {
                    start: (*s).to_owned(),
                    end: (*e).to_owned(),
                })
                .collect();
        }
        exceptions = all(fields, "exDate")
            .iter()
            .enumerate()
            .map(|(i, d)| ExceptionRow {
                date: (*d).to_owned(),
                blocked: all(fields, "exKind").get(i).copied() != Some("available"),
                start: all(fields, "exStart")
                    .get(i)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                end: all(fields, "exEnd")
                    .get(i)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect();
        errors = errs;
    }
    let (preview_of, times) = match preview(state, v, a, index == 0).await {
        Ok(p) => p,
        Err(e) => return failure(e),
    };
    let schedules = list
        .iter()
        .enumerate()
        .map(|(i, s)| Choice {
            href: format!(
                "/dashboard/availability?{}",
                query(&[("id", &s.id.to_string())])
            ),
            name: s.name.clone(),
            current: i == index,
        })
        .collect();
    Page::with_status(
        status,
        &EditorView {
            layout: Layout::new("Availability · termin").dashboard(),
            nav: v.nav(Section::Availability),
            action: format!(
                "/dashboard/availability?{}",
                query(&[("id", &a.id.to_string())])
            ),
            schedules,
            name,
            timezone,
            zones: crate::pages::calendar::zones(),
            days,
            exceptions,
            errors,
            saved,
            preview_of,
            preview: times,
        },
    )
    .into_response()
}

pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(which): Query<Which>,
) -> Response {
    render(
        &state,
        &v,
        which.id.as_deref(),
        StatusCode::OK,
        None,
        which.saved.is_some(),
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    Query(which): Query<Which>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let Some(id) = which
        .id
        .as_deref()
        .and_then(|i| i.parse::<AvailabilityId>().ok())
    else {
        return failure(ServiceError::not_found("Availability not found"));
    };
    match availability::update(&state.service, &v.caller, id, &input_of(&fields)).await {
        Ok(_) => Redirect::to(&format!(
            "/dashboard/availability?{}",
            query(&[("id", &id.to_string()), ("saved", "1")])
        ))
        .into_response(),
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                let errors = errors.iter().map(|(f, m)| readable(f, m)).collect();
                render(
                    &state,
                    &v,
                    Some(&id.to_string()),
                    StatusCode::BAD_REQUEST,
                    Some((&fields, errors)),
                    false,
                )
                .await
            }
        },
    }
}
