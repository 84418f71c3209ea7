//! The dashboard: where owners, admins and members run termin from a browser. Server-rendered
//! like the booking pages, from the same layout, style sheet and service layer; every action is
//! a link or a form post that works without script. `dashboard.js` adds copy buttons and loads
//! answers without a full reload (it swaps the page's `.dash` content).
//!
//! A page's caller is the logged-in user of the session cookie, a handler argument like the
//! API's `Caller`: [`Viewer`] for a page, [`Posted`] for a form. Every form carries the
//! session's CSRF token in a hidden field, checked by the same rule as the API's
//! `x-csrf-token` header; a form without it is refused. Every answer is `no-store`.

mod account;
mod appointments;
mod availability;
mod calendars;
mod contacts;
mod credentials;
mod export;
mod meeting_types;
mod members;
mod oauth;
mod webhooks;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use termin_domain::credential::PlainSessionSecret;
use termin_domain::principal::Principal;
use termin_domain::tenancy::Plan;
use termin_service::authenticate::{authenticate, ActingUserRule, Presented, SessionLimits};
use termin_service::{ServiceError, UserRecord};

use super::view::{self, message, Layout, Page};
use crate::http::cookie::{session_cookie, SESSION_COOKIE};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", axum::routing::post(account::logout))
        .route(
            "/logout/everywhere",
            axum::routing::post(account::logout_everywhere),
        )
        .route("/reset", get(account::reset_page).post(account::reset))
        .route(
            "/password/{token}",
            get(account::password_page).post(account::set_password),
        )
        .route(
            "/setup/{token}",
            get(account::setup_page).post(account::setup),
        )
        .route("/dashboard", get(account::home))
        .route(
            "/dashboard/api",
            get(credentials::tokens_page).post(credentials::create_token),
        )
        .route(
            "/dashboard/api/feed/{action}",
            axum::routing::post(credentials::change_feed),
        )
        .route(
            "/dashboard/api/tokens/{id}/revoke",
            get(credentials::revoke_token_page).post(credentials::revoke_token),
        )
        .route(
            "/dashboard/api/apps/{id}/revoke",
            get(oauth::revoke_app_page).post(oauth::revoke_app),
        )
        .route(
            crate::http::oauth::CONSENT,
            get(oauth::consent_page).post(oauth::consent),
        )
        .route(
            "/dashboard/calendars",
            get(calendars::page).post(calendars::connect),
        )
        .route(
            "/dashboard/calendars/{id}",
            axum::routing::post(calendars::save),
        )
        .route(
            "/dashboard/calendars/{id}/sync",
            axum::routing::post(calendars::sync),
        )
        .route(
            "/dashboard/calendars/{id}/remove",
            get(calendars::remove_page).post(calendars::remove),
        )
        .route(
            "/dashboard/settings/api-keys",
            get(credentials::keys_page).post(credentials::create_key),
        )
        .route(
            "/dashboard/settings/api-keys/{id}/{action}",
            get(credentials::change_key_page).post(credentials::change_key),
        )
        .route(
            "/dashboard/members",
            get(members::list_page).post(members::invite),
        )
        .route("/dashboard/members/{id}", get(members::detail_page))
        .route(
            "/dashboard/members/{id}/{action}",
            get(members::confirm_page).post(members::change),
        )
        .route(
            "/dashboard/availability",
            get(availability::page).post(availability::save),
        )
        .route(
            "/dashboard/meeting-types",
            get(meeting_types::list_page).post(meeting_types::create),
        )
        .route(
            "/dashboard/meeting-types/{id}",
            get(meeting_types::edit_page).post(meeting_types::save),
        )
        .route(
            "/dashboard/meeting-types/{id}/delete",
            get(meeting_types::delete_page).post(meeting_types::delete),
        )
        .route(
            "/dashboard/meeting-types/{id}/{action}",
            axum::routing::post(meeting_types::change),
        )
        .route("/dashboard/appointments", get(appointments::list_page))
        .route(
            "/dashboard/appointments/{id}",
            get(appointments::detail_page),
        )
        .route(
            "/dashboard/appointments/{id}/{action}",
            axum::routing::post(appointments::change),
        )
        .route("/dashboard/contacts", get(contacts::list_page))
        .route(
            "/dashboard/contacts/import",
            get(contacts::import_page).post(contacts::import),
        )
        .route(
            "/dashboard/contacts/{id}",
            get(contacts::detail_page).post(contacts::save),
        )
        .route(
            "/dashboard/contacts/{id}/delete",
            get(contacts::delete_page).post(contacts::delete),
        )
        .route(
            "/dashboard/webhooks",
            get(webhooks::list_page).post(webhooks::create),
        )
        .route("/dashboard/webhooks/{id}", get(webhooks::detail_page))
        .route(
            "/dashboard/webhooks/{id}/{action}",
            get(webhooks::confirm_page).post(webhooks::change),
        )
        .route(
            "/dashboard/webhooks/{id}/deliveries/{delivery}/retry",
            axum::routing::post(webhooks::retry),
        )
        .route(
            "/dashboard/personal-page",
            get(meeting_types::personal_page).post(meeting_types::save_personal),
        )
        .route(
            "/dashboard/export",
            get(export::page).post(export::download),
        );
    pages.layer(axum::middleware::map_response(view::no_store))
}

