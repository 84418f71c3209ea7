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
    /// Default `Working hours`.
    #[schema(schema_with = name_or_null)]
    pub name: Option<String>,
    /// Default: the user's time zone.
    #[schema(schema_with = crate::http::schemas::time_zone_or_null)]
    pub timezone: Option<String>,
    /// On PATCH only the weekdays named change. Ranges must not overlap, and each starts before
    /// it ends.
    #[schema(value_type = Option<WeeklyScheduleInput>)]
    pub schedule: Option<RawWeeklySchedule>,
    /// At most 366, one per date; on PATCH the list replaces the list.
    #[schema(value_type = Option<Vec<DateExceptionInput>>, max_items = 366)]
    pub exceptions: Option<Vec<RawDateException>>,
}

fn name_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
        crate::http::schemas::text(100, true).build(),
    ))
}

/// The week: a day absent (or null) is closed on POST and unchanged on PATCH. Other keys are
/// refused.
#[allow(dead_code)] // the schema of `RawWeeklySchedule`, which the domain crate parses
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyScheduleInput {
    monday: Option<DayInput>,
    tuesday: Option<DayInput>,
    wednesday: Option<DayInput>,
    thursday: Option<DayInput>,
    friday: Option<DayInput>,
    saturday: Option<DayInput>,
    sunday: Option<DayInput>,
}

/// One weekday. `enabled` absent: open when it has hours.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct DayInput {
    #[schema(nullable = true)]
    enabled: Option<bool>,
    /// Up to 12 ranges.
    #[serde(default)]
    #[schema(max_items = 12)]
    hours: Vec<HourRangeInput>,
}

/// From `start` (`HH:MM`) to `end` (`HH:MM`, or `24:00` for midnight).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct HourRangeInput {
    #[schema(max_length = 5, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    start: String,
    #[schema(max_length = 5, pattern = "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
    end: String,
}

/// A date that is closed (`blocked`) or open at other hours (`available`, with at least one
/// range).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct DateExceptionInput {
    #[schema(format = Date)]
    date: String,
    #[schema(rename = "type", max_length = 9, pattern = "^(blocked|available)$")]
    kind: String,
    #[serde(default)]
    #[schema(max_items = 12)]
    hours: Vec<HourRangeInput>,
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
