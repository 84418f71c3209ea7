//! The JSON of `termin_service::webhooks` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use termin_domain::{DeliveryId, EventId, WebhookId};
use termin_service::webhooks as svc;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    #[schema(value_type = String, format = Uuid)]
    pub id: WebhookId,
    pub endpoint: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    /// False once disabled (by the operator, or after deliveries kept failing).
    pub enabled: bool,
    /// Why the webhook was disabled.
    pub disabled_reason: Option<String>,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub updated_at: Timestamp,
    /// The signing secret: only in the answers of create and rotate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<svc::WebhookView> for WebhookView {
    fn from(v: svc::WebhookView) -> Self {
        Self {
            id: v.id,
            endpoint: v.endpoint,
            event_types: v.event_types,
            description: v.description,
            enabled: v.enabled,
            disabled_reason: v.disabled_reason,
            created_at: v.created_at,
            updated_at: v.updated_at,
            secret: v.secret,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct WebhookInput {
    /// An absolute `http` or `https` URL of at most 2048 characters, whose host resolves to a
    /// public address (else 400; see `--webhooks-allow-private-networks`).
    #[schema(schema_with = endpoint_or_null)]
    pub endpoint: Option<String>,
    /// The events to receive, at least one.
    #[schema(schema_with = event_types_or_null)]
    pub event_types: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// PATCH only: `true` re-enables a disabled webhook, `false` disables it.
    pub enabled: Option<bool>,
}

impl From<WebhookInput> for svc::WebhookInput {
    fn from(v: WebhookInput) -> Self {
        Self {
            endpoint: v.endpoint,
            event_types: v.event_types,
            description: v.description,
            enabled: v.enabled,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub attempted_at: Timestamp,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl From<svc::AttemptView> for AttemptView {
    fn from(v: svc::AttemptView) -> Self {
        Self {
            attempted_at: v.attempted_at,
            status_code: v.status_code,
            error: v.error,
            duration_ms: v.duration_ms,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    #[schema(value_type = String, format = Uuid)]
    pub id: DeliveryId,
    #[schema(value_type = String, format = Uuid)]
    pub event_id: EventId,
    pub event_type: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub attempts: i64,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub next_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub delivered_at: Option<Timestamp>,
    pub attempt_log: Vec<AttemptView>,
}

impl From<svc::DeliveryView> for DeliveryView {
    fn from(v: svc::DeliveryView) -> Self {
        Self {
            id: v.id,
            event_id: v.event_id,
            event_type: v.event_type,
            status: v.status,
            attempts: v.attempts,
            next_attempt_at: v.next_attempt_at,
            last_status_code: v.last_status_code,
            last_error: v.last_error,
            created_at: v.created_at,
            delivered_at: v.delivered_at,
            attempt_log: v.attempt_log.into_iter().map(Into::into).collect(),
        }
    }
}

/// The body of `POST /webhooks`: as for PATCH, with an endpoint and events.
#[allow(dead_code)] // a schema only: the handler reads `WebhookInput`
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreateInput {
    #[schema(schema_with = endpoint)]
    endpoint: String,
    #[schema(schema_with = event_types)]
    event_types: Vec<String>,
    #[serde(flatten)]
    rest: WebhookInput,
}

fn endpoint_schema(nullable: bool) -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, SchemaType, Type};
    utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
        ObjectBuilder::new()
            .schema_type(if nullable {
                SchemaType::from_iter([Type::String, Type::Null])
            } else {
                SchemaType::new(Type::String)
            })
            .format(Some(SchemaFormat::Custom("uri".into())))
            .pattern(Some("^[hH][tT][tT][pP][sS]?://"))
            .max_length(Some(termin_domain::limits::MAX_URL_CHARS))
            .build(),
    ))
}

fn endpoint() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    endpoint_schema(false)
}

fn endpoint_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    endpoint_schema(true)
}

fn event_types_schema(nullable: bool) -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    let names: Vec<&str> = termin_domain::webhook::EventType::ALL
        .iter()
        .map(|e| e.as_str())
        .collect();
    crate::http::schemas::array(
        crate::http::schemas::one_of(&names, false),
        1,
        termin_service::webhooks::MAX_EVENT_TYPE_ENTRIES,
        nullable,
    )
}

fn event_types() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    event_types_schema(false)
}

fn event_types_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    event_types_schema(true)
}
