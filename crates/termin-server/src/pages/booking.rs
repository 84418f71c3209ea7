//! The booking page (`/{userSlug}/{meetingTypeSlug}`) and the reschedule page of a manage link:
//! a month calendar, the free times of a day, and the form. Both are one flow over two use cases
//! (book, move), so they look and behave the same.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use termin_domain::slots::Method;
use termin_domain::validate::TimeZoneName;
use termin_domain::AppointmentId;
use termin_service::appointments::BookingRequest;
use termin_service::booking::{BookableTimes, TimePoint, TimesQuery};
use termin_service::meeting_types::MeetingType;
use termin_service::public::{self, Bookable, Managed};
use termin_service::{ServiceError, ServiceResult, UserRecord, SLOT_TAKEN};

use super::calendar::{self, Day, WEEKDAYS};
use super::form::{attendee_of, fields, values_of, Field};
use super::view::{failure, language, message, query, Layout, Page};
use crate::labels::{channel_label, duration_label};
use crate::state::AppState;

/// How many other free times a "just taken" answer offers.
const ALTERNATIVES: usize = 12;

pub struct DurationChoice {
    pub label: String,
    pub href: String,
    pub selected: bool,
}

pub struct TimeLink {
    pub label: String,
    pub href: String,
}

pub struct TimeOption {
    pub label: String,
    pub value: String,
    pub selected: bool,
}

pub struct Chosen {
    pub label: String,
    pub value: String,
    pub back: String,
    pub day: String,
}

