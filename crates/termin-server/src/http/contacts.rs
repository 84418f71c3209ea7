//! `/crm` (at the host root, as in meetergo): the company's contacts. Members reach the
//! contacts they own; owners and admins the whole company's.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use termin_domain::{AttendeeId, ContactId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Params;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::json::contacts::{
    BulkInput, ContactDetails, ContactInput, ContactItem, ContactPage, ContactView,
};
use crate::state::AppState;
use termin_service::contacts::{self, parse_tag, ListQuery, Lookup, SortBy, MAX_TAGS};
use termin_service::{FieldError, Validator};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(contact_details))
        .routes(routes!(bulk_create_contacts))
        .routes(routes!(update_contact, delete_contact))
}

/// The query of `GET /crm` (read by `list_query`; this is its documentation).
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListContactsQuery {
    /// Matches email, first and last name, full name and phone number, case-insensitively; at
    /// most 200 characters.
    #[param(rename = "searchTerm", max_length = 200)]
    search_term: Option<String>,
    /// Contacts having every one of these tags (up to 50); repeated or comma-separated.
    #[param(schema_with = tags_param)]
    tags: Option<Vec<String>>,
    /// Default `createdAt`.
    #[param(
        rename = "sortBy",
        max_length = 9,
        pattern = "^(createdAt|updatedAt|firstName|lastName|email)$"
    )]
    sort_by: Option<String>,
    /// Default `desc`; either case.
    #[param(
        rename = "sortOrder",
        max_length = 4,
        pattern = "^([aA][sS][cC]|[dD][eE][sS][cC])$"
    )]
    sort_order: Option<String>,
    /// 1-based, default 1.
    #[param(minimum = 1)]
    page: Option<i64>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// Tags as a query parameter: each like a contact's tag, and without commas (a comma
/// separates tags).
fn tags_param() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let tag = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(termin_service::contacts::MAX_TAG_CHARS))
        .pattern(Some(
            r#"^[^,"\\\x00-\x1F\x7F-\x9F]*[^,"\\\s\x00-\x1F\x7F-\x9F][^,"\\\x00-\x1F\x7F-\x9F]*$"#,
        ));
    crate::http::schemas::array(
        utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(tag.build())),
        0,
        termin_service::contacts::MAX_TAGS,
        false,
    )
}

fn list_query(q: &Params) -> ApiResult<ListQuery> {
    let mut v = Validator::new();
    let page: i64 = q.parsed(&mut v, "page", "a whole number").unwrap_or(1);
    let limit: i64 = q.parsed(&mut v, "limit", "a whole number").unwrap_or(20);
    if page < 1 {
        v.fail("page", "must be at least 1");
    }
    if !(1..=100).contains(&limit) {
        v.fail("limit", "must be between 1 and 100");
    }
    let search = q
        .one("searchTerm")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if q.one("searchTerm").is_some_and(|s| s.chars().count() > 200) {
        v.fail("searchTerm", "must be at most 200 characters");
    }
    let tags: Vec<String> = q
        .many("tags")
        .into_iter()
        .filter_map(|t| v.check("tags", parse_tag(t)))
        .collect();
    if tags.len() > MAX_TAGS {
        v.fail("tags", "must have at most 50 entries");
    }
    let sort_by = match q.one("sortBy") {
        None | Some("createdAt") => SortBy::CreatedAt,
        Some("updatedAt") => SortBy::UpdatedAt,
        Some("firstName") => SortBy::FirstName,
        Some("lastName") => SortBy::LastName,
        Some("email") => SortBy::Email,
        Some(_) => {
            v.fail(
                "sortBy",
                "must be one of: createdAt, updatedAt, firstName, lastName, email",
            );
            SortBy::CreatedAt
        }
    };
    let descending = match q.one("sortOrder").map(str::to_ascii_lowercase).as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            v.fail("sortOrder", "must be one of: asc, desc");
            true
        }
    };
    v.finish()?;
    Ok(ListQuery {
        search,
        tags,
        sort_by,
        descending,
        page,
        limit,
    })
}

/// A page of contacts with their appointments: the acting user's own, or for an owner or admin
/// the whole company's.
#[utoipa::path(get, path = "/crm", tag = "contacts",
    params(ListContactsQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ContactPage), (status = 400, body = crate::http::error::ErrorBody)))]
