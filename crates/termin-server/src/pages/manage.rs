//! `/manage/{appointmentId}/{secret}`: the attendee's own page for their booking, with the
//! calendar file, the way to cancel, and the way to reschedule (see `booking`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use jiff::tz::TimeZone;
use termin_domain::AppointmentId;
use termin_service::public::{self, Managed};
use termin_service::ServiceError;

use super::calendar;
use super::view::{failure, Layout, Page};
use crate::labels::place;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "manage.html")]
struct ManageView {
    layout: Layout,
    notice: Option<String>,
    notice_kind: &'static str,
    title: String,
    host_name: String,
    cancelled: bool,
    cancel_reason: Option<String>,
    your_time: String,
    your_zone: String,
    host_time: Option<String>,
    host_zone: String,
    place: String,
    attendee_name: Option<String>,
    base: String,
    can_reschedule: bool,
    book_again: String,
}

async fn load(
    state: &AppState,
    id: &str,
    secret: &str,
) -> Result<(AppointmentId, Managed), Response> {
    let Ok(id) = id.parse::<AppointmentId>() else {
        return Err(failure(ServiceError::not_found("This link is not valid")));
    };
    match public::manage(&state.service, id, secret).await {
        Ok(m) => Ok((id, m)),
        Err(e) => Err(failure(e)),
    }
}

pub async fn page(
    State(state): State<AppState>,
    Path((id, secret)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (id, m) = match load(&state, &id, &secret).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let attendee = m.view.attendees.first();
    let your_zone = attendee
        .and_then(|a| a.timezone.clone())
        .unwrap_or_else(|| m.host.timezone.clone());
    let your_tz = TimeZone::get(&your_zone).unwrap_or(TimeZone::UTC);
    let host_tz = TimeZone::get(&m.host.timezone).unwrap_or(TimeZone::UTC);
    let your_time = calendar::span(m.view.start, m.view.end, &your_tz);
    let host_time = calendar::span(m.view.start, m.view.end, &host_tz);
    let done = query
        .iter()
        .rev()
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.as_str());
    let (notice, notice_kind) = match done {
        Some("booked") => (
            Some("Your booking is confirmed. A confirmation is on its way to your inbox."),
            "ok",
        ),
        Some("moved") => (Some("Your booking has been moved to the new time."), "ok"),
        Some("cancelled") => (Some("Your booking has been cancelled."), "ok"),
        _ => (None, "ok"),
    };
    let host_name = m.host.full_name();
    let place = place(&m.view.meeting_info.channel, m.view.location.as_deref());
    let view = ManageView {
        layout: Layout::new(format!("{} with {host_name}", m.view.meeting_info.name)),
        notice: notice.map(str::to_owned),
        notice_kind,
        title: m.view.meeting_info.name.clone(),
        cancelled: m.cancelled(),
        cancel_reason: m.view.cancel.as_ref().and_then(|c| c.reason.clone()),
        host_time: (host_time != your_time || your_zone != m.host.timezone).then_some(host_time),
        host_zone: m.host.timezone.clone(),
        your_time,
        your_zone,
        place,
        attendee_name: attendee.and_then(|a| a.fullname.clone()),
        base: format!("/manage/{id}/{secret}"),
        can_reschedule: m.view.taken_spots <= 1,
        book_again: format!("/{}/{}", m.host.slug, m.meeting_type.record.slug),
        host_name,
    };
    Page::render(&view).into_response()
}

/// The booking as a calendar file, for "add to calendar".
pub async fn ics(
    State(state): State<AppState>,
    Path((id, secret)): Path<(String, String)>,
) -> Response {
    let (_, m) = match load(&state, &id, &secret).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let body = termin_service::appointments::ics(&m.view);
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"invite.ics\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn cancel(
    State(state): State<AppState>,
    Path((id, secret)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(fields) = super::view::form(&body) else {
        return super::view::unreadable_form();
    };
    let reason = fields
        .into_iter()
        .filter(|(k, _)| k == "reason")
        .map(|(_, v)| v)
        .next_back()
        .unwrap_or_default();
    let Ok(id) = id.parse::<AppointmentId>() else {
        return failure(ServiceError::not_found("This link is not valid"));
    };
    let reason = Some(reason.trim()).filter(|r| !r.is_empty());
    match public::cancel(&state.service, id, &secret, reason).await {
        Ok(_) => {
            state.wake_workers();
            Redirect::to(&format!("/manage/{id}/{secret}?done=cancelled")).into_response()
        }
        Err(e) => failure(e),
    }
}