#[derive(Template)]
#[template(path = "booking.html")]
struct BookingView {
    layout: Layout,
    tz: String,
    host_slug: String,
    host_name: String,
    title: String,
    duration_label: String,
    channel: String,
    durations: Vec<DurationChoice>,
    description: Option<String>,
    rescheduling: Option<String>,
    notice: Option<String>,
    action: String,
    duration: i64,
    one_time: Option<String>,
    // The form step.
    chosen: Option<Chosen>,
    alternatives: Vec<TimeOption>,
    fields: Vec<Field>,
    submit: &'static str,
    // The calendar step.
    prev_month: Option<String>,
    next_month: Option<String>,
    month_label: String,
    weekdays: [(&'static str, &'static str); 7],
    weeks: Vec<[Option<Day>; 7]>,
    keep: Vec<(&'static str, String)>,
    /// The zone list's `<option>`s before and after the visitor's (see
    /// [`calendar::zone_options`]).
    zones_before: &'static str,
    zones_after: &'static str,
    day_label: Option<String>,
    times: Vec<TimeLink>,
    empty_month: String,
}

/// Booking a meeting type, or moving a booking through its manage link.
enum Flow<'a> {
    Book(&'a Bookable),
    Move { managed: &'a Managed, base: String },
}

impl Flow<'_> {
    fn host(&self) -> &UserRecord {
        match self {
            Flow::Book(b) => &b.host,
            Flow::Move { managed, .. } => &managed.host,
        }
    }

    fn meeting_type(&self) -> &MeetingType {
        match self {
            Flow::Book(b) => &b.meeting_type,
            Flow::Move { managed, .. } => &managed.meeting_type,
        }
    }

    /// The page's own address; its form posts here too.
    fn base(&self) -> String {
        match self {
            Flow::Book(b) => format!("/{}/{}", b.host.slug, b.meeting_type.record.slug),
            Flow::Move { base, .. } => base.clone(),
        }
    }

    async fn times(&self, state: &AppState, q: &TimesQuery) -> ServiceResult<BookableTimes> {
        match self {
            Flow::Book(b) => public::times(&state.service, b, q).await,
            Flow::Move { managed, .. } => {
                public::reschedule_times(&state.service, managed, q).await
            }
        }
    }

    fn layout(&self, title: String) -> Layout {
        let layout = Layout {
            script: true,
            ..Layout::new(title)
        };
        match self {
            Flow::Book(b) => layout.with_colors(&b.page),
            Flow::Move { .. } => layout,
        }
    }
}

/// What the visitor has picked so far: zone, length, month, day and time.
struct Pick {
    tz_name: String,
    tz: TimeZone,
    duration: i64,
    default_duration: i64,
    /// Whether the month was asked for (otherwise an empty current month moves on once).
    month_given: bool,
    month: Date,
    date: Option<Date>,
    time: Option<Timestamp>,
    /// The token of the one-time link the visitor came through.
    link: Option<String>,
}

impl Pick {
    /// From the query or form: whatever is missing or does not parse takes its default, so an
    /// edited or old link still shows a page.
    fn read(values: &BTreeMap<String, String>, flow: &Flow<'_>, now: Timestamp) -> Self {
        let host_zone = || {
            let name = flow.host().timezone.clone();
            let tz = TimeZone::get(&name).unwrap_or(TimeZone::UTC);
            (name, tz)
        };
        // Only names as the time zone database spells them: they are stored on the attendee.
        let (tz_name, tz) = values
            .get("tz")
            .and_then(|t| TimeZoneName::parse(t).ok())
            .and_then(|t| {
                TimeZone::get(t.as_str())
                    .ok()
                    .map(|tz| (t.as_str().to_owned(), tz))
            })
            .unwrap_or_else(host_zone);
        let mt = flow.meeting_type();
        let default_duration = match flow {
            Flow::Book(_) => mt.settings.meeting_info.duration,
            Flow::Move { managed, .. } => managed
                .view
                .end
                .duration_since(managed.view.start)
                .as_mins(),
        };
        let duration = match flow {
            Flow::Book(_) => values
                .get("duration")
                .and_then(|d| d.parse().ok())
                .filter(|d| termin_service::booking::allowed_duration(mt, Some(*d)).is_ok())
                .unwrap_or(default_duration),
            Flow::Move { .. } => default_duration,
        };
        let today = now.to_zoned_datetime(tz.clone()).date();
        let date = values.get("date").and_then(|d| d.parse::<Date>().ok());
        let time = values
            .get("time")
            .or_else(|| values.get("start"))
            .and_then(|t| termin_service::wire_time::parse(t).ok());
        // Months, days and times more than ten years ahead are not pages anyone books from.
        let far = today.saturating_add(jiff::Span::new().years(10));
        let date = date.filter(|d| *d <= far);
        let time = time.filter(|t| t.to_zoned_datetime(tz.clone()).date() <= far);
        let asked_month = values
            .get("month")
            .and_then(|m| calendar::parse_month(m))
            .filter(|m| *m <= far);
        let month = asked_month
            .or(date.map(|d| d.first_of_month()))
            .or(time.map(|t| t.to_zoned_datetime(tz.clone()).date().first_of_month()))
            .unwrap_or(today.first_of_month())
            .max(today.first_of_month());
        let link = values
            .get("link")
            .filter(|l| (1..=64).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric()))
            .cloned();
        Self {
            link,
            month_given: asked_month.is_some() || date.is_some() || time.is_some(),
            tz_name,
            tz,
            duration,
            default_duration,
            month,
            date,
            time,
        }
    }

    /// A link to this page with `changes` applied (`None` removes a key).
    fn href(&self, base: &str, changes: &[(&str, Option<String>)]) -> String {
        let mut pairs: Vec<(&str, String)> = vec![
            ("month", calendar::month_key(self.month)),
            ("tz", self.tz_name.clone()),
        ];
        if self.duration != self.default_duration {
            pairs.push(("duration", self.duration.to_string()));
        }
        if let Some(d) = self.date {
            pairs.push(("date", d.to_string()));
        }
        if let Some(link) = &self.link {
            pairs.push(("link", link.clone()));
        }
        for (key, value) in changes {
            pairs.retain(|(k, _)| k != key);
            if let Some(v) = value {
                pairs.push((key, v.clone()));
            }
        }
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        format!("{base}?{}", query(&borrowed))
    }
}

