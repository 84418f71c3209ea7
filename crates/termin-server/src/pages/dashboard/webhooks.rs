//! Webhooks (owners and admins): the company's endpoints, a new one with its event types (the
//! signing secret shown once), rotating the secret, enabling, disabling and deleting, and the
//! delivery log with a retry for each delivery. The same use cases as `/webhooks`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use termin_domain::webhook::EventType;
use termin_domain::{DeliveryId, WebhookId};
use termin_service::webhooks::{self, WebhookInput, WebhookView};
use termin_service::ServiceError;

use super::credentials::Shown;
use super::{
    all, field, missing, outcome, parse_id, Confirm, Nav, Outcome, Posted, Section, Viewer,
};
use crate::pages::view::{failure, Layout, Page};
use crate::state::AppState;

/// How many deliveries the log shows.
const LOG_SIZE: i64 = 50;

pub struct Hook {
    pub id: String,
    pub endpoint: String,
    pub description: String,
    pub events: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
}

fn hook(w: &WebhookView) -> Hook {
    Hook {
        id: w.id.to_string(),
        endpoint: w.endpoint.clone(),
        description: w.description.clone().unwrap_or_default(),
        events: w.event_types.join(", "),
        enabled: w.enabled,
        disabled_reason: w.disabled_reason.clone(),
    }
}

pub struct EventChoice {
    pub value: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "dash_webhooks.html")]
struct ListView {
    layout: Layout,
    nav: Nav,
    hooks: Vec<Hook>,
    created: Option<Shown>,
    endpoint: String,
    description: String,
    events: Vec<EventChoice>,
    errors: Vec<String>,
}

fn choices(checked: &[&str]) -> Vec<EventChoice> {
    EventType::ALL
        .iter()
        .map(|e| EventChoice {
            value: e.as_str(),
            checked: checked.contains(&e.as_str()),
        })
        .collect()
}

async fn render_list(
    state: &AppState,
    v: &Viewer,
    status: StatusCode,
    form: (String, String, Vec<&str>),
    created: Option<Shown>,
    errors: Vec<String>,
) -> Response {
    let hooks = match webhooks::list(&state.service, &v.caller).await {
        Ok(h) => h,
        Err(e) => return failure(e),
    };
    Page::with_status(
        status,
        &ListView {
            layout: Layout::new("Webhooks · termin").dashboard(),
            nav: v.nav(Section::Webhooks),
            hooks: hooks.iter().map(hook).collect(),
            created,
            endpoint: form.0,
            description: form.1,
            events: choices(&form.2),
            errors,
        },
    )
    .into_response()
}

pub async fn list_page(State(state): State<AppState>, v: Viewer) -> Response {
    if let Some(page) = v.admin_only("manage webhooks") {
        return page;
    }
    let form = (
        String::new(),
        String::new(),
        vec![
            "booking_created",
            "booking_cancelled",
            "booking_rescheduled",
        ],
    );
    render_list(&state, &v, StatusCode::OK, form, None, vec![]).await
}

fn readable(errors: Vec<(String, String)>) -> Vec<String> {
    errors
        .into_iter()
        .map(|(f, m)| match f.as_str() {
            "" => m,
            "endpoint" => format!("Endpoint: {m}"),
            f if f.starts_with("eventTypes") => format!("Events: {m}"),
            f => format!("{f}: {m}"),
        })
        .collect()
}

pub async fn create(
    State(state): State<AppState>,
    Posted { viewer: v, fields }: Posted,
) -> Response {
    if let Some(page) = v.admin_only("manage webhooks") {
        return page;
    }
    let endpoint = field(&fields, "endpoint")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let description = field(&fields, "description")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let events: Vec<&str> = all(&fields, "events");
    let input = WebhookInput {
        endpoint: Some(endpoint.clone()),
        event_types: Some(events.iter().map(|e| (*e).to_owned()).collect()),
        description: (!description.is_empty()).then(|| description.clone()),
        enabled: None,
    };
    match webhooks::create(&state.service, &v.caller, &input).await {
        Ok(w) => {
            let shown = Shown {
                name: w.endpoint.clone(),
                secret: w.secret.clone().unwrap_or_default(),
            };
            render_list(
                &state,
                &v,
                StatusCode::CREATED,
                (String::new(), String::new(), vec![]),
                Some(shown),
                vec![],
            )
            .await
        }
        Err(ServiceError::LimitReached(m)) => {
            render_list(
                &state,
                &v,
                StatusCode::CONFLICT,
                (endpoint, description, events),
                None,
                vec![m.into_owned()],
            )
            .await
        }
        Err(e) => match outcome(e) {
            Outcome::Page(page) => page,
            Outcome::Fields(errors) => {
                render_list(
                    &state,
                    &v,
                    StatusCode::BAD_REQUEST,
                    (endpoint, description, events),
                    None,
                    readable(errors),
                )
                .await
            }
        },
    }
}

pub struct Attempt {
    pub at: String,
    pub outcome: String,
}

pub struct Delivery {
    pub id: String,
    pub event: String,
    pub status: String,
    pub created: String,
    pub next: Option<String>,
    pub attempts: Vec<Attempt>,
}

