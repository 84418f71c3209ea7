//! The public pages: a host's personal page, the booking page of each meeting type, and the
//! manage link an attendee gets. Server-rendered HTML from one set of templates and one style
//! sheet, served by termin itself; every step is a link or a form post, so the pages work
//! without script. `booking.js` only improves them (the visitor's zone, days without reloads).
//!
//! The pages are a door like the API: they parse what a browser sends, call the use cases of
//! `termin_service::public`, and render the answer. No rule lives here.

mod booking;
mod calendar;
mod dashboard;
mod form;
mod manage;
mod personal;
pub mod reference;
pub(crate) mod view;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use self::view::{CSS, DASHBOARD_JS, JS, REFERENCE_JS};
use crate::state::AppState;

/// The pages' routes. `/{userSlug}` and `/{userSlug}/{meetingTypeSlug}` sit beside the API's
/// static paths (which win); user slugs that would hide a page of termin's are refused.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/termin.css",
            get(|| async { asset(CSS, "text/css") }),
        )
        .route(
            "/assets/booking.js",
            get(|| async { asset(JS, "text/javascript") }),
        )
        .route(
            "/assets/dashboard.js",
            get(|| async { asset(DASHBOARD_JS, "text/javascript") }),
        )
        .route(
            "/assets/reference.js",
            get(|| async { asset(REFERENCE_JS, "text/javascript") }),
        )
        .merge(dashboard::router())
        .route("/{user}", get(personal::page))
        .route(
            "/{user}/{meeting_type}",
            get(booking::page).post(booking::book),
        )
        .merge(
            // Everything behind a manage link is the attendee's own: never kept by a cache.
            Router::new()
                .route("/manage/{id}/{secret}", get(manage::page))
                .route("/manage/{id}/{secret}/invite.ics", get(manage::ics))
                .route(
                    "/manage/{id}/{secret}/cancel",
                    axum::routing::post(manage::cancel),
                )
                .route(
                    "/manage/{id}/{secret}/reschedule",
                    get(booking::reschedule_page).post(booking::reschedule),
                )
                .layer(axum::middleware::map_response(view::no_store)),
        )
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}
