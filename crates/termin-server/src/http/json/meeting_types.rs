//! The JSON of `termin_service::meeting_types` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use termin_domain::questions::BookingQuestion;
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
    /// How many days ahead bookings are accepted (1 to 730); null for no limit.
    #[schema(minimum = 1, maximum = 730)]
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
    #[schema(value_type = Vec<BookingQuestionInput>)]
    pub booking_questions: Vec<BookingQuestion>,
    /// Minutes before the start that attendees get a reminder by e-mail; 0 for none.
    pub reminder_minutes_before: i64,
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
            booking_questions: v.booking_questions,
            reminder_minutes_before: v.reminder_minutes_before,
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
    /// Default: from the name.
    #[schema(schema_with = crate::http::schemas::meeting_type_slug_or_null)]
    pub slug: Option<String>,
    pub enabled: Option<bool>,
    /// One of the host's availabilities (else 400).
    #[schema(schema_with = crate::http::schemas::uuid_or_null)]
    pub availability_id: Option<AvailabilityId>,
    /// Seats: 1 for one-on-one, up to 100 for a group.
    #[schema(minimum = 1, maximum = 100)]
    pub spots: Option<i64>,
    /// Minutes between offered start times (5 to 60); null: the duration.
    #[schema(minimum = 5, maximum = 60)]
    pub timeslot_interval: Option<i64>,
    /// Minutes of notice a booking needs (up to a year).
    #[schema(minimum = 0, maximum = 525_600)]
    pub booking_minimum: Option<i64>,
    pub days_into_future: Option<DaysIntoFuture>,
    /// Up to 20 locations, each at most 2048 bytes of JSON (else 400).
    #[schema(value_type = Option<Vec<Object>>, max_items = 20)]
    pub locations: Option<Vec<Value>>,
    /// Up to 20 keys of 1 to 40 characters, values of at most 500.
    #[schema(schema_with = metadata_or_null)]
    pub metadata: Option<BTreeMap<String, String>>,
    /// Up to 20 questions the attendee answers when booking; when sent, the whole list. The
    /// answers go in the attendee's `notes`, keyed by the question's `id` (else 400).
    #[schema(value_type = Option<Vec<BookingQuestionInput>>, max_items = 20)]
    pub booking_questions: Option<Vec<BookingQuestion>>,
    /// Minutes before the start that attendees get a reminder by e-mail (default 1440, a
    /// day); 0 for none.
    #[schema(minimum = 0, maximum = 10_080)]
    pub reminder_minutes_before: Option<i64>,
}

/// A question the attendee answers when booking.
#[allow(dead_code)] // the schema of `termin_domain::questions::BookingQuestion`
#[derive(ToSchema)]
pub struct BookingQuestionInput {
    /// The key of the answer in the attendee's `notes`; unique in the meeting type.
    #[schema(max_length = 40, pattern = "^[A-Za-z0-9_-]{1,40}$")]
    id: String,
    #[schema(schema_with = question_label)]
    label: String,
    /// `text` (up to 1000 characters), `longText` (10000), `choice` (one of `options`),
    /// `checkbox` (true or false; a required one must be ticked), `phone`. All answers of a
    /// booking, with its other notes, hold at most 16 KiB of JSON.
    #[schema(rename = "type", schema_with = question_kind)]
    kind: String,
    /// Default false.
    #[serde(default)]
    required: bool,
    /// A choice's options (1 to 20, each 1 to 100 characters, no two alike); others have none.
    #[serde(default)]
    #[schema(schema_with = question_options)]
    options: Vec<String>,
}

fn question_label() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
        crate::http::schemas::text(termin_domain::questions::MAX_LABEL_CHARS, false).build(),
    ))
}

fn question_kind() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    let kinds: Vec<&str> = termin_domain::questions::QuestionKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    crate::http::schemas::one_of(&kinds, false)
}

fn question_options() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::http::schemas::array(
        utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
            crate::http::schemas::text(termin_domain::questions::MAX_OPTION_CHARS, false).build(),
        )),
        0,
        termin_domain::questions::MAX_OPTIONS,
        false,
    )
}

fn metadata_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
    let value = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(500));
    let key = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(40));
    utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
            .additional_properties(Some(AdditionalProperties::RefOr(
                utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(value.build())),
            )))
            .property_names(Some(key.build()))
            .max_properties(Some(20))
            .build(),
    ))
}

/// The body of `POST /v4/meeting-type`: as for PATCH, with a name and a duration.
#[allow(dead_code)] // a schema only: the handler reads `MeetingTypeInput`
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingTypeCreateInput {
    meeting_info: MeetingInfoCreateInput,
    #[serde(flatten)]
    rest: MeetingTypeInput,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub struct MeetingInfoCreateInput {
    #[schema(schema_with = name)]
    name: String,
    #[schema(minimum = 5, maximum = 480)]
    duration: i64,
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
            booking_questions: v.booking_questions,
            reminder_minutes_before: v.reminder_minutes_before,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfoInput {
    #[schema(schema_with = name_or_null)]
    pub name: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// Minutes.
    #[schema(schema_with = crate::http::schemas::duration_or_null)]
    pub duration: Option<i64>,
    #[schema(schema_with = channel_or_null)]
    pub channel: Option<String>,
    /// Minutes kept free before (0 to 120).
    #[schema(minimum = 0, maximum = 120)]
    pub buffer_before: Option<i64>,
    /// Minutes kept free after (0 to 120).
    #[schema(minimum = 0, maximum = 120)]
    pub buffer_after: Option<i64>,
    #[schema(max_length = 7, pattern = "^#[0-9A-Fa-f]{6}$")]
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
    /// Other lengths an attendee may choose, up to 10, each 5 to 480 minutes.
    #[schema(schema_with = durations_or_null)]
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

fn durations_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let duration = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(termin_domain::limits::MIN_DURATION_MINUTES))
        .maximum(Some(termin_domain::limits::MAX_DURATION_MINUTES));
    crate::http::schemas::array(
        utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(duration.build())),
        0,
        termin_domain::limits::MAX_ALLOWED_DURATIONS,
        true,
    )
}

fn name() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(
        crate::http::schemas::text(200, false).build(),
    ))
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
