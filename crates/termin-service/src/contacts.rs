//! Contacts: the company's address book at `/crm`. A member manages the contacts they own
//! (`accountOwnerId`); owners and admins manage the whole company's. Booking creates and updates
//! contacts too (see `appointments::book`).

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::validate::{Email, Language};
use termin_domain::{AppointmentId, AttendeeId, ContactId, UserId};
use termin_storage::appointments::AppointmentRecord;
use termin_storage::contacts::{self, ContactRecord, ListFilter};
use termin_storage::Connection;

use super::appointments::{load_many, AppointmentView};
use crate::error::{FieldError, ServiceError, ServiceResult, Validator};
use crate::Service;

/// Most rows one `POST /crm/bulk` takes.
pub use termin_storage::contacts::SortBy;

pub const MAX_BULK: usize = 1000;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 50;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_NOTES_CHARS: usize = 10_000;
/// Largest `additionalData`, as JSON text.
pub const MAX_ADDITIONAL_DATA_BYTES: usize = 16 * 1024;

const NOT_FOUND: &str = "Contact not found";

/// The contact object of the API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    pub id: ContactId,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub additional_data: Map<String, Value>,
    pub no_show_count: i64,
    pub account_owner_id: Option<UserId>,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub updated_at: Timestamp,
}

impl From<ContactRecord> for ContactView {
    fn from(r: ContactRecord) -> Self {
        ContactView {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            phone_number: r.phone_number,
            language: r.language,
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            notes: r.notes,
            additional_data: serde_json::from_str(&r.additional_data).unwrap_or_default(),
            no_show_count: r.no_show_count,
            account_owner_id: r.account_owner_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A contact with the appointments they were booked into.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetails {
    pub item: ContactView,
    /// Every appointment the contact was booked into (cancelled ones too), by start. A member
    /// sees only the ones they host.
    pub appointments: Vec<AppointmentView>,
    /// Start of the next appointment that has not started yet and is not cancelled, or null.
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub next_appointment_iso: Option<Timestamp>,
}

/// One page of `GET /crm`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPage {
    pub result: Vec<ContactDetails>,
    /// 1-based.
    pub page: i64,
    pub limit: i64,
    pub total: i64,
    pub total_pages: i64,
}

/// Deserialises a field that may be absent (outer `None`), null (`Some(None)`) or set.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The body of `POST /crm`, `PATCH /crm/{id}` and each row of `POST /crm/bulk`. On PATCH an
/// absent field stays as it is and null (or an empty string) clears it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContactInput {
    #[serde(default, deserialize_with = "present")]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub last_name: Option<Option<String>>,
    /// Unique in the company; email or phoneNumber is required.
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub phone_number: Option<Option<String>>,
    /// A language code such as `en` or `de-AT`.
    #[serde(default, deserialize_with = "present")]
    pub language: Option<Option<String>>,
    /// Up to 50 tags of 1 to 50 characters (no quotes or backslashes).
    #[serde(default, deserialize_with = "present")]
    pub tags: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    pub notes: Option<Option<String>>,
    /// Any JSON object, at most 16 KiB.
    #[serde(default, deserialize_with = "present")]
    pub additional_data: Option<Option<Map<String, Value>>>,
}

/// A validated `GET /crm` query.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub search: Option<String>,
    pub tags: Vec<String>,
    pub sort_by: SortBy,
    pub descending: bool,
    /// 1-based.
    pub page: i64,
    pub limit: i64,
}

/// How `GET /crm/details` names its contact.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    Contact(ContactId),
    Attendee(AttendeeId),
}

/// A tag: trimmed, 1 to 50 characters, no quotes, backslashes or control characters.
pub fn parse_tag(raw: &str) -> Result<String, &'static str> {
    let tag = raw.trim();
    if tag.is_empty() || raw.chars().count() > MAX_TAG_CHARS {
        return Err("each tag must be 1 to 50 characters");
    }
    if tag.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        return Err("tags may not contain quotes, backslashes or control characters");
    }
    Ok(tag.to_owned())
}

fn parse_phone(raw: &str) -> Result<String, &'static str> {
    termin_domain::validate::check_phone(raw).map(|()| raw.to_owned())
}

