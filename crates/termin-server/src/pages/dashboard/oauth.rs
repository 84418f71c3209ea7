//! Connecting an AI assistant by OAuth: the consent page (the authorization endpoint hands a
//! checked request here, so the dashboard's login comes first), and the user's connected apps
//! in Integrations → API, each revocable.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use termin_domain::credential::{ScopeGroup, Scopes};
use termin_domain::GrantId;
use termin_service::oauth;
use termin_service::ServiceError;

use super::{field, missing, parse_id, Confirm, Nav, Posted, Section, Viewer};
use crate::http::oauth::{authorize_error, authorize_query, back_to_client, CONSENT};
use crate::pages::view::{failure, Layout, Page};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "dash_consent.html")]
struct ConsentView {
    layout: Layout,
    nav: Nav,
    client: String,
    /// Where the answer goes, so the user sees which site gets it.
    destination: String,
    access: Vec<&'static str>,
    /// The request, as the page carries it to the post.
    request: String,
    /// Why this user cannot connect apps (the workspace's plan).
    refusal: Option<String>,
    action: &'static str,
}

/// What each scope group lets an app do, as the consent page says it.
pub fn access_of(scopes: &Scopes) -> Vec<&'static str> {
    let label = |g: &ScopeGroup| {
        match g {
        ScopeGroup::Scheduling => {
            "Scheduling: your meeting types, availability, bookable times, bookings and appointments"
        }
        ScopeGroup::Contacts => "Contacts: the contacts you may see",
        ScopeGroup::Account => "Account: your profile and booking page",
    }
    };
    if scopes.is_unlimited() {
        let mut all = vec!["Everything you may do in termin, as you:"];
        all.extend(ScopeGroup::ALL.iter().map(label));
        all
    } else {
        scopes.groups().iter().map(label).collect()
    }
}

/// The authorization query a consent page or post carries, encoded.
fn unpack(packed: Option<&str>) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(packed?)
        .ok()?;
    String::from_utf8(bytes).ok()
}

fn request_param(raw: Option<&str>) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "request")
        .map(|(_, v)| v.into_owned())
}

fn bad_request() -> Response {
    crate::pages::view::message(
        StatusCode::BAD_REQUEST,
        "This app cannot connect",
        "The request to connect an app is incomplete. Start again from the app.",
        None,
    )
}

pub async fn consent_page(
    State(state): State<AppState>,
    v: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let packed = request_param(raw.as_deref());
    let Some(query) = unpack(packed.as_deref()) else {
        return bad_request();
    };
    let req = match oauth::check_authorize(&state.service, &authorize_query(&query)).await {
        Ok(r) => r,
        Err(e) => return authorize_error(e),
    };
    let refusal = match oauth::may_consent(&state.service, &v.caller).await {
        Ok(r) => r.err(),
        Err(e) => return failure(e),
    };
    let parsed = reqwest::Url::parse(&req.redirect_uri).ok();
    let destination = parsed
        .as_ref()
        .map(|u| match u.host_str() {
            Some(h) => format!("{}://{h}", u.scheme()),
            None => format!("{}:", u.scheme()),
        })
        .unwrap_or_else(|| req.redirect_uri.clone());
    // The answer to the consent form is a redirect to the app, which the page's CSP must allow.
    let source = parsed.as_ref().map(|u| match u.scheme() {
        "http" | "https" => u.origin().ascii_serialization(),
        // An app's own scheme (`cursor://…`) has no origin a CSP can name: its scheme is.
        other => format!("{other}:"),
    });
    let mut page = Page::with_status(
        StatusCode::OK,
        &ConsentView {
            layout: Layout::new("Connect an app · termin").dashboard(),
            nav: v.nav(Section::Api),
            client: req.client.name.clone(),
            destination,
            access: access_of(&req.scopes),
            request: packed.unwrap_or_default(),
            refusal,
            action: CONSENT,
        },
    );
    page.form_action = source;
    page.into_response()
}

pub async fn consent(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let packed = field(&fields, "request");
    let Some(query) = unpack(packed) else {
        return bad_request();
    };
    let req = match oauth::check_authorize(&state.service, &authorize_query(&query)).await {
        Ok(r) => r,
        Err(e) => return authorize_error(e),
    };
    if field(&fields, "decision") != Some("allow") {
        return back_to_client(
            &state,
            &req.redirect_uri,
            vec![
                ("error", "access_denied"),
                ("error_description", "The user did not allow access"),
            ],
            req.state.as_deref(),
        );
    }
    match oauth::approve(&state.service, &v.caller, &req).await {
        Ok(code) => back_to_client(
            &state,
            &req.redirect_uri,
            vec![("code", &code)],
            req.state.as_deref(),
        ),
        Err(e) => failure(e),
    }
}

/// A connected app, as Integrations → API lists it.
pub struct AppRow {
    pub id: String,
    pub name: String,
    pub access: String,
    pub connected: String,
    pub last_used: String,
}

pub async fn apps(state: &AppState, v: &Viewer) -> Result<Vec<AppRow>, ServiceError> {
    Ok(oauth::connected_apps(&state.service, &v.caller)
        .await?
        .into_iter()
        .map(|a| AppRow {
            id: a.grant.id.to_string(),
            name: a.client_name,
            access: if a.grant.scopes.is_unlimited() {
                "Everything you may do".into()
            } else {
                a.grant
                    .scopes
                    .groups()
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            connected: v.time(a.grant.created_at),
            last_used: v.time_opt(a.last_used_at, "Never"),
        })
        .collect())
}

pub async fn revoke_app_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id::<GrantId>(&id) else {
        return missing("connected app");
    };
    let rows = match apps(&state, &v).await {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    let Some(app) = rows.into_iter().find(|a| a.id == id.to_string()) else {
        return failure(ServiceError::not_found("Connected app not found"));
    };
    Confirm {
        layout: Layout::new("Disconnect app · termin").dashboard(),
        nav: v.nav(Section::Api),
        heading: format!("Disconnect “{}”?", app.name),
        text: "The app loses its access with its next request, on every server. To use it again, connect it again from the app.".into(),
        action: format!("/dashboard/api/apps/{id}/revoke"),
        button: "Disconnect".into(),
        danger: true,
        back: "/dashboard/api".into(),
    }
    .page()
}

pub async fn revoke_app(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    let Some(id) = parse_id::<GrantId>(&id) else {
        return missing("connected app");
    };
    match oauth::revoke(&state.service, &v.caller, id).await {
        Ok(()) => Redirect::to("/dashboard/api").into_response(),
        Err(e) => failure(e),
    }
}
