//! The JSON of `termin_service::availability` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use termin_domain::availability::{
    DateException, RawDateException, RawWeeklySchedule, WeeklySchedule,
};
use termin_domain::{AvailabilityId, UserId};
use termin_service::availability as svc;
use utoipa::ToSchema;

/// An availability as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AvailabilityId,
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    pub name: String,
    pub timezone: String,
    /// Keyed by weekday: `{"monday": {"enabled": true, "hours": [{"start": "09:00", "end": "17:00"}]}, ...}`.
    #[schema(value_type = Object)]
    pub schedule: WeeklySchedule,
    /// Date overrides: `[{"date": "2026-12-24", "type": "blocked", "hours": []}]`.
    #[schema(value_type = Vec<Object>)]
    pub exceptions: Vec<DateException>,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub updated_at: Timestamp,
}

impl From<svc::AvailabilityView> for AvailabilityView {
    fn from(v: svc::AvailabilityView) -> Self {
        Self {
            id: v.id,
            user_id: v.user_id,
            name: v.name,
            timezone: v.timezone,
            schedule: v.schedule,
            exceptions: v.exceptions,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// The body of POST (all optional but sensible defaults) and PATCH.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityInput {
    pub name: Option<String>,
    pub timezone: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub schedule: Option<RawWeeklySchedule>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub exceptions: Option<Vec<RawDateException>>,
}

impl From<AvailabilityInput> for svc::AvailabilityInput {
    fn from(v: AvailabilityInput) -> Self {
        Self {
            name: v.name,
            timezone: v.timezone,
            schedule: v.schedule,
            exceptions: v.exceptions,
        }
    }
}