/// The dashboard's sections, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Api,
    Calendars,
    ApiKeys,
    Members,
    Availability,
    MeetingTypes,
    Appointments,
    Contacts,
    Webhooks,
    Export,
}

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every dashboard page shows around its content.
pub struct Nav {
    pub name: String,
    pub email: String,
    pub csrf: String,
    pub links: Vec<NavLink>,
}

/// The logged-in user a dashboard page is for.
pub struct Viewer {
    pub caller: Principal,
    pub user: UserRecord,
    pub plan: Plan,
    pub csrf: String,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.caller.is_admin()
    }

    /// Whether the company's plan has Platform API Keys and this user may manage them.
    pub fn manages_api_keys(&self) -> bool {
        self.is_admin() && self.plan.allows_api_keys()
    }

    pub fn nav(&self, current: Section) -> Nav {
        let mut links = vec![
            (Section::Home, "/dashboard", "Overview"),
            (
                Section::Appointments,
                "/dashboard/appointments",
                "Appointments",
            ),
            (
                Section::MeetingTypes,
                "/dashboard/meeting-types",
                "Meeting types",
            ),
            (
                Section::Availability,
                "/dashboard/availability",
                "Availability",
            ),
            (Section::Contacts, "/dashboard/contacts", "Contacts"),
            (Section::Api, "/dashboard/api", "Integrations → API"),
            (
                Section::Calendars,
                "/dashboard/calendars",
                "Integrations → Calendars",
            ),
        ];
        if self.manages_api_keys() {
            links.push((
                Section::ApiKeys,
                "/dashboard/settings/api-keys",
                "Settings → API keys",
            ));
        }
        if self.is_admin() {
            links.push((Section::Members, "/dashboard/members", "Members"));
            links.push((Section::Webhooks, "/dashboard/webhooks", "Webhooks"));
            links.push((Section::Export, "/dashboard/export", "GDPR export"));
        }
        Nav {
            name: self.user.full_name(),
            email: self.user.email.clone(),
            csrf: self.csrf.clone(),
            links: links
                .into_iter()
                .map(|(s, href, label)| NavLink {
                    href,
                    label,
                    current: s == current,
                })
                .collect(),
        }
    }

    pub fn zone(&self) -> TimeZone {
        TimeZone::get(&self.user.timezone).unwrap_or(TimeZone::UTC)
    }

    /// A moment as this user reads it: "3 Dec 2026, 10:00".
    /// The refusal of a page for owners and admins, when this user is a member.
    pub fn admin_only(&self, what: &str) -> Option<Response> {
        (!self.is_admin()).then(|| {
            message(
                StatusCode::FORBIDDEN,
                "Not allowed",
                &format!("Only the company's owner and admins {what}."),
                Some(("/dashboard".into(), "Back to the dashboard".into())),
            )
        })
    }

    pub fn time(&self, t: Timestamp) -> String {
        t.to_zoned_datetime(self.zone())
            .strftime("%-d %b %Y, %H:%M")
            .to_string()
    }

    pub fn time_opt(&self, t: Option<Timestamp>, none: &str) -> String {
        t.map(|t| self.time(t)).unwrap_or_else(|| none.to_owned())
    }
}

/// The page a request without a working session gets: the login form, then back here.
fn to_login(uri: &Uri) -> Response {
    let next = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/dashboard");
    Redirect::to(&format!("/login?{}", view::query(&[("next", next)]))).into_response()
}

/// A page's viewer is its handler's argument, like the API's `Caller`: the request is turned
/// away (to the login form) before the handler runs when there is no working session.
impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        identify(state, &parts.headers, &parts.uri, None).await
    }
}

