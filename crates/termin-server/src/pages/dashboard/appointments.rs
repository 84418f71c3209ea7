//! Appointments: upcoming, past or cancelled, a page at a time, with a search; the detail with
//! attendees, their answers, guests, notes and the transcript; cancelling and moving from the
//! detail. The same use cases as `/v4/appointment`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;
use termin_domain::slots::Method;
use termin_domain::AppointmentId;
use termin_service::appointments::{self, AppointmentQuery, AppointmentView, Status};
use termin_service::booking::{self, TimePoint, TimesQuery};
use termin_service::ServiceError;

use super::{field, missing, parse_id, Nav, Posted, Section, Viewer};
use crate::labels::place;
use crate::pages::view::{failure, query, Layout, Page};
use crate::state::AppState;

const PER_PAGE: i64 = 20;
/// How many free times the move form offers, and how far ahead it looks.
const MOVE_CHOICES: usize = 40;
const MOVE_DAYS: i64 = 21;

#[derive(Deserialize)]
pub struct ListQuery {
    when: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

pub struct Row {
    pub href: String,
    pub when: String,
    pub title: String,
    pub who: String,
    pub state: &'static str,
}

pub struct Tab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "dash_appointments.html")]
struct ListView {
    layout: Layout,
    nav: Nav,
    tabs: Vec<Tab>,
    when: String,
    search: String,
    rows: Vec<Row>,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

fn who(a: &AppointmentView) -> String {
    let names: Vec<String> = a
        .attendees
        .iter()
        .map(|x| x.fullname.clone().unwrap_or_else(|| x.email.clone()))
        .collect();
    match names.len() {
        0 => "No attendees".into(),
        1..=3 => names.join(", "),
        n => format!("{} and {} more", names[..2].join(", "), n - 2),
    }
}

fn state_of(a: &AppointmentView, now: Timestamp) -> &'static str {
    if a.is_cancelled {
        "Cancelled"
    } else if a.end <= now {
        "Done"
    } else {
        "Upcoming"
    }
}

pub async fn list_page(
    State(state): State<AppState>,
    v: Viewer,
    Query(lq): Query<ListQuery>,
) -> Response {
    let when = match lq.when.as_deref() {
        Some("past") => "past",
        Some("cancelled") => "cancelled",
        _ => "upcoming",
    };
    let search: String = lq.q.unwrap_or_default().trim().chars().take(200).collect();
    let page = lq
        .page
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let q = AppointmentQuery {
        status: Some(match when {
            "past" => Status::Past,
            "cancelled" => Status::Cancelled,
            _ => Status::Upcoming,
        }),
        search: (!search.is_empty()).then(|| search.clone()),
        descending: when != "upcoming",
        page: page - 1,
        page_size: PER_PAGE,
        ..Default::default()
    };
    let (found, total) = match appointments::list(&state.service, &v.caller, &q).await {
        Ok(f) => f,
        Err(e) => return failure(e),
    };
    let now = state.service.now();
    let link = |when: &str, page: i64| {
        let page = page.to_string();
        let mut pairs = vec![("when", when)];
        if !search.is_empty() {
            pairs.push(("q", &search));
        }
        if page != "1" {
            pairs.push(("page", &page));
        }
        format!("/dashboard/appointments?{}", query(&pairs))
    };
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    Page::render(&ListView {
        layout: Layout::new("Appointments · termin").dashboard(),
        nav: v.nav(Section::Appointments),
        tabs: [
            ("upcoming", "Upcoming"),
            ("past", "Past"),
            ("cancelled", "Cancelled"),
        ]
        .into_iter()
        .map(|(key, label)| Tab {
            href: link(key, 1),
            label,
            current: key == when,
        })
        .collect(),
        when: when.to_owned(),
        rows: found
            .iter()
            .map(|a| Row {
                href: format!("/dashboard/appointments/{}", a.id),
                when: v.time(a.start),
                title: a.meeting_info.name.clone(),
                who: who(a),
                state: state_of(a, now),
            })
            .collect(),
        prev: (page > 1).then(|| link(when, page - 1)),
        next: (page < pages).then(|| link(when, page + 1)),
        search,
        page,
        pages,
    })
    .into_response()
}

pub struct AttendeeRow {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub zone: Option<String>,
    pub answers: Vec<(String, String)>,
    pub guests: Vec<String>,
}

#[derive(Template)]
#[template(path = "dash_appointment.html")]
struct DetailView {
    layout: Layout,
    nav: Nav,
    id: String,
    title: String,
    when: String,
    zone: String,
    place: String,
    hosts: String,
    state: &'static str,
    cancel_reason: Option<String>,
    attendees: Vec<AttendeeRow>,
    notes: Option<String>,
    transcription: Option<String>,
    summary: Option<String>,
    can_change: bool,
    times: Vec<(String, String)>,
    error: Option<String>,
}

