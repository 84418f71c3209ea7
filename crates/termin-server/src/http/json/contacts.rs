//! The JSON of `termin_service::contacts` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use super::appointments::AppointmentView;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use termin_domain::{ContactId, UserId};
use termin_service::contacts as svc;
use termin_service::contacts::{MAX_TAGS, MAX_TAG_CHARS};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;

use crate::http::schemas;

/// The contact object of the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ContactId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    #[schema(value_type = Object)]
    pub additional_data: Map<String, Value>,
    pub no_show_count: i64,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub account_owner_id: Option<UserId>,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub updated_at: Timestamp,
}

impl From<svc::ContactView> for ContactView {
    fn from(v: svc::ContactView) -> Self {
        Self {
            id: v.id,
            first_name: v.first_name,
            last_name: v.last_name,
            email: v.email,
            phone_number: v.phone_number,
            language: v.language,
            tags: v.tags,
            notes: v.notes,
            additional_data: v.additional_data,
            no_show_count: v.no_show_count,
            account_owner_id: v.account_owner_id,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// `{ item }`: the answer of create and update.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactItem {
    pub item: ContactView,
}

/// A contact with the appointments they were booked into.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetails {
    pub item: ContactView,
    /// Every appointment the contact was booked into (cancelled ones too), by start. A member
    /// sees only the ones they host.
    pub appointments: Vec<AppointmentView>,
    /// Start of the next appointment that has not started yet and is not cancelled, or null.
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub next_appointment_iso: Option<Timestamp>,
}

impl From<svc::ContactDetails> for ContactDetails {
    fn from(v: svc::ContactDetails) -> Self {
        Self {
            item: v.item.into(),
            appointments: v.appointments.into_iter().map(Into::into).collect(),
            next_appointment_iso: v.next_appointment_iso,
        }
    }
}

/// One page of `GET /crm`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactPage {
    pub result: Vec<ContactDetails>,
    /// 1-based.
    pub page: i64,
    pub limit: i64,
    pub total: i64,
    pub total_pages: i64,
}

impl From<svc::ContactPage> for ContactPage {
    fn from(v: svc::ContactPage) -> Self {
        Self {
            result: v.result.into_iter().map(Into::into).collect(),
            page: v.page,
            limit: v.limit,
            total: v.total,
            total_pages: v.total_pages,
        }
    }
}

/// The body of `POST /crm`, `PATCH /crm/{id}` and each row of `POST /crm/bulk`. On PATCH an
/// absent field stays as it is and null (or an empty string) clears it.
#[derive(Debug, Clone, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContactInput {
    /// At most 100 characters; blank clears.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub first_name: Option<Option<String>>,
    /// At most 100 characters; blank clears.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub last_name: Option<Option<String>>,
    /// Unique in the company; email or phoneNumber is required. Empty clears.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(schema_with = schemas::email_or_empty)]
    pub email: Option<Option<String>>,
    /// Up to 40 digits, spaces and `+ - ( ) . /`. Empty clears.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(schema_with = phone_or_empty)]
    pub phone_number: Option<Option<String>>,
    /// A language code such as `en` or `de-AT`. Empty clears.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(schema_with = language_or_empty)]
    pub language: Option<Option<String>>,
    /// Up to 50 tags; the same tag in another case is one tag.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(schema_with = tags_or_null)]
    pub tags: Option<Option<Vec<String>>>,
    /// At most 10000 characters; blank clears.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub notes: Option<Option<String>>,
    /// Any JSON object, at most 16 KiB.
    #[serde(default, deserialize_with = "termin_service::contacts::present")]
    #[schema(value_type = Option<Object>)]
    pub additional_data: Option<Option<Map<String, Value>>>,
}

fn phone_or_empty() -> RefOr<Schema> {
    let max = termin_domain::validate::MAX_PHONE_CHARS;
    schemas::pattern_or_null(&format!("^({})?$", schemas::PHONE), Some(max))
}

fn language_or_empty() -> RefOr<Schema> {
    schemas::pattern_or_null("^([A-Za-z]{2,3}(-[A-Za-z]{2})?)?$", Some(6))
}

/// A tag: 1 to 50 characters, not blank, no quotes, backslashes or control characters.
pub fn tag() -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_TAG_CHARS))
            .pattern(Some(
                r#"^[^"\\\x00-\x1F\x7F-\x9F]*[^"\\\s\x00-\x1F\x7F-\x9F][^"\\\x00-\x1F\x7F-\x9F]*$"#,
            ))
            .build(),
    ))
}

fn tags_or_null() -> RefOr<Schema> {
    schemas::array(tag(), 0, MAX_TAGS, true)
}

impl From<ContactInput> for svc::ContactInput {
    fn from(v: ContactInput) -> Self {
        Self {
            first_name: v.first_name,
            last_name: v.last_name,
            email: v.email,
            phone_number: v.phone_number,
            language: v.language,
            tags: v.tags,
            notes: v.notes,
            additional_data: v.additional_data,
        }
    }
}

/// The body of `POST /crm/bulk`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkInput {
    /// 1 to 1000 contacts, each an object like the body of `POST /crm`. A row that does not
    /// make a valid contact is reported in its result (the others are created all the same).
    #[schema(value_type = Vec<Object>, min_items = 1, max_items = 1000, required = true)]
    pub contacts: Option<Vec<Value>>,
}