/// The free times of `month` from today on, by day in the visitor's zone.
async fn month_times(
    state: &AppState,
    flow: &Flow<'_>,
    pick: &Pick,
    month: Date,
) -> ServiceResult<BTreeMap<Date, Vec<Timestamp>>> {
    let today = state
        .service
        .now()
        .to_zoned_datetime(pick.tz.clone())
        .date();
    let from = month.max(today);
    let last = month.last_of_month();
    let mut free: BTreeMap<Date, Vec<Timestamp>> = BTreeMap::new();
    if from > last {
        return Ok(free);
    }
    let timezone = TimeZoneName::stored(&pick.tz_name).map_err(ServiceError::internal)?;
    let q = TimesQuery {
        meeting_type_id: flow.meeting_type().record.id,
        host_ids: Vec::new(),
        method: Method::Anyone,
        timezone: Some(timezone),
        duration: Some(pick.duration),
        ignore: None,
        start: TimePoint::Date(from),
        end: TimePoint::Date(last),
    };
    let answer = flow.times(state, &q).await?;
    // The times come in order: find each one's day by comparing with the next midnight, so the
    // zone's rules are consulted once a day, not once a time (a month of 5-minute times is
    // thousands).
    let mut day: Option<(Date, Timestamp)> = None;
    for (at, _) in answer.times {
        let current = match day {
            Some((date, next_midnight)) if at < next_midnight => date,
            _ => {
                let date = at.to_zoned_datetime(pick.tz.clone()).date();
                let next = date
                    .tomorrow()
                    .ok()
                    .and_then(|d| d.to_zoned_datetime(pick.tz.clone()).ok())
                    .map_or(Timestamp::MAX, |z| z.timestamp());
                day = Some((date, next));
                date
            }
        };
        free.entry(current).or_default().push(at);
    }
    Ok(free)
}

/// The page's head: the meeting type, its lengths, and what is being moved.
fn view_of(flow: &Flow<'_>, pick: &Pick) -> BookingView {
    let mt = flow.meeting_type();
    let host = flow.host();
    let info = &mt.settings.meeting_info;
    let base = flow.base();
    let mut lengths = vec![info.duration];
    lengths.extend(&mt.settings.meeting_options.allowed_durations);
    lengths.sort_unstable();
    lengths.dedup();
    let durations = match flow {
        Flow::Book(_) => lengths
            .iter()
            .map(|d| DurationChoice {
                label: duration_label(*d),
                href: pick.href(&base, &[("duration", Some(d.to_string())), ("time", None)]),
                selected: *d == pick.duration,
            })
            .collect(),
        Flow::Move { .. } => Vec::new(),
    };
    let rescheduling = match flow {
        Flow::Move { managed, .. } => Some(format!(
            "Now: {}",
            calendar::span(managed.view.start, managed.view.end, &pick.tz)
        )),
        Flow::Book(_) => None,
    };
    let host_name = host.full_name();
    BookingView {
        layout: flow.layout(format!("{} with {host_name}", info.name)),
        tz: pick.tz_name.clone(),
        host_slug: host.slug.clone(),
        host_name,
        title: info.name.clone(),
        duration_label: duration_label(pick.duration),
        channel: channel_label(&info.channel).to_owned(),
        durations,
        description: info.description.clone(),
        rescheduling,
        notice: None,
        action: base,
        duration: pick.duration,
        one_time: pick.link.clone(),
        chosen: None,
        alternatives: Vec::new(),
        fields: Vec::new(),
        submit: match flow {
            Flow::Book(_) => "Book",
            Flow::Move { .. } => "Move my booking here",
        },
        prev_month: None,
        next_month: None,
        month_label: String::new(),
        weekdays: WEEKDAYS,
        weeks: Vec::new(),
        keep: Vec::new(),
        zones_before: "",
        zones_after: "",
        day_label: None,
        times: Vec::new(),
        empty_month: String::new(),
    }
}

