//! OAuth 2.1 endpoints, for AI assistants that connect to `/mcp` by URL (see
//! `termin_service::oauth`): discovery (RFC 9728 for the resource, RFC 8414 for the server),
//! dynamic client registration (RFC 7591), the authorization endpoint (which hands over to the
//! dashboard's consent page) and the token endpoint. Their errors have the RFCs' shape
//! (`{"error", "error_description"}`), which OAuth clients read, not the API's.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};
use termin_domain::credential::ScopeGroup;
use termin_service::oauth::{self, AuthorizeError, AuthorizeQuery, OAuthError, Registration};

use crate::pages::view;
use crate::state::AppState;

pub const PROTECTED_RESOURCE: &str = "/.well-known/oauth-protected-resource";
pub const AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
/// Where the authorization endpoint hands a checked request to (a dashboard page, so the
/// dashboard's login comes first when needed).
pub const CONSENT: &str = "/dashboard/oauth/authorize";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            PROTECTED_RESOURCE,
            get(protected_resource).options(preflight),
        )
        .route(
            &format!("{PROTECTED_RESOURCE}/mcp"),
            get(protected_resource).options(preflight),
        )
        .route(
            AUTHORIZATION_SERVER,
            get(authorization_server).options(preflight),
        )
        .route("/oauth/register", post(register).options(preflight))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token).options(preflight))
}

/// The challenge a request to `/mcp` without a usable credential gets: where to discover how to
/// get one (RFC 9728 section 5.1).
pub fn challenge(state: &AppState) -> String {
    format!(
        "Bearer realm=\"termin\", resource_metadata=\"{}{PROTECTED_RESOURCE}/mcp\"",
        state.service.public_url
    )
}

/// Discovery and the token endpoint are read by apps running in browsers too.
fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type, mcp-protocol-version"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    response
}

async fn preflight() -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

fn scopes_supported() -> Vec<&'static str> {
    ScopeGroup::ALL.iter().map(|g| g.as_str()).collect()
}

/// RFC 9728: `/mcp` is protected by this server's own authorization server.
async fn protected_resource(State(state): State<AppState>) -> Response {
    let base = &state.service.public_url;
    cors(
        Json(json!({
            "resource": oauth::resource(&state.service),
            "authorization_servers": [base.as_ref()],
            "scopes_supported": scopes_supported(),
            "bearer_methods_supported": ["header"],
            "resource_name": "termin",
            "resource_documentation": format!("{base}/docs"),
        }))
        .into_response(),
    )
}

/// RFC 8414.
async fn authorization_server(State(state): State<AppState>) -> Response {
    let base = &state.service.public_url;
    cors(
        Json(json!({
            "issuer": base.as_ref(),
            "authorization_endpoint": format!("{base}/oauth/authorize"),
            "token_endpoint": format!("{base}/oauth/token"),
            "registration_endpoint": format!("{base}/oauth/register"),
            "scopes_supported": scopes_supported(),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "authorization_response_iss_parameter_supported": true,
        }))
        .into_response(),
    )
}

fn error_response(status: StatusCode, e: &OAuthError) -> Response {
    let status = if e.error == "server_error" {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        status
    };
    cors(
        (
            status,
            [(header::CACHE_CONTROL, "no-store")],
            Json(json!({"error": e.error, "error_description": e.description})),
        )
            .into_response(),
    )
}

#[derive(Deserialize)]
struct RegistrationBody {
    client_name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
}

/// RFC 7591: registers a public client.
async fn register(State(state): State<AppState>, body: Bytes) -> Response {
    let invalid = |d: &'static str| {
        error_response(
            StatusCode::BAD_REQUEST,
            &OAuthError {
                error: "invalid_client_metadata",
                description: d.into(),
            },
        )
    };
    let Ok(b) = serde_json::from_slice::<RegistrationBody>(&body) else {
        return invalid("The body must be a JSON object of client metadata");
    };
    let r = Registration {
        client_name: b.client_name,
        redirect_uris: b.redirect_uris.unwrap_or_default(),
        token_endpoint_auth_method: b.token_endpoint_auth_method,
        grant_types: b.grant_types,
        response_types: b.response_types,
    };
    match oauth::register(&state.service, &r).await {
        Ok(c) => cors(
            (
                StatusCode::CREATED,
                Json(json!({
                    "client_id": c.id.to_string(),
                    "client_id_issued_at": c.created_at.as_second(),
                    "client_name": c.name,
                    "redirect_uris": c.redirect_uris,
                    "grant_types": ["authorization_code", "refresh_token"],
                    "response_types": ["code"],
                    "token_endpoint_auth_method": "none",
                })),
            )
                .into_response(),
        ),
        Err(e) => error_response(StatusCode::BAD_REQUEST, &e),
    }
}

