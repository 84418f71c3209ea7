//! `/v4/appointment`: listing, reading, cancelling, rescheduling, guests, notes, calendar file.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use termin_domain::validate::Email;
use termin_domain::{AppointmentId, AttendeeId, MeetingTypeId, UserId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Params;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::json::appointments::AppointmentView;
use crate::state::AppState;
use termin_service::appointments::{self, AppointmentQuery, Status};
use termin_service::booking::TimePoint;
use termin_service::Validator;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_appointments))
        .routes(routes!(todays_appointments))
        .routes(routes!(get_appointment))
        .routes(routes!(cancel_appointment))
        .routes(routes!(reschedule_appointment))
        .routes(routes!(update_guest))
        .routes(routes!(update_notes))
        .routes(routes!(update_transcription))
        .routes(routes!(appointment_ics))
}

#[derive(Serialize, ToSchema)]
struct AppointmentPage {
    appointments: Vec<AppointmentView>,
    total: i64,
}

/// The query of `GET /v4/appointment/paginated` (read by the handler; this is its
/// documentation).
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListAppointmentsQuery {
    /// 0-based.
    #[param(minimum = 0)]
    page: Option<i64>,
    /// 1 to 100, default 10.
    #[param(rename = "pageSize", minimum = 1, maximum = 100)]
    page_size: Option<i64>,
    /// Another name of pageSize (pageSize wins when both are given).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// From this date (`2026-12-01`, midnight UTC) or instant (RFC 3339).
    #[param(schema_with = crate::http::schemas::date_or_timestamp)]
    start: Option<String>,
    /// Until this date (`2026-12-01`, its end in UTC) or instant (RFC 3339).
    #[param(schema_with = crate::http::schemas::date_or_timestamp)]
    end: Option<String>,
    /// Matches attendee names and e-mail addresses; at most 200 characters.
    #[param(max_length = 200)]
    search: Option<String>,
    #[param(max_length = 9, pattern = "^(upcoming|past|cancelled)$")]
    status: Option<String>,
    #[param(rename = "meetingTypeId", format = Uuid)]
    meeting_type_id: Option<String>,
    /// Another user's appointments (owners and admins only).
    #[param(rename = "userId", format = Uuid)]
    user_id: Option<String>,
    /// Default `appointment.start`.
    #[param(
        rename = "sortBy",
        max_length = 21,
        pattern = "^appointment\\.(start|createdAt)$"
    )]
    sort_by: Option<String>,
    /// Default `ASC`; either case.
    #[param(
        rename = "sortDirection",
        max_length = 4,
        pattern = "^([aA][sS][cC]|[dD][eE][sS][cC])$"
    )]
    sort_direction: Option<String>,
    /// Only appointments changed at or after this instant (RFC 3339), for incremental sync.
    #[param(rename = "updatedSince", schema_with = crate::http::schemas::timestamp)]
    updated_since: Option<String>,
}

/// A page of appointments: the acting user's, or (admins) another user's via `userId`.
#[utoipa::path(get, path = "/v4/appointment/paginated", tag = "appointments",
    params(ListAppointmentsQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AppointmentPage), (status = 400, body = crate::http::error::ErrorBody),
              (status = 403, body = crate::http::error::ErrorBody)))]