/// The calendar step, or the form step when a free time is picked.
async fn render_pick(
    state: &AppState,
    flow: &Flow<'_>,
    mut pick: Pick,
    mut notice: Option<String>,
) -> Response {
    let mut free = match month_times(state, flow, &pick, pick.month).await {
        Ok(free) => free,
        Err(e) => return failure(e),
    };
    if free.is_empty() && !pick.month_given {
        if let Some(next) = calendar::next_month(pick.month) {
            match month_times(state, flow, &pick, next).await {
                Ok(more) if !more.is_empty() => {
                    free = more;
                    pick.month = next;
                }
                Ok(_) => {}
                Err(e) => return failure(e),
            }
        }
    }
    if let Some(time) = pick.time {
        let day = time.to_zoned_datetime(pick.tz.clone()).date();
        if free.get(&day).is_some_and(|times| times.contains(&time)) {
            let values = BTreeMap::new();
            return form_step(
                flow,
                &pick,
                time,
                &values,
                &BTreeMap::new(),
                notice,
                Vec::new(),
            )
            .into_response();
        }
        notice = Some("That time is no longer free. Please pick another one.".into());
        pick.date = Some(day);
    }
    let base = flow.base();
    let mut view = view_of(flow, &pick);
    let selected = pick
        .date
        .filter(|d| d.first_of_month() == pick.month)
        .or_else(|| free.keys().next().copied());
    let today_month = state
        .service
        .now()
        .to_zoned_datetime(pick.tz.clone())
        .date()
        .first_of_month();
    view.notice = notice;
    view.prev_month = calendar::previous_month(pick.month)
        .filter(|m| *m >= today_month)
        .map(|m| {
            pick.href(
                &base,
                &[("month", Some(calendar::month_key(m))), ("date", None)],
            )
        });
    view.next_month = calendar::next_month(pick.month).map(|m| {
        pick.href(
            &base,
            &[("month", Some(calendar::month_key(m))), ("date", None)],
        )
    });
    view.month_label = calendar::month_label(pick.month);
    // Every day and time link is this page with the day (and time) added: the common part is
    // built once (a month has dozens of them).
    let here = pick.href(&base, &[("date", None), ("time", None)]);
    view.weeks = calendar::weeks(pick.month, &free, selected, |d| format!("{here}&date={d}"));
    view.keep = vec![("month", calendar::month_key(pick.month))];
    if pick.duration != pick.default_duration {
        view.keep.push(("duration", pick.duration.to_string()));
    }
    if let Some(d) = selected {
        view.keep.push(("date", d.to_string()));
    }
    (view.zones_before, view.zones_after) = calendar::zone_options(&pick.tz_name);
    view.day_label = selected.map(calendar::day_label);
    view.times = selected
        .and_then(|d| free.get(&d))
        .map(|times| {
            times
                .iter()
                .map(|t| TimeLink {
                    label: calendar::clock(*t, &pick.tz),
                    href: format!(
                        "{here}&date={}&time={}",
                        selected.map(|d| d.to_string()).unwrap_or_default(),
                        termin_service::wire_time::format(*t)
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    view.empty_month = format!(
        "No free times in {}. Try the next month.",
        calendar::month_label(pick.month)
    );
    Page::render(&view).into_response()
}

/// The form step: the chosen time, and the fields (with what was typed and what is wrong).
fn form_step(
    flow: &Flow<'_>,
    pick: &Pick,
    time: Timestamp,
    values: &BTreeMap<String, String>,
    errors: &BTreeMap<String, String>,
    notice: Option<String>,
    alternatives: Vec<Timestamp>,
) -> Page {
    let base = flow.base();
    let mut view = view_of(flow, pick);
    let end = time + jiff::SignedDuration::from_mins(pick.duration);
    let day = time.to_zoned_datetime(pick.tz.clone()).date();
    let label = if alternatives.is_empty() {
        calendar::span(time, end, &pick.tz)
    } else {
        format!("{} is taken", calendar::span(time, end, &pick.tz))
    };
    view.chosen = Some(Chosen {
        label,
        value: termin_service::wire_time::format(time),
        back: pick.href(&base, &[("date", Some(day.to_string())), ("time", None)]),
        day: calendar::day_label(day),
    });
    view.alternatives = alternatives
        .iter()
        .map(|t| TimeOption {
            // Times of the day asked for read as times; later days name their day.
            label: if t.to_zoned_datetime(pick.tz.clone()).date() == day {
                calendar::clock(*t, &pick.tz)
            } else {
                format!(
                    "{}, {}",
                    t.to_zoned_datetime(pick.tz.clone()).strftime("%a %-d %b"),
                    calendar::clock(*t, &pick.tz)
                )
            },
            value: termin_service::wire_time::format(*t),
            selected: false,
        })
        .collect();
    view.notice = notice;
    if let Flow::Book(b) = flow {
        view.fields = fields(&b.meeting_type, values, errors);
    }
    let status = if errors.is_empty() && view.notice.is_none() {
        StatusCode::OK
    } else if view.alternatives.is_empty() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::CONFLICT
    };
    Page::with_status(status, &view)
}

/// Free times from `time`'s day on, for "that time was just taken".
async fn alternatives(
    state: &AppState,
    flow: &Flow<'_>,
    pick: &Pick,
    time: Timestamp,
) -> Vec<Timestamp> {
    let day = time.to_zoned_datetime(pick.tz.clone()).date();
    let mut out = Vec::new();
    let mut month = day.first_of_month();
    for _ in 0..2 {
        if let Ok(free) = month_times(state, flow, pick, month).await {
            out.extend(
                free.range(day..)
                    .flat_map(|(_, times)| times.iter().copied())
                    .take(ALTERNATIVES - out.len()),
            );
        }
        match calendar::next_month(month) {
            Some(next) if out.len() < ALTERNATIVES => month = next,
            _ => break,
        }
    }
    out
}

/// The meeting type at `/{user}/{slug}`, or the answer for why there is none to book: the
/// API's 404 for a path no host can have, or a page.
async fn bookable(state: &AppState, user: &str, slug: &str) -> Result<Bookable, Response> {
    if let Some(api) = super::view::not_a_host_path(user) {
        return Err(api);
    }
    public::bookable(&state.service, user, slug)
        .await
        .map_err(failure)
}

/// The page for a one-time link that may not book (unknown, or used), if the visitor came
/// through one.
async fn link_refused(state: &AppState, b: &Bookable, pick: &Pick) -> Option<Response> {
    let token = pick.link.as_ref()?;
    public::check_link(&state.service, b, token)
        .await
        .err()
        .map(failure)
}

pub async fn page(
    State(state): State<AppState>,
    Path((user, slug)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
) -> Response {
    let b = match bookable(&state, &user, &slug).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    let flow = Flow::Book(&b);
    let pick = Pick::read(&values_of(raw), &flow, state.service.now());
    if let Some(refused) = link_refused(&state, &b, &pick).await {
        return refused;
    }
    render_pick(&state, &flow, pick, None).await
}

pub async fn book(
    State(state): State<AppState>,
    Path((user, slug)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let b = match bookable(&state, &user, &slug).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    let Some(values) = super::view::form(&body).map(values_of) else {
        return super::view::unreadable_form();
    };
    if values.get("website").is_some_and(|v| !v.is_empty()) {
        return message(
            StatusCode::BAD_REQUEST,
            "Booking not accepted",
            "This form was filled in by a program. If you are a person, please go back and book again.",
            None,
        );
    }
    let flow = Flow::Book(&b);
    let pick = Pick::read(&values, &flow, state.service.now());
    if let Some(refused) = link_refused(&state, &b, &pick).await {
        return refused;
    }
    let Some(time) = pick.time else {
        return render_pick(&state, &flow, pick, Some("Please pick a time.".into())).await;
    };
    let attendee = match attendee_of(&b.meeting_type, &values, &pick.tz_name, language(&headers)) {
        Ok(a) => a,
        Err(errors) => {
            return form_step(&flow, &pick, time, &values, &errors, None, Vec::new())
                .into_response()
        }
    };
    let request = BookingRequest {
        meeting_type_id: b.meeting_type.record.id,
        start: time,
        duration: Some(pick.duration),
        host_ids: None,
        channel: None,
        location: None,
        attendee,
        one_time_link: pick.link.clone(),
    };
    let limit = state.config.pages.bookings_per_email_hour;
    match public::book(&state.service, &b, &request, limit).await {
        Ok(booked) => {
            state.wake_workers();
            Redirect::to(&format!(
                "/manage/{}/{}?done=booked",
                booked.appointment_id, booked.secret
            ))
            .into_response()
        }
        Err(e) => refused(&state, &flow, &pick, time, &values, e).await,
    }
}

/// A booking or move the use case refused, shown on the form with what was typed kept.
async fn refused(
    state: &AppState,
    flow: &Flow<'_>,
    pick: &Pick,
    time: Timestamp,
    values: &BTreeMap<String, String>,
    e: ServiceError,
) -> Response {
    match e {
        ServiceError::Conflict(m) if m == SLOT_TAKEN => {
            let others = alternatives(state, flow, pick, time).await;
            let notice = if others.is_empty() {
                "Sorry, someone has just booked this time, and there are no other free times soon."
            } else {
                "Sorry, someone has just booked this time. Please pick one of these free times; what you typed is kept."
            };
            form_step(
                flow,
                pick,
                time,
                values,
                &BTreeMap::new(),
                Some(notice.into()),
                others,
            )
            .into_response()
        }
        ServiceError::Throttled { message, .. } => {
            let mut page = form_step(
                flow,
                pick,
                time,
                values,
                &BTreeMap::new(),
                Some(message.into()),
                Vec::new(),
            );
            page.status = StatusCode::TOO_MANY_REQUESTS;
            page.into_response()
        }
        ServiceError::Invalid { message, fields } => {
            let mut errors = BTreeMap::new();
            let mut general = Vec::new();
            for f in fields {
                let name = match f.field.as_str() {
                    "attendee.email" => "email".to_owned(),
                    other if other.starts_with("attendee.notes.") => {
                        format!("q.{}", other.trim_start_matches("attendee.notes."))
                    }
                    other if other.starts_with("attendee.bringalongEmails") => "guests".into(),
                    _ => {
                        general.push(f.message);
                        continue;
                    }
                };
                errors.insert(name, f.message);
            }
            let notice = (!general.is_empty() || errors.is_empty()).then(|| {
                if general.is_empty() {
                    message.into_owned()
                } else {
                    general.join(" ")
                }
            });
            form_step(flow, pick, time, values, &errors, notice, Vec::new()).into_response()
        }
        other => failure(other),
    }
}

/// The manage link's appointment and the reschedule page's address, or the page saying why not.
async fn managed(state: &AppState, id: &str, secret: &str) -> Result<(Managed, String), Response> {
    let Ok(id) = id.parse::<AppointmentId>() else {
        return Err(failure(ServiceError::not_found("This link is not valid")));
    };
    let m = public::manage(&state.service, id, secret)
        .await
        .map_err(failure)?;
    if m.cancelled() {
        return Err(message(
            StatusCode::GONE,
            "This booking is cancelled",
            "A cancelled booking cannot be moved. You can book a new time instead.",
            Some((
                format!("/{}/{}", m.host.slug, m.meeting_type.record.slug),
                "Book a new time".into(),
            )),
        ));
    }
    Ok((m, format!("/manage/{id}/{secret}/reschedule")))
}

pub async fn reschedule_page(
    State(state): State<AppState>,
    Path((id, secret)): Path<(String, String)>,
    Query(raw): Query<Vec<(String, String)>>,
) -> Response {
    let (m, base) = match managed(&state, &id, &secret).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let flow = Flow::Move { managed: &m, base };
    let pick = Pick::read(&values_of(raw), &flow, state.service.now());
    render_pick(&state, &flow, pick, None).await
}

pub async fn reschedule(
    State(state): State<AppState>,
    Path((id, secret)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (m, base) = match managed(&state, &id, &secret).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let Some(values) = super::view::form(&body).map(values_of) else {
        return super::view::unreadable_form();
    };
    let flow = Flow::Move { managed: &m, base };
    let pick = Pick::read(&values, &flow, state.service.now());
    let Some(time) = pick.time else {
        return render_pick(&state, &flow, pick, Some("Please pick a time.".into())).await;
    };
    match public::reschedule(&state.service, m.view.id, &secret, time).await {
        Ok(_) => {
            state.wake_workers();
            Redirect::to(&format!("/manage/{}/{secret}?done=moved", m.view.id)).into_response()
        }
        Err(e) => refused(&state, &flow, &pick, time, &values, e).await,
    }
}