/// A field taken as sent (an address, a code); empty means none.
fn exact(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

/// A trimmed text field; empty means none.
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Applies an input onto a contact and validates the result, naming every bad field.
fn apply(r: &mut ContactRecord, input: &ContactInput) -> ServiceResult<()> {
    let mut v = Validator::new();
    for (field, value, target) in [
        ("firstName", &input.first_name, &mut r.first_name),
        ("lastName", &input.last_name, &mut r.last_name),
    ] {
        if let Some(value) = value {
            let name = text(value);
            if value
                .as_ref()
                .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
            {
                v.fail(field, "must be at most 100 characters");
            }
            *target = name.map(str::to_owned);
        }
    }
    // A bad email or phone number is reported as such, not as a missing one.
    let mut reachable_given = false;
    if let Some(value) = &input.email {
        r.email = exact(value).and_then(|e| {
            reachable_given = true;
            v.check("email", Email::parse(e))
                .map(|e| e.as_str().to_owned())
        });
    }
    if let Some(value) = &input.phone_number {
        r.phone_number = exact(value).and_then(|p| {
            reachable_given = true;
            v.check("phoneNumber", parse_phone(p))
        });
    }
    if r.email.is_none() && r.phone_number.is_none() && !reachable_given {
        v.fail("email", "is required when phoneNumber is not given");
        v.fail("phoneNumber", "is required when email is not given");
    }
    if let Some(value) = &input.language {
        r.language = exact(value).and_then(|l| {
            v.check("language", Language::parse(l))
                .map(|l| l.as_str().to_owned())
        });
    }
    if let Some(value) = &input.notes {
        let notes = text(value);
        if value
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NOTES_CHARS)
        {
            v.fail("notes", "must be at most 10000 characters");
        }
        r.notes = notes.map(str::to_owned);
    }
    if let Some(value) = &input.tags {
        let given = value.as_deref().unwrap_or_default();
        if given.len() > MAX_TAGS {
            v.fail("tags", "must have at most 50 entries");
        }
        let mut tags: Vec<String> = Vec::with_capacity(given.len());
        for (i, raw) in given.iter().enumerate() {
            if let Some(tag) = v.check(&format!("tags[{i}]"), parse_tag(raw)) {
                // Tags match case-insensitively, so "VIP" and "vip" are one tag.
                if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
                    tags.push(tag);
                }
            }
        }
        r.tags = serde_json::to_string(&tags).map_err(ServiceError::internal)?;
    }
    if let Some(value) = &input.additional_data {
        let data = value.clone().unwrap_or_default();
        let json = serde_json::to_string(&data).map_err(ServiceError::internal)?;
        if json.len() > MAX_ADDITIONAL_DATA_BYTES {
            v.fail("additionalData", "must be at most 16384 bytes as JSON");
        }
        r.additional_data = json;
    }
    v.finish()
}

/// A new contact of the caller, validated, not yet stored.
fn new_record(
    caller: &Principal,
    input: &ContactInput,
    at: Timestamp,
) -> ServiceResult<ContactRecord> {
    let mut record = ContactRecord {
        id: ContactId::new(),
        company_id: caller.company_id,
        account_owner_id: Some(caller.user_id),
        email: None,
        first_name: None,
        last_name: None,
        phone_number: None,
        language: None,
        tags: "[]".into(),
        notes: None,
        additional_data: "{}".into(),
        no_show_count: 0,
        created_at: at,
        updated_at: at,
    };
    apply(&mut record, input)?;
    Ok(record)
}

/// A contact the caller may see: their own, or any of the company's for an owner or admin.
pub async fn visible(
    conn: &mut Connection,
    caller: &Principal,
    id: ContactId,
) -> ServiceResult<ContactRecord> {
    contacts::find(conn, caller.company_id, id)
        .await?
        .filter(|c| caller.is_admin() || c.account_owner_id == Some(caller.user_id))
        .ok_or_else(|| ServiceError::not_found(NOT_FOUND))
}

/// Adds each contact's appointments (for a member, the ones they host) and next start.
async fn with_appointments(
    conn: &mut Connection,
    caller: &Principal,
    records: Vec<ContactRecord>,
    at: Timestamp,
) -> ServiceResult<Vec<ContactDetails>> {
    let ids: Vec<ContactId> = records.iter().map(|r| r.id).collect();
    let host = (!caller.is_admin()).then_some(caller.user_id);
    let rows = contacts::appointments_of(conn, caller.company_id, &ids, host).await?;
    let mut seen = HashSet::new();
    let unique: Vec<AppointmentRecord> = rows
        .iter()
        .filter(|r| seen.insert(r.appointment.id))
        .map(|r| r.appointment.clone())
        .collect();
    let views: HashMap<AppointmentId, AppointmentView> = load_many(conn, unique)
        .await?
        .into_iter()
        .map(|l| {
            let view = l.view();
            (view.id, view)
        })
        .collect();
    Ok(records
        .into_iter()
        .map(|contact| {
            let mine: Vec<_> = rows.iter().filter(|r| r.contact_id == contact.id).collect();
            let mut listed = HashSet::new();
            let appointments = mine
                .iter()
                .filter(|r| listed.insert(r.appointment.id))
                .filter_map(|r| views.get(&r.appointment.id).cloned())
                .collect();
            let next_appointment_iso = mine
                .iter()
                .filter(|r| {
                    r.attendee_active
                        && r.appointment.cancelled_at.is_none()
                        && r.appointment.start_at >= at
                })
                .map(|r| r.appointment.start_at)
                .min();
            ContactDetails {
                item: contact.into(),
                appointments,
                next_appointment_iso,
            }
        })
        .collect())
}