/// The authorization query, read from a URL's query string.
pub fn authorize_query(raw: &str) -> AuthorizeQuery {
    let mut q = AuthorizeQuery::default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        let slot = match k.as_ref() {
            "response_type" => &mut q.response_type,
            "client_id" => &mut q.client_id,
            "redirect_uri" => &mut q.redirect_uri,
            "code_challenge" => &mut q.code_challenge,
            "code_challenge_method" => &mut q.code_challenge_method,
            "scope" => &mut q.scope,
            "state" => &mut q.state,
            "resource" => &mut q.resource,
            _ => continue,
        };
        // A parameter sent twice is refused (RFC 6749 3.1).
        if slot.is_some() {
            q.repeated = true;
        }
        *slot = Some(v.into_owned());
    }
    q
}

/// Where an authorization request's outcome is sent: the client's redirect URI with `pairs` and
/// this server as the issuer (RFC 9207).
pub fn back_to_client(
    state: &AppState,
    redirect_uri: &str,
    pairs: Vec<(&str, &str)>,
    client_state: Option<&str>,
) -> Response {
    let issuer = state.service.public_url.to_string();
    let mut pairs = pairs;
    if let Some(s) = client_state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", &issuer));
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{sep}{}", view::query(&pairs))).into_response()
}

/// What an authorization error shows. Even an error the RFC would send back to the app is shown
/// here instead: registration is open, so a redirect URI is vouched for by nobody until a user
/// consents, and sending a browser there without the user's click would make termin an open
/// redirector (RFC 9700 4.11.2). Only the user's own Allow or Deny leads back to the app.
pub fn authorize_error(e: AuthorizeError) -> Response {
    let text = match &e {
        AuthorizeError::Shown(text) => (*text).to_owned(),
        AuthorizeError::Refused(error) => {
            format!(
                "The app's request was refused ({}): {}.",
                error.error, error.description
            )
        }
    };
    view::message(
        StatusCode::BAD_REQUEST,
        "This app cannot connect",
        &text,
        None,
    )
}

/// The authorization endpoint: checks the request, then hands it to the consent page (whose
/// address carries it whole, encoded so that it survives the login's `next`).
async fn authorize(State(state): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let raw = raw.unwrap_or_default();
    if let Err(e) = oauth::check_authorize(&state.service, &authorize_query(&raw)).await {
        return authorize_error(e);
    }
    let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_bytes());
    Redirect::to(&format!("{CONSENT}?request={packed}")).into_response()
}

/// The token endpoint: `authorization_code` and `refresh_token` grants, form-encoded.
async fn token(State(state): State<AppState>, method: Method, body: Bytes) -> Response {
    debug_assert_eq!(method, Method::POST);
    let fields: Vec<(String, String)> = view::form(&body).unwrap_or_default();
    let one = |name: &str| {
        let mut found = fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        match (found.next(), found.next()) {
            (Some(v), None) => Some(v),
            _ => None,
        }
    };
    let bad = |error: &'static str, d: &'static str| {
        error_response(
            StatusCode::BAD_REQUEST,
            &OAuthError {
                error,
                description: d.into(),
            },
        )
    };
    let Some(client_id) = one("client_id") else {
        return error_response(
            StatusCode::UNAUTHORIZED,
            &OAuthError {
                error: "invalid_client",
                description: "client_id is required".into(),
            },
        );
    };
    let resource = one("resource");
    let answer = match one("grant_type") {
        Some("authorization_code") => {
            let (Some(code), Some(verifier)) = (one("code"), one("code_verifier")) else {
                return bad("invalid_request", "code and code_verifier are required");
            };
            oauth::exchange_code(
                &state.service,
                client_id,
                code,
                one("redirect_uri"),
                verifier,
                resource,
            )
            .await
        }
        Some("refresh_token") => {
            let Some(refresh) = one("refresh_token") else {
                return bad("invalid_request", "refresh_token is required");
            };
            oauth::refresh(&state.service, client_id, refresh, resource).await
        }
        Some(_) => {
            return bad(
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        }
        None => return bad("invalid_request", "grant_type is required"),
    };
    match answer {
        Ok(t) => {
            let mut body: Value = json!({
                "access_token": t.access_token,
                "token_type": "Bearer",
                "expires_in": t.expires_in,
                "refresh_token": t.refresh_token,
            });
            if !t.scope.is_empty() {
                body["scope"] = Value::from(t.scope);
            }
            cors(
                (
                    [
                        (header::CACHE_CONTROL, "no-store"),
                        (header::PRAGMA, "no-cache"),
                    ],
                    Json(body),
                )
                    .into_response(),
            )
        }
        Err(e) => error_response(StatusCode::BAD_REQUEST, &e),
    }
}