fn answers_of(notes: &serde_json::Value) -> Vec<(String, String)> {
    match notes {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Bool(true) => "Yes".into(),
                    serde_json::Value::Bool(false) => "No".into(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        serde_json::Value::String(s) if !s.is_empty() => vec![("Note".into(), s.clone())],
        _ => Vec::new(),
    }
}

/// Free times the appointment could move to (its own time is free to it).
async fn move_choices(
    state: &AppState,
    v: &Viewer,
    a: &AppointmentView,
) -> Result<Vec<(String, String)>, ServiceError> {
    let tz = v.zone();
    let today = state.service.now().to_zoned_datetime(tz.clone()).date();
    let q = TimesQuery {
        meeting_type_id: a.meeting_type_id,
        host_ids: a.host_ids.clone(),
        method: Method::Anyone,
        timezone: None,
        duration: Some(a.meeting_info.duration),
        ignore: Some(a.id),
        start: TimePoint::Date(today),
        end: TimePoint::Date(today.saturating_add(jiff::Span::new().days(MOVE_DAYS))),
    };
    let times = match booking::bookable_times_for(&state.service, &v.caller, &q).await {
        Ok(t) => t,
        // A meeting type that takes no bookings now offers no times; the page says so.
        Err(ServiceError::Conflict(_)) | Err(ServiceError::NotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(times
        .times
        .iter()
        .filter(|(t, _)| *t != a.start)
        .take(MOVE_CHOICES)
        .map(|(t, _)| (t.to_string(), v.time(*t)))
        .collect())
}

async fn render_detail(
    state: &AppState,
    v: &Viewer,
    id: AppointmentId,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let a = match appointments::get(&state.service, &v.caller, id).await {
        Ok(a) => a,
        Err(e) => return failure(e),
    };
    let now = state.service.now();
    let can_change = !a.is_cancelled && a.start > now;
    let times = if can_change {
        match move_choices(state, v, &a).await {
            Ok(t) => t,
            Err(e) => return failure(e),
        }
    } else {
        Vec::new()
    };
    let end = v.time(a.end);
    let end_time = end.rsplit(", ").next().unwrap_or_default().to_owned();
    Page::with_status(
        status,
        &DetailView {
            layout: Layout::new(format!("{} · Appointments · termin", a.meeting_info.name))
                .dashboard(),
            nav: v.nav(Section::Appointments),
            id: a.id.to_string(),
            title: a.meeting_info.name.clone(),
            when: format!("{} – {end_time}", v.time(a.start)),
            zone: v.user.timezone.clone(),
            place: place(&a.meeting_info.channel, a.location.as_deref()),
            hosts: a
                .hosts
                .iter()
                .map(|h| h.full_name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            state: state_of(&a, now),
            cancel_reason: a.cancel.as_ref().and_then(|c| c.reason.clone()),
            attendees: a
                .attendees
                .iter()
                .map(|x| AttendeeRow {
                    name: x.fullname.clone().unwrap_or_else(|| x.email.clone()),
                    email: x.email.clone(),
                    phone: x.phone.clone(),
                    zone: x.timezone.clone(),
                    answers: answers_of(&x.notes),
                    guests: x.bringalong_emails.clone(),
                })
                .collect(),
            notes: a.notes.clone().filter(|n| !n.trim().is_empty()),
            transcription: a.transcription.clone(),
            summary: a.summary.clone(),
            can_change,
            times,
            error,
        },
    )
    .into_response()
}

pub async fn detail_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id::<AppointmentId>(&id) else {
        return missing("appointment");
    };
    render_detail(&state, &v, id, StatusCode::OK, None).await
}

/// Cancels (with a reason) or moves (to a chosen free time) an appointment.
pub async fn change(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let Some(id) = parse_id::<AppointmentId>(&id) else {
        return missing("appointment");
    };
    let result = match action.as_str() {
        "cancel" => {
            let reason = field(&fields, "reason")
                .map(str::trim)
                .filter(|r| !r.is_empty());
            appointments::cancel(&state.service, &v.caller, id, reason, None, true)
                .await
                .map(|_| ())
        }
        "move" => match field(&fields, "start").and_then(|s| s.parse::<Timestamp>().ok()) {
            Some(start) => appointments::reschedule(&state.service, &v.caller, id, start, false)
                .await
                .map(|_| ()),
            None => Err(ServiceError::field("start", "choose one of the free times")),
        },
        _ => return missing("action"),
    };
    match result {
        Ok(()) => {
            state.wake_workers();
            Redirect::to(&format!("/dashboard/appointments/{id}")).into_response()
        }
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let status = if matches!(e, ServiceError::Invalid { .. }) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::CONFLICT
            };
            let text = match e {
                ServiceError::Invalid { fields, message } => fields
                    .first()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .unwrap_or_else(|| message.into_owned()),
                other => other.to_string(),
            };
            render_detail(&state, &v, id, status, Some(text)).await
        }
        Err(e) => failure(e),
    }
}
