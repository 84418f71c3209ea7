//! Integrations → API (each user's Personal Access Tokens) and Settings → API keys (the
//! company's Platform API Keys, for owners and admins). A new secret is shown once, on the
//! answer to the form that made it, with a copy button; revoking asks first.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use termin_domain::credential::ScopeGroup;
use termin_domain::{ApiKeyId, TokenId};
use termin_service::credentials::{self, ApiKeyView, CredentialState, KeyAction, TokenView};
use termin_service::ServiceError;

use super::{
    all, error_for, field, missing, outcome, parse_id, Confirm, Nav, Outcome, Posted, Section,
    Viewer,
};
use crate::pages::view::{failure, message, Layout, Page};
use crate::state::AppState;

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub hint: String,
    pub scopes: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub state: &'static str,
    pub active: bool,
}

fn state_label(s: CredentialState) -> &'static str {
    match s {
        CredentialState::Active => "Active",
        CredentialState::Expired => "Expired",
        CredentialState::Revoked => "Revoked",
        CredentialState::Deactivated => "Deactivated",
    }
}

fn token_row(v: &Viewer, t: TokenView) -> TokenRow {
    TokenRow {
        id: t.id.to_string(),
        hint: t.prefix,
        scopes: if t.scopes.is_empty() {
            "Everything you may do".into()
        } else {
            t.scopes.join(", ")
        },
        created: v.time(t.created_at),
        expires: v.time_opt(t.expires_at, "Never"),
        last_used: v.time_opt(t.last_used_at, "Never"),
        active: t.state == CredentialState::Active,
        state: state_label(t.state),
        name: t.name,
    }
}

/// A secret shown once.
pub struct Shown {
    pub name: String,
    pub secret: String,
}

pub struct ScopeChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "dash_tokens.html")]
struct TokensView {
    layout: Layout,
    nav: Nav,
    feed: Option<String>,
    /// A feed whose address works but cannot be shown (sealed under an earlier key).
    feed_unreadable: bool,
    tokens: Vec<TokenRow>,
    /// The AI assistants and other apps connected by OAuth.
    apps: Vec<super::oauth::AppRow>,
    /// The MCP endpoint an assistant is given.
    mcp_url: String,
    created: Option<Shown>,
    name: String,
    expiry: String,
    scopes: Vec<ScopeChoice>,
    errors: Vec<(String, String)>,
}

impl TokensView {
    fn error(&self, name: &str) -> Option<String> {
        error_for(&self.errors, name)
    }

    fn expiry_is(&self, days: &str) -> bool {
        self.expiry == days
    }
}

fn scope_choices(checked: &[&str]) -> Vec<ScopeChoice> {
    ScopeGroup::ALL
        .iter()
        .map(|g| ScopeChoice {
            value: g.as_str(),
            label: match g {
                ScopeGroup::Scheduling => {
                    "Scheduling: meeting types, availability, bookings, appointments"
                }
                ScopeGroup::Contacts => "Contacts",
                ScopeGroup::Account => "Account: your profile",
            },
            checked: checked.contains(&g.as_str()),
        })
        .collect()
}

async fn render_tokens(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    form: (String, String, Vec<&str>),
    created: Option<Shown>,
    errors: Vec<(String, String)>,
) -> Response {
    let tokens = match credentials::my_tokens(&state.service, &v.caller).await {
        Ok(t) => t,
        Err(e) => return failure(e),
    };
    use termin_service::calendar_feed::FeedState;
    let (feed, feed_unreadable) =
        match termin_service::calendar_feed::current(&state.service, &v.caller).await {
            Ok(FeedState::Readable(f)) => (Some(f.url), false),
            Ok(FeedState::Unreadable) => (None, true),
            Ok(FeedState::None) => (None, false),
            Err(e) => return failure(e),
        };
    let apps = match super::oauth::apps(state, v).await {
        Ok(a) => a,
        Err(e) => return failure(e),
    };
    let (name, expiry, checked) = form;
    Page::with_status(
        status,
        &TokensView {
            layout: Layout::new("Integrations → API · termin").dashboard(),
            nav: v.nav(Section::Api),
            feed,
            feed_unreadable,
            tokens: tokens.into_iter().map(|t| token_row(v, t)).collect(),
            apps,
            mcp_url: format!("{}{}", state.service.public_url, crate::mcp::PATH),
            created,
            name,
            expiry,
            scopes: scope_choices(&checked),
            errors,
        },
    )
    .into_response()
}

pub async fn tokens_page(State(state): State<AppState>, v: Viewer) -> Response {
    render_tokens(
        &state,
        &v,
        StatusCode::OK,
        (String::new(), "90".into(), vec![]),
        None,
        vec![],
    )
    .await
}