async fn list_appointments(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<AppointmentPage>> {
    let q = Params::parse(raw.as_deref())?;
    let mut v = Validator::new();
    let page: i64 = q.parsed(&mut v, "page", "a whole number").unwrap_or(0);
    // `limit` is accepted as another name of `pageSize` (clients use both); each given is
    // checked, and `pageSize` wins.
    let mut size_of = |name: &str| {
        let size: Option<i64> = q.parsed(&mut v, name, "a whole number");
        if size.is_some_and(|s| !(1..=100).contains(&s)) {
            v.fail(name, "must be between 1 and 100");
        }
        size
    };
    let page_size = size_of("pageSize");
    let limit = size_of("limit");
    let size = page_size.or(limit).unwrap_or(10);
    if page < 0 {
        v.fail("page", "must not be negative");
    }
    let user: Option<UserId> = q.parsed(&mut v, "userId", "a UUID");
    let meeting_type: Option<MeetingTypeId> = q.parsed(&mut v, "meetingTypeId", "a UUID");
    // Dates are read in UTC here (an instant names itself).
    let point = |v: &mut Validator, key: &str, end_of_day: bool| {
        let parsed = v.check_opt(key, q.one(key).map(str::parse::<TimePoint>))?;
        v.check(key, parsed.resolve(&TimeZone::UTC, end_of_day))
    };
    let start = point(&mut v, "start", false);
    let end = point(&mut v, "end", q.one("end").is_some_and(|e| e.len() == 10));
    let updated_since = v.check_opt(
        "updatedSince",
        q.one("updatedSince").map(termin_service::wire_time::parse),
    );
    let status = match q.one("status") {
        None => None,
        Some("upcoming") => Some(Status::Upcoming),
        Some("past") => Some(Status::Past),
        Some("cancelled") => Some(Status::Cancelled),
        Some(_) => {
            v.fail("status", "must be one of: upcoming, past, cancelled");
            None
        }
    };
    let sort_by_created = match q.one("sortBy") {
        None | Some("appointment.start") => false,
        Some("appointment.createdAt") => true,
        Some(_) => {
            v.fail(
                "sortBy",
                "must be one of: appointment.start, appointment.createdAt",
            );
            false
        }
    };
    let descending = match q
        .one("sortDirection")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(_) => {
            v.fail("sortDirection", "must be one of: ASC, DESC");
            false
        }
    };
    let search = q
        .one("search")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if q.one("search").is_some_and(|s| s.chars().count() > 200) {
        v.fail("search", "must be at most 200 characters");
    }
    v.finish()?;
    let query = AppointmentQuery {
        user,
        start_from: start,
        start_before: end,
        status,
        meeting_type,
        search,
        updated_since,
        sort_by_created,
        descending,
        page,
        page_size: size,
    };
    let (appointments, total) = appointments::list(&state.service, &caller, &query).await?;
    Ok(Json(AppointmentPage {
        appointments: appointments.into_iter().map(Into::into).collect(),
        total,
    }))
}

/// The acting user's appointments today, in their time zone.
#[utoipa::path(get, path = "/v4/appointment/today", tag = "appointments", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<AppointmentView>)))]
async fn todays_appointments(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<Vec<AppointmentView>>> {
    let today = appointments::today(&state.service, &caller).await?;
    Ok(Json(today.into_iter().map(Into::into).collect()))
}

/// One appointment.
#[utoipa::path(get, path = "/v4/appointment/{id}", tag = "appointments", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AppointmentView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn get_appointment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
) -> ApiResult<Json<AppointmentView>> {
    Ok(Json(
        appointments::get(&state.service, &caller, id).await?.into(),
    ))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
struct CancelInput {
    /// At most 500 characters.
    #[schema(max_length = 500)]
    reason: Option<String>,
    /// For a group meeting: cancel only this attendee.
    #[schema(value_type = Option<String>, format = Uuid)]
    attendee_id: Option<AttendeeId>,
    /// For a group meeting: cancel it for everyone.
    cancel_all: Option<bool>,
}

/// Cancels an appointment (or one attendee of a group meeting).
#[utoipa::path(post, path = "/v4/appointment/{id}/cancel", tag = "appointments", params(("id" = String, Path, format = Uuid)),
    request_body = CancelInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AppointmentView), (status = 404, body = crate::http::error::ErrorBody),
              (status = 409, body = crate::http::error::ErrorBody)))]
async fn cancel_appointment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
    ApiJson(input): ApiJson<CancelInput>,
) -> ApiResult<Json<AppointmentView>> {
    let view = appointments::cancel(
        &state.service,
        &caller,
        id,
        input.reason.as_deref(),
        input.attendee_id,
        input.cancel_all.unwrap_or(false),
    )
    .await?;
    state.wake_workers();
    Ok(Json(view.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct RescheduleInput {
    /// The new start: RFC 3339 with an offset.
    #[schema(schema_with = crate::http::schemas::timestamp)]
    start: String,
    /// Skip availability, notice and grid checks; overlaps are still refused.
    ignore_availability: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Rescheduled {
    appointment: AppointmentView,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    previous_start: Timestamp,
}

/// Moves an appointment; 409 if the new time is not bookable.
#[utoipa::path(post, path = "/v4/appointment/{id}/reschedule", tag = "appointments", params(("id" = String, Path, format = Uuid)),
    request_body = RescheduleInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Rescheduled), (status = 404, body = crate::http::error::ErrorBody),
              (status = 409, body = crate::http::error::ErrorBody)))]