/// A posted form and its viewer. The form must carry the session's CSRF token in `csrf`;
/// without it the post is refused (403) before the handler runs, and nothing happens.
pub struct Posted {
    pub viewer: Viewer,
    pub fields: Vec<(String, String)>,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (headers, uri) = (request.headers().clone(), request.uri().clone());
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(fields) = view::form(&body) else {
            return Err(view::unreadable_form());
        };
        let csrf = field(&fields, "csrf").unwrap_or_default().to_owned();
        let viewer = identify(state, &headers, &uri, Some(&csrf)).await?;
        Ok(Posted { viewer, fields })
    }
}

async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    csrf: Option<&str>,
) -> Result<Viewer, Response> {
    // A form posted without a working session cannot be sent again after logging in (and its
    // address may answer posts only): the login leads to the dashboard instead.
    let back = if csrf.is_some() {
        Uri::from_static("/dashboard")
    } else {
        uri.clone()
    };
    let Some(cookie) = session_cookie(headers) else {
        return Err(to_login(&back));
    };
    let limits = session_limits(state);
    let presented = Presented::Session {
        cookie,
        csrf,
        unsafe_method: csrf.is_some(),
    };
    let principal = match authenticate(
        &state.service,
        presented,
        None,
        ActingUserRule {
            owner_fallback: false,
        },
        limits,
    )
    .await
    {
        Ok(a) => a.principal,
        Err(ServiceError::Unauthenticated(_)) => return Err(to_login(&back)),
        Err(ServiceError::Forbidden(_)) => {
            return Err(view::message(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was sent without the security code of your session, so nothing was changed. Go back, reload the page and send it again.",
                Some(("/dashboard".into(), "Back to the dashboard".into())),
            ))
        }
        Err(e) => return Err(view::failure(e)),
    };
    let user =
        termin_service::users::get_user(&state.service, principal.company_id, principal.user_id)
            .await
            .map_err(view::failure)?;
    let company = termin_service::companies::get_company(&state.service, principal.company_id)
        .await
        .map_err(view::failure)?;
    let csrf = PlainSessionSecret::from_cookie(cookie)
        .map(|s| s.csrf_token())
        .unwrap_or_default();
    Ok(Viewer {
        caller: principal,
        user,
        plan: company.plan,
        csrf,
    })
}

pub fn session_limits(state: &AppState) -> SessionLimits {
    SessionLimits {
        idle: state.config.session_idle_timeout,
        absolute: state.config.session_absolute_timeout,
    }
}

/// The session cookie: set to `value` for `max_age_secs`, or cleared with an empty value and 0.
pub fn session_cookie_header(
    state: &AppState,
    value: &str,
    max_age_secs: u64,
) -> (header::HeaderName, String) {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    (
        header::SET_COOKIE,
        format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"),
    )
}

/// The first value of a form field.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeated form field (checkboxes).
pub fn all<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// A refused form: what was typed, and what is wrong with it as a person reads it.
pub type Refused<'a> = (&'a [(String, String)], Vec<String>);

/// A use case's answer on a dashboard form: invalid input goes back to the form, with the
/// message by each field; any other refusal is a page of its own.
pub enum Outcome {
    Fields(Vec<(String, String)>),
    Page(Response),
}

pub fn outcome(e: ServiceError) -> Outcome {
    match e {
        ServiceError::Invalid { message, fields } => {
            let mut errors: Vec<(String, String)> =
                fields.into_iter().map(|f| (f.field, f.message)).collect();
            if errors.is_empty() {
                errors.push((String::new(), message.to_string()));
            }
            Outcome::Fields(errors)
        }
        other => Outcome::Page(view::failure(other)),
    }
}

/// The message for `name` among a form's errors.
pub fn error_for(errors: &[(String, String)], name: &str) -> Option<String> {
    errors
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// A confirmation step before something that cannot be undone (it works without script).
#[derive(Template)]
#[template(path = "dash_confirm.html")]
pub struct Confirm {
    pub layout: Layout,
    pub nav: Nav,
    pub heading: String,
    pub text: String,
    pub action: String,
    pub button: String,
    pub danger: bool,
    pub back: String,
}

impl Confirm {
    pub fn page(self) -> Response {
        Page::render(&self).into_response()
    }
}

/// A path's id, if it is one.
pub fn parse_id<T: std::str::FromStr>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// The page for an id in a path that names nothing.
pub fn missing(what: &str) -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Page not found",
        &format!("There is no such {what}."),
        Some(("/dashboard".into(), "Back to the dashboard".into())),
    )
}
