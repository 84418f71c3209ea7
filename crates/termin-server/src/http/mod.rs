//! The HTTP door. Each resource has its own module with a `router()`; handlers carry
//! `#[utoipa::path]`, and `routes!` registers them, so the router and the OpenAPI document are
//! built from one list and cannot drift. A handler parses, makes one service call, and renders;
//! the service's errors become the contract's error body in one place (`error.rs`).

pub mod api_keys;
pub mod appointments;
pub mod auth;
pub mod availability;
pub mod booking;
pub mod buckets;
pub mod calendar_connections;
pub mod calendar_feed;
pub mod contacts;
pub mod contract;
pub mod cookie;
pub mod docs;
pub mod error;
pub mod extract;
pub mod gdpr;
pub mod health;
pub mod json;
pub mod mail;
pub mod meeting_types;
pub mod oauth;
pub mod one_time_links;
pub mod personal_page;
mod query;
pub mod rate_limit;
pub mod schemas;
pub mod session;
pub mod strict_json;
pub mod tokens;
pub mod users;
pub mod webhooks;

use axum::http::StatusCode;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "termin API",
        description = "Self-hosted scheduling server, wire-compatible with the meetergo API v4. \
                       Authenticate with `Authorization: Bearer <token>`: a Personal Access Token \
                       (`rgo-...`) acts as its owner; a Platform API Key (`ak_live:...`) acts as the \
                       user named in `x-meetergo-api-user-id`. No string anywhere (body, path, \
                       query) may hold the character U+0000: it is refused with 400 naming the \
                       field. Errors have the shape `{statusCode, message, error, errors?}`."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "users", description = "Users of the company"),
        (name = "availability", description = "Weekly schedules with date exceptions"),
        (name = "meeting types", description = "What can be booked"),
        (name = "booking", description = "Bookable times and booking"),
        (name = "appointments", description = "Booked appointments"),
        (name = "calendars", description = "The users' own calendars: busy time read from them, bookings written into them"),
        (name = "contacts", description = "The company's contacts (at the host root)"),
        (name = "webhooks", description = "Event subscriptions (at the host root)"),
        (name = "dashboard", description = "Dashboard session and credential management (session cookie only)"),
        (name = "operations", description = "Health"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A Personal Access Token or a Platform API Key"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::http::cookie::SESSION_COOKIE,
            ))),
        );
    }
}

/// Every API route with its documentation (`/health` is served apart; see `app::router`).
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(users::router())
        .merge(personal_page::router())
        .merge(session::router())
        .merge(tokens::router())
        .merge(api_keys::router())
        .merge(availability::router())
        .merge(meeting_types::router())
        .merge(booking::router())
        .merge(appointments::router())
        .merge(contacts::router())
        .merge(webhooks::router())
        .merge(mail::router())
        .merge(gdpr::router())
        .merge(one_time_links::router())
        .merge(calendar_feed::router())
        .merge(calendar_connections::router())
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("Route not found")
}

/// A path some route serves, with a method it does not. When the path only matched through a
/// parameter that is not an id (`GET /crm/deals` against `/crm/{id}`), no resource has that path,
/// so the answer is 404, as for any other unknown path; 405 is kept for a real resource path.
pub async fn method_not_allowed(
    matched: Option<axum::extract::MatchedPath>,
    uri: axum::http::Uri,
) -> ApiError {
    let names_a_resource = matched.is_none_or(|template| {
        template
            .as_str()
            .split('/')
            .zip(uri.path().split('/'))
            .filter(|(t, _)| t.starts_with('{'))
            .all(|(_, value)| uuid::Uuid::parse_str(value).is_ok())
    });
    if !names_a_resource {
        return ApiError::not_found("Route not found");
    }
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed on this route",
    )
}