async fn reschedule_appointment(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
    ApiJson(input): ApiJson<RescheduleInput>,
) -> ApiResult<Json<Rescheduled>> {
    let start: Timestamp =
        termin_service::wire_time::parse(&input.start).map_err(|m| ApiError::field("start", m))?;
    let (appointment, previous_start) = appointments::reschedule(
        &state.service,
        &caller,
        id,
        start,
        input.ignore_availability.unwrap_or(false),
    )
    .await?;
    state.wake_workers();
    Ok(Json(Rescheduled {
        appointment: appointment.into(),
        previous_start,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct GuestInput {
    /// The attendee who brings the guest; may be left out when there is only one.
    #[schema(value_type = Option<String>, format = Uuid)]
    attendee_id: Option<AttendeeId>,
    /// The guest's e-mail address.
    #[schema(schema_with = crate::http::schemas::email)]
    email: String,
}

/// Adds a guest e-mail to an attendee's `bringalongEmails` (kept once; at most 5 per attendee).
/// The attendee's own address does not change.
#[utoipa::path(patch, path = "/v4/appointment/{id}/guest", tag = "appointments", params(("id" = String, Path, format = Uuid)),
    request_body = GuestInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AppointmentView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn update_guest(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
    ApiJson(input): ApiJson<GuestInput>,
) -> ApiResult<Json<AppointmentView>> {
    let email = Email::parse(&input.email).map_err(|m| ApiError::field("email", m))?;
    Ok(Json(
        appointments::add_guest(&state.service, &caller, id, input.attendee_id, &email)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
struct NotesInput {
    /// At most 10000 characters.
    #[schema(max_length = 10000)]
    note: String,
}

/// Replaces the host's notes on an appointment.
#[utoipa::path(patch, path = "/v4/appointment/{id}/notes", tag = "appointments", params(("id" = String, Path, format = Uuid)),
    request_body = NotesInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AppointmentView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn update_notes(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
    ApiJson(input): ApiJson<NotesInput>,
) -> ApiResult<Json<AppointmentView>> {
    Ok(Json(
        appointments::set_notes(&state.service, &caller, id, &input.note)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
struct TranscriptionInput {
    /// Markdown, at most 200000 characters; null clears it, absent keeps it.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(value_type = Option<String>, max_length = 200000)]
    transcription: Option<Option<String>>,
    /// Markdown, at most 200000 characters; null clears it, absent keeps it.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(value_type = Option<String>, max_length = 200000)]
    summary: Option<Option<String>>,
}

/// Stores the meeting's transcript and summary on the appointment. Only the fields sent change.
#[utoipa::path(patch, path = "/v4/appointment/{id}/transcription", tag = "appointments", params(("id" = String, Path, format = Uuid)),
    request_body = TranscriptionInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AppointmentView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn update_transcription(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
    ApiJson(input): ApiJson<TranscriptionInput>,
) -> ApiResult<Json<AppointmentView>> {
    let input = appointments::TranscriptInput {
        transcription: input.transcription,
        summary: input.summary,
    };
    Ok(Json(
        appointments::set_transcript(&state.service, &caller, id, &input)
            .await?
            .into(),
    ))
}

/// The appointment as an RFC 5545 calendar file.
#[utoipa::path(get, path = "/v4/appointment/{id}/ics", tag = "appointments", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = crate::http::error::ErrorBody)))]
async fn appointment_ics(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AppointmentId>,
) -> ApiResult<Response> {
    let view = appointments::get(&state.service, &caller, id).await?;
    let mut response = appointments::ics(&view).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(response)
}
