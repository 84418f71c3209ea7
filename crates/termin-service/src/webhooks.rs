//! Webhooks: subscriptions, and events written in the same transaction as their cause. The
//! server's delivery job sends them.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::webhook::{EventType, SigningSecret};
use termin_domain::{DeliveryId, EventId, WebhookId};
use termin_storage::webhooks::{self, DeliveryRecord, WebhookRecord};
use termin_storage::Connection;

use crate::error::{ServiceError, ServiceResult, Validator};
use crate::guard::TargetGuard;
use crate::Service;

/// Who may manage webhooks: owners and admins, with a credential that has the account scope.
fn allowed(caller: &Principal) -> ServiceResult<()> {
    caller.require_scope(ScopeGroup::Account)?;
    caller.require_admin()?;
    Ok(())
}

/// At most this many webhooks per company (the seventh answers 406).
pub use termin_domain::limits::MAX_WEBHOOKS;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: WebhookId,
    pub endpoint: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// False once disabled (by the operator, or after deliveries kept failing).
    pub enabled: bool,
    /// Why the webhook was disabled.
    pub disabled_reason: Option<String>,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub updated_at: Timestamp,
    /// The signing secret: only in the answers of create and rotate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    pub fn new(w: WebhookRecord) -> Self {
        Self {
            id: w.id,
            endpoint: w.endpoint,
            event_types: serde_json::from_str(&w.event_types).unwrap_or_default(),
            description: w.description,
            enabled: w.disabled_at.is_none(),
            disabled_reason: w.disabled_reason,
            created_at: w.created_at,
            updated_at: w.updated_at,
            secret: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct WebhookInput {
    pub endpoint: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    /// PATCH only: `true` re-enables a disabled webhook, `false` disables it.
    pub enabled: Option<bool>,
}

/// The most entries `eventTypes` may list (each event at most a few times over).
pub const MAX_EVENT_TYPE_ENTRIES: usize = EventType::ALL.len() * 4;

fn parse_event_types(v: &mut Validator, raw: &[String]) -> Option<String> {
    if raw.is_empty() {
        v.fail("eventTypes", "must name at least one event");
        return None;
    }
    if raw.len() > MAX_EVENT_TYPE_ENTRIES {
        v.fail(
            "eventTypes",
            format!("must have at most {MAX_EVENT_TYPE_ENTRIES} entries"),
        );
        return None;
    }
    let mut set = BTreeSet::new();
    for (i, e) in raw.iter().enumerate() {
        match e.parse::<EventType>() {
            Ok(t) => {
                set.insert(t.as_str());
            }
            Err(err) => v.fail(&format!("eventTypes[{i}]"), err.to_string()),
        }
    }
    serde_json::to_string(&set).ok()
}

async fn check_endpoint(guard: &TargetGuard, v: &mut Validator, raw: &str) -> Option<String> {
    let max = termin_domain::limits::MAX_URL_CHARS;
    if raw.chars().count() > max {
        v.fail("endpoint", format!("must be at most {max} characters"));
        return None;
    }
    match guard.check_endpoint(raw).await {
        // Stored exactly as sent: clients compare it byte for byte with what they registered.
        Ok(_) => Some(raw.to_owned()),
        Err(e) => {
            v.fail("endpoint", e);
            None
        }
    }
}

pub async fn create(
    svc: &Service,
    caller: &Principal,
    input: &WebhookInput,
) -> ServiceResult<WebhookView> {
    allowed(caller)?;
    let mut v = Validator::new();
    let endpoint = match v.require("endpoint", input.endpoint.as_deref()) {
        Some(raw) => check_endpoint(&svc.guard, &mut v, raw).await,
        None => None,
    };
    let events = match &input.event_types {
        Some(raw) => parse_event_types(&mut v, raw),
        None => {
            v.fail("eventTypes", "is required");
            None
        }
    };
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        v.fail("description", "must be at most 500 characters");
    }
    v.finish()?;
    let mut tx = svc.db.begin_write().await?;
    // Count under the company's lock: on PostgreSQL's READ COMMITTED, parallel creates each
    // saw room for one more and the limit did not hold.
    termin_storage::lock_company(&mut tx, svc.db.backend(), caller.company_id).await?;
    if webhooks::list(&mut tx, caller.company_id).await?.len() >= MAX_WEBHOOKS {
        return Err(ServiceError::LimitReached(
            format!("A company can have at most {MAX_WEBHOOKS} webhooks").into(),
        ));
    }
    let secret = SigningSecret::generate();
    let at = svc.now();
    let record = WebhookRecord {
        id: WebhookId::new(),
        company_id: caller.company_id,
        endpoint: endpoint.expect("validated"),
        event_types: events.expect("validated"),
        description: input.description.clone(),
        secret: secret.expose(),
        consecutive_failures: 0,
        disabled_at: None,
        disabled_reason: None,
        created_at: at,
        updated_at: at,
    };
    webhooks::insert(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(WebhookView {
        secret: Some(secret.expose()),
        ..WebhookView::new(record)
    })
}

async fn get(
    conn: &mut Connection,
    caller: &Principal,
    id: WebhookId,
) -> ServiceResult<WebhookRecord> {
    webhooks::find(conn, caller.company_id, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Webhook not found"))
}

pub async fn list(svc: &Service, caller: &Principal) -> ServiceResult<Vec<WebhookView>> {
    allowed(caller)?;
    Ok(
        webhooks::list(&mut *svc.db.conn().await?, caller.company_id)
            .await?
            .into_iter()
            .map(WebhookView::new)
            .collect(),
    )
}

pub async fn update(
    svc: &Service,
    caller: &Principal,
    id: WebhookId,
    input: &WebhookInput,
) -> ServiceResult<WebhookView> {
    allowed(caller)?;
    let mut v = Validator::new();
    let endpoint = match &input.endpoint {
        Some(raw) => check_endpoint(&svc.guard, &mut v, raw).await,
        None => None,
    };
    let events = input
        .event_types
        .as_ref()
        .and_then(|raw| parse_event_types(&mut v, raw));
    if input
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        v.fail("description", "must be at most 500 characters");
    }
    v.finish()?;
    let mut tx = svc.db.begin_write().await?;
    let mut w = get(&mut tx, caller, id).await?;
    let at = svc.now();
    if let Some(e) = endpoint {
        w.endpoint = e;
    }
    if let Some(e) = events {
        w.event_types = e;
    }
    if input.description.is_some() {
        w.description = input.description.clone();
    }
    match input.enabled {
        Some(true) => {
            w.disabled_at = None;
            w.disabled_reason = None;
            w.consecutive_failures = 0;
        }
        Some(false) if w.disabled_at.is_none() => {
            w.disabled_at = Some(at);
            w.disabled_reason = Some("disabled by a user".into());
        }
        _ => {}
    }
    w.updated_at = at;
    webhooks::update(&mut tx, &w).await?;
    tx.commit().await?;
    Ok(WebhookView::new(w))
}

pub async fn delete(svc: &Service, caller: &Principal, id: WebhookId) -> ServiceResult<()> {
    allowed(caller)?;
    let mut tx = svc.db.begin_write().await?;
    get(&mut tx, caller, id).await?;
    webhooks::soft_delete(&mut tx, id, svc.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the signing secret; the new one is returned once and used from the next delivery.
pub async fn rotate_secret(
    svc: &Service,
    caller: &Principal,
    id: WebhookId,
) -> ServiceResult<WebhookView> {
    allowed(caller)?;
    let mut tx = svc.db.begin_write().await?;
    let mut w = get(&mut tx, caller, id).await?;
    let secret = SigningSecret::generate();
    w.secret = secret.expose();
    w.updated_at = svc.now();
    webhooks::update(&mut tx, &w).await?;
    tx.commit().await?;
    Ok(WebhookView {
        secret: Some(secret.expose()),
        ..WebhookView::new(w)
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub attempted_at: Timestamp,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub event_type: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub attempts: i64,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub next_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub delivered_at: Option<Timestamp>,
    pub attempt_log: Vec<AttemptView>,
}

impl DeliveryView {
    fn new(d: DeliveryRecord) -> Self {
        Self {
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            attempt_log: d
                .attempt_log
                .into_iter()
                .map(|a| AttemptView {
                    attempted_at: a.attempted_at,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

pub async fn deliveries(
    svc: &Service,
    caller: &Principal,
    id: WebhookId,
    limit: i64,
) -> ServiceResult<Vec<DeliveryView>> {
    allowed(caller)?;
    let mut conn = svc.db.conn().await?;
    get(&mut conn, caller, id).await?;
    Ok(webhooks::deliveries(&mut conn, id, limit)
        .await?
        .into_iter()
        .map(DeliveryView::new)
        .collect())
}

/// Schedules a delivery again now; the caller wakes its delivery worker.
pub async fn retry(
    svc: &Service,
    caller: &Principal,
    id: WebhookId,
    delivery: DeliveryId,
) -> ServiceResult<DeliveryView> {
    allowed(caller)?;
    let mut tx = svc.db.begin_write().await?;
    get(&mut tx, caller, id).await?;
    if !webhooks::retry(&mut tx, id, delivery, svc.now()).await? {
        return Err(ServiceError::not_found("Delivery not found"));
    }
    let found = webhooks::delivery(&mut tx, id, delivery).await?;
    tx.commit().await?;
    found
        .map(DeliveryView::new)
        .ok_or_else(|| ServiceError::not_found("Delivery not found"))
}