async fn list_contacts(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ContactPage>> {
    let query = list_query(&Params::parse(raw.as_deref())?)?;
    Ok(Json(
        contacts::list(&state.service, &caller, &query)
            .await?
            .into(),
    ))
}

/// One contact with their appointments, named by its id or by an attendee linked to it.
#[utoipa::path(get, path = "/crm/details", tag = "contacts",
    params(
        ("contactId" = Option<String>, Query, format = Uuid, description = "Exactly one of contactId and attendeeId (else 400)"),
        ("attendeeId" = Option<String>, Query, format = Uuid),
    ),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ContactDetails), (status = 400, body = crate::http::error::ErrorBody),
              (status = 404, body = crate::http::error::ErrorBody)))]
async fn contact_details(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ContactDetails>> {
    let q = Params::parse(raw.as_deref())?;
    let mut v = Validator::new();
    let contact: Option<ContactId> = q.parsed(&mut v, "contactId", "a UUID");
    let attendee: Option<AttendeeId> = q.parsed(&mut v, "attendeeId", "a UUID");
    v.finish()?;
    let lookup = match (contact, attendee) {
        (Some(c), None) => Lookup::Contact(c),
        (None, Some(a)) => Lookup::Attendee(a),
        _ => {
            let error = |field: &str| FieldError {
                field: field.to_owned(),
                message: "exactly one of contactId and attendeeId is required".to_owned(),
            };
            return Err(ApiError::validation(vec![
                error("contactId"),
                error("attendeeId"),
            ]));
        }
    };
    Ok(Json(
        contacts::details(&state.service, &caller, lookup)
            .await?
            .into(),
    ))
}

/// Creates a contact owned by the acting user. Email or phone number is required; an email is
/// unique in the company (409).
#[utoipa::path(post, path = "/crm", tag = "contacts", request_body = ContactInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ContactItem), (status = 400, body = crate::http::error::ErrorBody),
              (status = 409, body = crate::http::error::ErrorBody)))]
async fn create_contact(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<(StatusCode, Json<ContactItem>)> {
    let item = contacts::create(&state.service, &caller, &input.into()).await?;
    Ok((StatusCode::CREATED, Json(ContactItem { item: item.into() })))
}

/// Creates up to 1000 contacts, each on its own: the answer says per row whether it was created
/// or why not, and one bad row does not stop the others.
#[utoipa::path(post, path = "/crm/bulk", tag = "contacts", request_body = BulkInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = BulkResult), (status = 400, body = crate::http::error::ErrorBody)))]
async fn bulk_create_contacts(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<BulkInput>,
) -> ApiResult<Json<BulkResult>> {
    let outcomes = contacts::bulk(&state.service, &caller, input.contacts.as_deref()).await?;
    let results: Vec<BulkRow> = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| match outcome {
            Ok(item) => BulkRow {
                index,
                status: BulkStatus::Created,
                item: Some(item.into()),
                error: None,
            },
            Err(e) => BulkRow {
                index,
                status: BulkStatus::Error,
                item: None,
                error: Some(ApiError::from(e).body()),
            },
        })
        .collect();
    let created = results
        .iter()
        .filter(|r| r.status == BulkStatus::Created)
        .count();
    Ok(Json(BulkResult {
        created,
        failed: results.len() - created,
        results,
    }))
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum BulkStatus {
    Created,
    Error,
}

/// The outcome of one row of a bulk import.
#[derive(Debug, Serialize, ToSchema)]
struct BulkRow {
    /// The row's position in `contacts`, from 0.
    index: usize,
    status: BulkStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<ContactView>,
    /// The error the row would have got from `POST /crm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody>,
}

/// The answer of `POST /crm/bulk`.
#[derive(Debug, Serialize, ToSchema)]
struct BulkResult {
    created: usize,
    failed: usize,
    results: Vec<BulkRow>,
}

/// Changes a contact: absent fields stay, null clears.
#[utoipa::path(patch, path = "/crm/{id}", tag = "contacts", params(("id" = String, Path, format = Uuid)),
    request_body = ContactInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ContactItem), (status = 400, body = crate::http::error::ErrorBody),
              (status = 404, body = crate::http::error::ErrorBody), (status = 409, body = crate::http::error::ErrorBody)))]
async fn update_contact(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<ContactId>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<Json<ContactItem>> {
    let item = contacts::update(&state.service, &caller, id, &input.into()).await?;
    Ok(Json(ContactItem { item: item.into() }))
}

/// Deletes a contact; its attendees stay in their appointments, unlinked. 200 with an empty body.
#[utoipa::path(delete, path = "/crm/{id}", tag = "contacts", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Deleted; empty body"), (status = 404, body = crate::http::error::ErrorBody)))]
async fn delete_contact(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<StatusCode> {
    contacts::delete(&state.service, &caller, id).await?;
    Ok(StatusCode::OK)
}