#[derive(Template)]
#[template(path = "dash_webhook.html")]
struct DetailView {
    layout: Layout,
    nav: Nav,
    hook: Hook,
    secret: Option<String>,
    deliveries: Vec<Delivery>,
}

async fn render_detail(
    state: &AppState,
    v: &Viewer,
    id: WebhookId,
    secret: Option<String>,
) -> Response {
    let hooks = match webhooks::list(&state.service, &v.caller).await {
        Ok(h) => h,
        Err(e) => return failure(e),
    };
    let Some(w) = hooks.iter().find(|w| w.id == id) else {
        return missing("webhook");
    };
    let log = match webhooks::deliveries(&state.service, &v.caller, id, LOG_SIZE).await {
        Ok(l) => l,
        Err(e) => return failure(e),
    };
    Page::render(&DetailView {
        layout: Layout::new("Webhook · termin").dashboard(),
        nav: v.nav(Section::Webhooks),
        hook: hook(w),
        secret,
        deliveries: log
            .into_iter()
            .map(|d| Delivery {
                id: d.id.to_string(),
                event: d.event_type,
                created: v.time(d.created_at),
                next: d.next_attempt_at.map(|t| v.time(t)),
                attempts: d
                    .attempt_log
                    .iter()
                    .map(|a| Attempt {
                        at: v.time(a.attempted_at),
                        outcome: match (a.status_code, &a.error) {
                            (Some(code), _) => format!("HTTP {code} in {} ms", a.duration_ms),
                            (None, Some(e)) => e.clone(),
                            (None, None) => "no answer".into(),
                        },
                    })
                    .collect(),
                status: d.status,
            })
            .collect(),
    })
    .into_response()
}

pub async fn detail_page(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Response {
    if let Some(page) = v.admin_only("manage webhooks") {
        return page;
    }
    let Some(id) = parse_id::<WebhookId>(&id) else {
        return missing("webhook");
    };
    render_detail(&state, &v, id, None).await
}

fn verb(action: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match action {
        "rotate" => (
            "Rotate the secret of",
            "A new signing secret is made and shown once. Deliveries from now on are signed with it; update your receiver right away.",
            true,
        ),
        "delete" => ("Delete", "No more events go to this endpoint. Its delivery log goes too.", true),
        _ => return None,
    })
}

pub async fn confirm_page(v: Viewer, Path((id, action)): Path<(String, String)>) -> Response {
    if let Some(page) = v.admin_only("manage webhooks") {
        return page;
    }
    let (Some(id), Some((verb, text, danger))) = (parse_id::<WebhookId>(&id), verb(&action)) else {
        return missing("webhook");
    };
    Confirm {
        layout: Layout::new("Webhook · termin").dashboard(),
        nav: v.nav(Section::Webhooks),
        heading: format!("{verb} this webhook?"),
        text: text.into(),
        action: format!("/dashboard/webhooks/{id}/{action}"),
        button: if action == "rotate" {
            "Rotate secret".into()
        } else {
            "Delete webhook".into()
        },
        danger,
        back: format!("/dashboard/webhooks/{id}"),
    }
    .page()
}

/// Enables, disables, rotates the secret of, or deletes a webhook.
pub async fn change(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    if let Some(page) = v.admin_only("manage webhooks") {
        return page;
    }
    let Some(id) = parse_id::<WebhookId>(&id) else {
        return missing("webhook");
    };
    let result = match action.as_str() {
        "enable" | "disable" => {
            let input = WebhookInput {
                enabled: Some(action == "enable"),
                ..Default::default()
            };
            webhooks::update(&state.service, &v.caller, id, &input)
                .await
                .map(|_| None)
        }
        "rotate" => webhooks::rotate_secret(&state.service, &v.caller, id)
            .await
            .map(|w| w.secret),
        "delete" => {
            return match webhooks::delete(&state.service, &v.caller, id).await {
                Ok(()) => Redirect::to("/dashboard/webhooks").into_response(),
                Err(e) => failure(e),
            }
        }
        _ => return missing("action"),
    };
    match result {
        Ok(Some(secret)) => render_detail(&state, &v, id, Some(secret)).await,
        Ok(None) => Redirect::to(&format!("/dashboard/webhooks/{id}")).into_response(),
        Err(e) => failure(e),
    }
}

pub async fn retry(
    State(state): State<AppState>,
    Path((id, delivery)): Path<(String, String)>,
    Posted { viewer: v, .. }: Posted,
) -> Response {
    if let Some(page) = v.admin_only("manage webhooks") {
        return page;
    }
    let (Some(id), Some(delivery)) = (
        parse_id::<WebhookId>(&id),
        parse_id::<DeliveryId>(&delivery),
    ) else {
        return missing("delivery");
    };
    match webhooks::retry(&state.service, &v.caller, id, delivery).await {
        Ok(_) => {
            state.wake_workers();
            Redirect::to(&format!("/dashboard/webhooks/{id}")).into_response()
        }
        Err(e) => failure(e),
    }
}