pub async fn create_token(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    let name = field(&fields, "name").unwrap_or_default().to_owned();
    let expiry = field(&fields, "expiresInDays")
        .unwrap_or("never")
        .to_owned();
    let scopes: Vec<String> = all(&fields, "scopes")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let days = match expiry.as_str() {
        "never" => Ok(None),
        d => d
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ServiceError::field("expiresInDays", "must be a number of days")),
    };
    let result = match days {
        Ok(days) => {
            credentials::create_my_token(&state.service, &v.caller, &name, days, &scopes).await
        }
        Err(e) => Err(e),
    };
    let checked: Vec<&str> = scopes.iter().map(String::as_str).collect();
    match result {
        Ok((token, plain)) => {
            let shown = Shown {
                name: token.name,
                secret: plain.expose().to_owned(),
            };
            render_tokens(
                &state,
                &v,
                StatusCode::CREATED,
                (String::new(), "90".into(), vec![]),
                Some(shown),
                vec![],
            )
            .await
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                render_tokens(
                    &state,
                    &v,
                    StatusCode::BAD_REQUEST,
                    (name, expiry, checked),
                    None,
                    errors,
                )
                .await
            }
        },
    }
}

pub async fn revoke_token_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = parse_id::<TokenId>(&id) else {
        return missing("token");
    };
    let tokens = match credentials::my_tokens(&state.service, &v.caller).await {
        Ok(t) => t,
        Err(e) => return failure(e),
    };
    let Some(token) = tokens.into_iter().find(|t| t.id == id) else {
        return failure(ServiceError::not_found("Token not found"));
    };
    Confirm {
        layout: Layout::new("Revoke token · termin").dashboard(),
        nav: v.nav(Section::Api),
        heading: format!("Revoke “{}”?", token.name),
        text: "Every program that uses this token stops working with its next request. This cannot be undone.".into(),
        action: format!("/dashboard/api/tokens/{id}/revoke"),
        button: "Revoke token".into(),
        danger: true,
        back: "/dashboard/api".into(),
    }
    .page()
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    let Some(id) = parse_id::<TokenId>(&id) else {
        return missing("token");
    };
    match credentials::revoke_my_token(&state.service, &v.caller, id).await {
        Ok(_) => Redirect::to("/dashboard/api").into_response(),
        Err(e) => failure(e),
    }
}

pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub hint: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub state: &'static str,
    pub can_deactivate: bool,
    pub can_reactivate: bool,
    pub can_revoke: bool,
}

fn key_row(v: &Viewer, k: ApiKeyView) -> KeyRow {
    KeyRow {
        id: k.id.to_string(),
        // "ak_live:<id>:…abcd" is too long for a column: the kind and the last characters
        // tell keys apart well enough (the id is in the key's row already).
        hint: match k.prefix.rsplit_once('…') {
            Some((_, tail)) => format!("ak_live:…{tail}"),
            None => k.prefix,
        },
        created: v.time(k.created_at),
        expires: v.time(k.expires_at),
        last_used: v.time_opt(k.last_used_at, "Never"),
        can_deactivate: k.state == CredentialState::Active,
        can_reactivate: k.state == CredentialState::Deactivated,
        can_revoke: matches!(
            k.state,
            CredentialState::Active | CredentialState::Deactivated
        ),
        state: state_label(k.state),
        name: k.name,
    }
}

#[derive(Template)]
#[template(path = "dash_keys.html")]
struct KeysView {
    layout: Layout,
    nav: Nav,
    keys: Vec<KeyRow>,
    created: Option<Shown>,
    name: String,
    days: String,
    errors: Vec<(String, String)>,
}

impl KeysView {
    fn error(&self, name: &str) -> Option<String> {
        error_for(&self.errors, name)
    }
}

/// Members never see this section; its URLs answer 403 (as on a plan without API keys).
fn keys_refused(v: &Viewer) -> Option<Response> {
    if let Some(page) = v.admin_only("manage Platform API Keys") {
        return Some(page);
    }
    (!v.plan.allows_api_keys()).then(|| {
        message(
            StatusCode::FORBIDDEN,
            "Not on this plan",
            &format!(
                "Platform API Keys require the Enterprise or Platform plan; this workspace is on the {} plan.",
                v.plan
            ),
            Some(("/dashboard".into(), "Back to the dashboard".into())),
        )
    })
}

