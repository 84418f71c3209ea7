//! The outgoing calendar feed: `GET /v4/calendar-feed`, `POST /v4/calendar-feed/regenerate` and
//! `DELETE /v4/calendar-feed` for the acting user, and the feed itself at its secret address
//! (`GET /feeds/{token}.ics`), which calendar apps poll.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use termin_service::calendar_feed;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_feed, revoke_feed))
        .routes(routes!(regenerate_feed))
}

/// The feed itself, outside the API's document: its address is the credential.
pub fn feed_router() -> Router<AppState> {
    Router::new().route("/feeds/{file}", get(serve_feed))
}

/// The acting user's calendar feed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CalendarFeedView {
    /// A secret address of an iCalendar feed of the user's appointments (90 days back, 400
    /// ahead). Anyone who has it can read them; regenerate it if it leaked.
    url: String,
    created_at: String,
}

impl From<calendar_feed::FeedView> for CalendarFeedView {
    fn from(v: calendar_feed::FeedView) -> Self {
        Self {
            url: v.url,
            created_at: termin_service::wire_time::format(v.created_at),
        }
    }
}

/// The acting user's calendar feed address, made on first use. Subscribe to it in any calendar
/// app; cancelled appointments stay in it as cancelled.
#[utoipa::path(get, path = "/v4/calendar-feed", tag = "calendars",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CalendarFeedView)))]
async fn get_feed(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<CalendarFeedView>> {
    Ok(Json(
        calendar_feed::get(&state.service, &caller).await?.into(),
    ))
}

/// A new address for the acting user's calendar feed; the old one stops working at once.
#[utoipa::path(post, path = "/v4/calendar-feed/regenerate", tag = "calendars",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CalendarFeedView)))]
async fn regenerate_feed(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<CalendarFeedView>> {
    Ok(Json(
        calendar_feed::regenerate(&state.service, &caller)
            .await?
            .into(),
    ))
}

/// Revokes the acting user's calendar feed: its address stops working. Asking for the feed again
/// makes a new address.
#[utoipa::path(delete, path = "/v4/calendar-feed", tag = "calendars",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "Revoked")))]
async fn revoke_feed(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<StatusCode> {
    calendar_feed::revoke(&state.service, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /feeds/{token}.ics`: the calendar, with an entity tag so that polling clients get 304
/// while nothing changed.
async fn serve_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return ApiError::not_found("There is no calendar feed at this address").into_response();
    };
    let feed = match calendar_feed::serve(&state.service, token).await {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let etag = HeaderValue::from_str(&feed.etag).expect("a hex digest in quotes");
    let cache = HeaderValue::from_static("private, max-age=300");
    // If-None-Match compares weakly (RFC 9110): `W/"x"` and `"x"` are the same tag.
    let weak = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = weak(&feed.etag);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == "*" || weak(t) == ours));
    if unchanged {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        feed.calendar,
    )
        .into_response()
}