pub async fn list(svc: &Service, caller: &Principal, q: &ListQuery) -> ServiceResult<ContactPage> {
    caller.require_scope(ScopeGroup::Contacts)?;
    let mut conn = svc.db.conn().await?;
    let filter = ListFilter {
        company: caller.company_id,
        owner: (!caller.is_admin()).then_some(caller.user_id),
        search: q.search.clone(),
        tags: q.tags.clone(),
        sort_by: q.sort_by,
        descending: q.descending,
        limit: q.limit,
        offset: (q.page - 1).saturating_mul(q.limit),
    };
    let (records, total) = contacts::list(&mut conn, &filter).await?;
    let result = with_appointments(&mut conn, caller, records, svc.now()).await?;
    Ok(ContactPage {
        result,
        page: q.page,
        limit: q.limit,
        total,
        total_pages: (total + q.limit - 1) / q.limit,
    })
}

pub async fn details(
    svc: &Service,
    caller: &Principal,
    lookup: Lookup,
) -> ServiceResult<ContactDetails> {
    caller.require_scope(ScopeGroup::Contacts)?;
    let mut conn = svc.db.conn().await?;
    let id = match lookup {
        Lookup::Contact(id) => id,
        Lookup::Attendee(attendee) => contacts::of_attendee(&mut conn, caller.company_id, attendee)
            .await?
            .flatten()
            .ok_or_else(|| ServiceError::not_found(NOT_FOUND))?,
    };
    let record = visible(&mut conn, caller, id).await?;
    Ok(
        with_appointments(&mut conn, caller, vec![record], svc.now())
            .await?
            .pop()
            .expect("one contact in, one out"),
    )
}

pub async fn create(
    svc: &Service,
    caller: &Principal,
    input: &ContactInput,
) -> ServiceResult<ContactView> {
    caller.require_scope(ScopeGroup::Contacts)?;
    let record = new_record(caller, input, svc.now())?;
    let mut tx = svc.db.begin_write().await?;
    contacts::insert(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(record.into())
}

pub async fn update(
    svc: &Service,
    caller: &Principal,
    id: ContactId,
    input: &ContactInput,
) -> ServiceResult<ContactView> {
    caller.require_scope(ScopeGroup::Contacts)?;
    let mut tx = svc.db.begin_write().await?;
    let mut record = visible(&mut tx, caller, id).await?;
    apply(&mut record, input)?;
    record.updated_at = svc.now();
    contacts::update(&mut tx, &record).await?;
    tx.commit().await?;
    Ok(record.into())
}

/// Deletes a contact. The attendees it was linked to stay in their appointments, unlinked.
pub async fn delete(svc: &Service, caller: &Principal, id: ContactId) -> ServiceResult<()> {
    caller.require_scope(ScopeGroup::Contacts)?;
    let mut tx = svc.db.begin_write().await?;
    visible(&mut tx, caller, id).await?;
    contacts::delete(&mut tx, caller.company_id, id).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_one(svc: &Service, record: &ContactRecord) -> ServiceResult<()> {
    let mut tx = svc.db.begin_write().await?;
    contacts::insert(&mut tx, record).await?;
    tx.commit().await?;
    Ok(())
}

/// One row of a bulk import, judged exactly like a body of `POST /crm`.
fn parse_row(row: &Value) -> ServiceResult<ContactInput> {
    serde_path_to_error::deserialize(row).map_err(|err| {
        let field = err.path().to_string();
        ServiceError::validation(vec![FieldError {
            field: if field == "." { String::new() } else { field },
            message: err.into_inner().to_string(),
        }])
    })
}

/// Creates each row on its own (one statement each): a bad or duplicate row is reported in its
/// outcome, in the order given, and the others are created all the same.
pub async fn bulk(
    svc: &Service,
    caller: &Principal,
    rows: Option<&[Value]>,
) -> ServiceResult<Vec<ServiceResult<ContactView>>> {
    caller.require_scope(ScopeGroup::Contacts)?;
    let rows = rows.ok_or_else(|| ServiceError::field("contacts", "is required"))?;
    if rows.is_empty() || rows.len() > MAX_BULK {
        return Err(ServiceError::field(
            "contacts",
            format!("must have 1 to {MAX_BULK} entries"),
        ));
    }
    // The list's shape is the request's: a row that is not an object refuses it all. What a
    // row says is judged row by row.
    if let Some(i) = rows.iter().position(|row| !row.is_object()) {
        return Err(ServiceError::field(
            &format!("contacts[{i}]"),
            "must be an object",
        ));
    }
    let at = svc.now();
    let mut outcomes = Vec::with_capacity(rows.len());
    for row in rows {
        // A transaction per row: a duplicate fails alone (on PostgreSQL it would abort a shared
        // transaction, and the rows after it with it).
        let outcome = match parse_row(row).and_then(|input| new_record(caller, &input, at)) {
            Ok(record) => insert_one(svc, &record).await.map(|()| record.into()),
            Err(e) => Err(e),
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}
