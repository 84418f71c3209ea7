//! The JSON of `termin_service::meeting_types` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use termin_domain::{AvailabilityId, CompanyId, MeetingTypeId, UserId};
use termin_service::meeting_types as svc;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfo {
    pub name: String,
    pub description: Option<String>,
    /// Minutes, 5 to 480.
    pub duration: i64,
    pub channel: String,
    /// Minutes kept free before each appointment, 0 to 120.
    pub buffer_before: i64,
    /// Minutes kept free after each appointment, 0 to 120.
    pub buffer_after: i64,
    pub color: Option<String>,
}

impl From<svc::MeetingInfo> for MeetingInfo {
    fn from(v: svc::MeetingInfo) -> Self {
        Self {
            name: v.name,
            description: v.description,
            duration: v.duration,
            channel: v.channel,
            buffer_before: v.buffer_before,
            buffer_after: v.buffer_after,
            color: v.color,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingOptions {
    /// Other durations an attendee may choose, in minutes.
    pub allowed_durations: Vec<i64>,
    pub allow_adding_guests: bool,
}

impl From<svc::MeetingOptions> for MeetingOptions {
    fn from(v: svc::MeetingOptions) -> Self {
        Self {
            allowed_durations: v.allowed_durations,
            allow_adding_guests: v.allow_adding_guests,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DaysIntoFuture {
    /// How many days ahead bookings are accepted; null for no limit.
    pub booking_limit: Option<i64>,
}

impl From<svc::DaysIntoFuture> for DaysIntoFuture {
    fn from(v: svc::DaysIntoFuture) -> Self {
        Self {
            booking_limit: v.booking_limit,
        }
    }
}

impl From<DaysIntoFuture> for svc::DaysIntoFuture {
    fn from(v: DaysIntoFuture) -> Self {
        Self {
            booking_limit: v.booking_limit,
        }
    }
}

/// A meeting type as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingTypeView {
    #[schema(value_type = String, format = Uuid)]
    pub id: MeetingTypeId,
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    pub slug: String,
    pub enabled: bool,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub availability_id: Option<AvailabilityId>,
    pub meeting_info: MeetingInfo,
    pub meeting_options: MeetingOptions,
    pub spots: i64,
    pub timeslot_interval: i64,
    pub booking_minimum: i64,
    pub days_into_future: DaysIntoFuture,
    #[schema(value_type = Vec<Object>)]
    pub locations: Vec<Value>,
    pub metadata: BTreeMap<String, String>,
    pub booking_url: String,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub updated_at: Timestamp,
}

impl From<svc::MeetingTypeView> for MeetingTypeView {
    fn from(v: svc::MeetingTypeView) -> Self {
        Self {
            id: v.id,
            user_id: v.user_id,
            company_id: v.company_id,
            slug: v.slug,
            enabled: v.enabled,
            availability_id: v.availability_id,
            meeting_info: v.meeting_info.into(),
            meeting_options: v.meeting_options.into(),
            spots: v.spots,
            timeslot_interval: v.timeslot_interval,
            booking_minimum: v.booking_minimum,
            days_into_future: v.days_into_future.into(),
            locations: v.locations,
            metadata: v.metadata,
            booking_url: v.booking_url,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// The body of POST and PATCH: every field optional; POST requires `meetingInfo.name` and
/// `meetingInfo.duration`.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingTypeInput {
    pub meeting_info: Option<MeetingInfoInput>,
    pub meeting_options: Option<MeetingOptionsInput>,
    pub slug: Option<String>,
    pub enabled: Option<bool>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub availability_id: Option<AvailabilityId>,
    pub spots: Option<i64>,
    pub timeslot_interval: Option<i64>,
    pub booking_minimum: Option<i64>,
    pub days_into_future: Option<DaysIntoFuture>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub locations: Option<Vec<Value>>,
    pub metadata: Option<BTreeMap<String, String>>,
}

impl From<MeetingTypeInput> for svc::MeetingTypeInput {
    fn from(v: MeetingTypeInput) -> Self {
        Self {
            meeting_info: v.meeting_info.map(Into::into),
            meeting_options: v.meeting_options.map(Into::into),
            slug: v.slug,
            enabled: v.enabled,
            availability_id: v.availability_id,
            spots: v.spots,
            timeslot_interval: v.timeslot_interval,
            booking_minimum: v.booking_minimum,
            days_into_future: v.days_into_future.map(Into::into),
            locations: v.locations,
            metadata: v.metadata,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfoInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration: Option<i64>,
    pub channel: Option<String>,
    pub buffer_before: Option<i64>,
    pub buffer_after: Option<i64>,
    pub color: Option<String>,
}

impl From<MeetingInfoInput> for svc::MeetingInfoInput {
    fn from(v: MeetingInfoInput) -> Self {
        Self {
            name: v.name,
            description: v.description,
            duration: v.duration,
            channel: v.channel,
            buffer_before: v.buffer_before,
            buffer_after: v.buffer_after,
            color: v.color,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingOptionsInput {
    pub allowed_durations: Option<Vec<i64>>,
    pub allow_adding_guests: Option<bool>,
}

impl From<MeetingOptionsInput> for svc::MeetingOptionsInput {
    fn from(v: MeetingOptionsInput) -> Self {
        Self {
            allowed_durations: v.allowed_durations,
            allow_adding_guests: v.allow_adding_guests,
        }
    }
}

/// A meeting type's name: 1 to 200 characters, not blank.
pub fn name_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
        crate::http::schemas::text(200, true).build(),
    ))
}

/// Where the meeting happens: one of the channels meetergo knows.
pub fn channel_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::http::schemas::one_of(termin_service::meeting_types::CHANNELS, true)
}