async fn render_keys(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    form: (String, String),
    created: Option<Shown>,
    errors: Vec<(String, String)>,
) -> Response {
    let keys = match credentials::company_api_keys(&state.service, &v.caller).await {
        Ok(k) => k,
        Err(e) => return failure(e),
    };
    Page::with_status(
        status,
        &KeysView {
            layout: Layout::new("Settings → API keys · termin").dashboard(),
            nav: v.nav(Section::ApiKeys),
            keys: keys.into_iter().map(|k| key_row(v, k)).collect(),
            created,
            name: form.0,
            days: form.1,
            errors,
        },
    )
    .into_response()
}

pub async fn keys_page(State(state): State<AppState>, v: Viewer) -> Response {
    if let Some(page) = keys_refused(&v) {
        return page;
    }
    render_keys(
        &state,
        &v,
        StatusCode::OK,
        (String::new(), "30".into()),
        None,
        vec![],
    )
    .await
}

pub async fn create_key(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    if let Some(page) = keys_refused(&v) {
        return page;
    }
    let name = field(&fields, "name").unwrap_or_default().to_owned();
    let days = field(&fields, "expiresInDays")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let result = match days.parse::<i64>() {
        Ok(d) => {
            credentials::create_company_api_key(&state.service, &v.caller, &name, Some(d)).await
        }
        Err(_) => Err(ServiceError::field(
            "expiresInDays",
            "must be a number of days from 1 to 90",
        )),
    };
    match result {
        Ok((key, plain)) => {
            let shown = Shown {
                name: key.name,
                secret: plain.expose().to_owned(),
            };
            render_keys(
                &state,
                &v,
                StatusCode::CREATED,
                (String::new(), "30".into()),
                Some(shown),
                vec![],
            )
            .await
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                render_keys(
                    &state,
                    &v,
                    StatusCode::BAD_REQUEST,
                    (name, days),
                    None,
                    errors,
                )
                .await
            }
        },
    }
}

fn key_action(raw: &str) -> Option<(KeyAction, &'static str, &'static str)> {
    Some(match raw {
        "deactivate" => (
            KeyAction::Deactivate,
            "Deactivate",
            "Requests with this key are refused until you reactivate it.",
        ),
        "reactivate" => (
            KeyAction::Reactivate,
            "Reactivate",
            "The key works again until it expires.",
        ),
        "revoke" => (
            KeyAction::Revoke,
            "Revoke",
            "Every integration that uses this key stops working with its next request. This cannot be undone.",
        ),
        _ => return None,
    })
}

pub async fn change_key_page(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    if let Some(page) = keys_refused(&v) {
        return page;
    }
    let (Some(id), Some((_, verb, consequence))) = (parse_id::<ApiKeyId>(&id), key_action(&action))
    else {
        return failure(ServiceError::not_found("API key not found"));
    };
    let keys = match credentials::company_api_keys(&state.service, &v.caller).await {
        Ok(k) => k,
        Err(e) => return failure(e),
    };
    let Some(key) = keys.into_iter().find(|k| k.id == id) else {
        return failure(ServiceError::not_found("API key not found"));
    };
    Confirm {
        layout: Layout::new(format!("{verb} API key · termin")).dashboard(),
        nav: v.nav(Section::ApiKeys),
        heading: format!("{verb} “{}”?", key.name),
        text: consequence.into(),
        action: format!("/dashboard/settings/api-keys/{id}/{action}"),
        button: format!("{verb} key"),
        danger: action != "reactivate",
        back: "/dashboard/settings/api-keys".into(),
    }
    .page()
}

pub async fn change_key(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    if let Some(page) = keys_refused(&v) {
        return page;
    }
    let (Some(id), Some((action, _, _))) = (parse_id::<ApiKeyId>(&id), key_action(&action)) else {
        return failure(ServiceError::not_found("API key not found"));
    };
    match credentials::change_company_api_key(&state.service, &v.caller, id, action).await {
        Ok(_) => Redirect::to("/dashboard/settings/api-keys").into_response(),
        Err(e) => failure(e),
    }
}

/// Makes, regenerates or revokes the viewer's calendar feed.
pub async fn change_feed(
    State(state): State<AppState>,
    Path(action): Path<String>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    use termin_service::calendar_feed;
    let done = match action.as_str() {
        "create" => calendar_feed::get(&state.service, &v.caller)
            .await
            .map(|_| ()),
        "regenerate" => calendar_feed::regenerate(&state.service, &v.caller)
            .await
            .map(|_| ()),
        "revoke" => calendar_feed::revoke(&state.service, &v.caller).await,
        _ => return missing("action"),
    };
    match done {
        Ok(()) => Redirect::to("/dashboard/api#feed").into_response(),
        Err(e) => failure(e),
    }
}
