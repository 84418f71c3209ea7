//! `/v4/calendar-connections/connections`: the acting user's own calendars (CalDAV accounts
//! and ICS feeds), which calendars count as busy, which one receives bookings, and how the last
//! sync went. Passwords and feed addresses are never answered.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use termin_domain::{ConnectionId, UserId};
use termin_service::calendar_connections::{self as svc, CalendarChoice, NewConnection, Provider};
use termin_service::Validator;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Caller;
use crate::http::error::{ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::query::Params;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(update_connection, delete_connection))
        .routes(routes!(sync_connection))
}

/// One calendar of a connection.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CalendarView {
    /// Stable within its connection.
    id: String,
    name: String,
    color: Option<String>,
    /// Its events make the user busy.
    read_for_conflicts: bool,
    /// Bookings are written into it (at most one calendar of all the user's connections).
    write_bookings: bool,
}

/// How the connection's last sync went.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SyncView {
    /// `pending` (not synced yet), `ok`, or `failing` (the last attempt failed; the busy time of
    /// the last good sync still counts).
    #[schema(pattern = "^(pending|ok|failing)$")]
    state: &'static str,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    last_attempt_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    last_success_at: Option<Timestamp>,
    /// What went wrong in the last attempt, if it failed.
    error: Option<String>,
    consecutive_failures: i64,
}

/// A calendar connection: never its password, nor a feed's secret address.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ConnectionView {
    #[schema(value_type = String, format = Uuid)]
    id: ConnectionId,
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    /// `caldav` or `ics`.
    #[schema(pattern = "^(caldav|ics)$")]
    provider: &'static str,
    /// The user name (CalDAV) or the feed's host (ICS).
    account: String,
    /// The CalDAV server's address as given (none for a feed, whose address is its secret).
    server_url: Option<String>,
    calendars: Vec<CalendarView>,
    sync: SyncView,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    created_at: Timestamp,
}

impl From<svc::ConnectionView> for ConnectionView {
    fn from(v: svc::ConnectionView) -> Self {
        Self {
            id: v.id,
            user_id: v.user_id,
            provider: v.provider,
            account: v.account,
            server_url: v.server_url,
            calendars: v
                .calendars
                .into_iter()
                .map(|c| CalendarView {
                    id: c.id,
                    name: c.name,
                    color: c.color,
                    read_for_conflicts: c.read_for_conflicts,
                    write_bookings: c.write_bookings,
                })
                .collect(),
            sync: SyncView {
                state: v.sync.state,
                last_attempt_at: v.sync.last_attempt_at,
                last_success_at: v.sync.last_success_at,
                error: v.sync.error,
                consecutive_failures: v.sync.consecutive_failures,
            },
            created_at: v.created_at,
        }
    }
}

/// A connection to make: `{provider: "caldav", url, username, password}` or
/// `{provider: "ics", url}`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ConnectionInput {
    #[schema(max_length = 6, pattern = "^(caldav|ics)$")]
    provider: String,
    /// CalDAV: the server's address (`https://caldav.fastmail.com`; discovery finds the rest).
    /// ICS: the feed's secret address (`webcal://` is read as `https://`).
    #[schema(max_length = 2048)]
    url: String,
    #[schema(max_length = 320)]
    username: Option<String>,
    /// An app password, for most providers.
    #[schema(max_length = 1024)]
    password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CalendarChoiceInput {
    #[schema(max_length = 512)]
    id: String,
    read_for_conflicts: Option<bool>,
    write_bookings: Option<bool>,
}

/// Which calendars count as busy and which one receives bookings; calendars left out stay.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ConnectionUpdate {
    #[schema(max_items = 100)]
    calendars: Vec<CalendarChoiceInput>,
}

/// The acting user's calendar connections, or (admins) a member's with `userId`.
#[utoipa::path(get, path = "/v4/calendar-connections/connections", tag = "calendars",
    params(("userId" = Option<String>, Query, format = Uuid, description = "Another member's connections (owners and admins)")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<ConnectionView>), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_connections(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Vec<ConnectionView>>> {
    let q = Params::parse(raw.as_deref())?;
    let mut v = Validator::new();
    let user: Option<UserId> = q.parsed(&mut v, "userId", "a UUID");
    v.finish()?;
    let list = svc::list(&state.service, &caller, user).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Connects a CalDAV account or an ICS feed. Discovery (or the feed's first fetch) runs now: a
/// refused password or an unreachable server is a 400 that says which. The first sync follows
/// before the answer.
#[utoipa::path(post, path = "/v4/calendar-connections/connections", tag = "calendars",
    request_body = ConnectionInput, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ConnectionView), (status = 400, body = ErrorBody),
              (status = 406, description = "The user has 10 connections already", body = ErrorBody)))]
async fn create_connection(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<ConnectionInput>,
) -> ApiResult<(StatusCode, Json<ConnectionView>)> {
    let provider = match input.provider.as_str() {
        "caldav" => Provider::CalDav,
        "ics" => Provider::Ics,
        _ => {
            return Err(
                termin_service::ServiceError::field("provider", "must be caldav or ics").into(),
            )
        }
    };
    let made = svc::create(
        &state.service,
        &caller,
        NewConnection {
            provider,
            url: input.url,
            username: input.username,
            password: input.password,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// Chooses the calendars read for conflicts and the one that receives bookings (choosing one
/// clears the choice on the user's other connections). The owner only.
#[utoipa::path(patch, path = "/v4/calendar-connections/connections/{id}", tag = "calendars",
    params(("id" = String, Path, format = Uuid)), request_body = ConnectionUpdate,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConnectionView), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_connection(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<ConnectionId>,
    ApiJson(input): ApiJson<ConnectionUpdate>,
) -> ApiResult<Json<ConnectionView>> {
    let choices = input
        .calendars
        .into_iter()
        .map(|c| CalendarChoice {
            id: c.id,
            read_for_conflicts: c.read_for_conflicts,
            write_bookings: c.write_bookings,
        })
        .collect();
    Ok(Json(
        svc::update(&state.service, &caller, id, choices)
            .await?
            .into(),
    ))
}

/// Removes a connection: its busy time stops counting now, and its password is forgotten.
/// Events it wrote stay in the calendar. The owner only.
#[utoipa::path(delete, path = "/v4/calendar-connections/connections/{id}", tag = "calendars",
    params(("id" = String, Path, format = Uuid)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Removed; empty body"), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn delete_connection(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<ConnectionId>,
) -> ApiResult<StatusCode> {
    svc::remove(&state.service, &caller, id).await?;
    Ok(StatusCode::OK)
}

/// Syncs the connection now and answers when it is done, with how it went in `sync`.
#[utoipa::path(post, path = "/v4/calendar-connections/connections/{id}/sync", tag = "calendars",
    params(("id" = String, Path, format = Uuid)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ConnectionView), (status = 404, body = ErrorBody)))]
async fn sync_connection(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<ConnectionId>,
) -> ApiResult<Json<ConnectionView>> {
    Ok(Json(
        svc::sync_now(&state.service, &caller, id).await?.into(),
    ))
}
