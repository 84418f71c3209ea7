//! `/v4/user`: the acting user, the company's users, and (Platform API Key or dashboard) the
//! user lifecycle.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use termin_domain::tenancy::{Role, UserType};
use termin_domain::validate::{Email, Language, PersonName, Slug, TimeZoneName};
use termin_domain::{AvailabilityId, CompanyId, MeetingTypeId, UserId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::{ActingUserRecord, CallerOrOwner};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::json::availability::AvailabilityInput;
use crate::http::json::users::UserView;
use crate::http::schemas;
use crate::state::AppState;
use termin_service::meeting_types::{MeetingInfoInput, MeetingTypeInput};
use termin_service::users::{self, NewUser, ProfileChanges, StarterKit};
use termin_service::Validator;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user, delete_user))
}

/// The acting user.
#[utoipa::path(get, path = "/v4/user/me", tag = "users",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserView), (status = 401, body = crate::http::error::ErrorBody)))]
async fn get_me(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    known: Option<Extension<ActingUserRecord>>,
) -> ApiResult<Json<UserView>> {
    // Authentication read the acting user in the same query as the credential (PATs, API
    // keys); only a dashboard session needs another read.
    let known = known.map(|Extension(ActingUserRecord(user))| user);
    Ok(Json(
        users::me(&state.service, &caller, known).await?.into(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct ListUsersQuery {
    #[param(value_type = Option<String>, example = "standard",
        max_length = 12, pattern = "^(standard|resource|api-platform)$")]
    user_type: Option<UserType>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Default 0.
    #[param(minimum = 0)]
    offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct UserList {
    users: Vec<UserView>,
    total: i64,
    count: usize,
    offset: i64,
}

/// The company's users (owner or admin only).
#[utoipa::path(get, path = "/v4/user", tag = "users", params(ListUsersQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserList), (status = 403, body = crate::http::error::ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiQuery(q): ApiQuery<ListUsersQuery>,
) -> ApiResult<Json<UserList>> {
    let limit = q.limit.unwrap_or(20);
    let offset = q.offset.unwrap_or(0);
    let (users, total) = users::list(&state.service, &caller, q.user_type, limit, offset).await?;
    let users: Vec<UserView> = users.into_iter().map(Into::into).collect();
    Ok(Json(UserList {
        count: users.len(),
        users,
        total,
        offset,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreateUserBody {
    #[schema(schema_with = schemas::email, required = true)]
    email: Option<String>,
    #[schema(schema_with = schemas::person_name, required = true)]
    given_name: Option<String>,
    #[schema(schema_with = schemas::person_name, required = true)]
    family_name: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    #[schema(schema_with = schemas::time_zone, required = true)]
    timezone: Option<String>,
    /// Default `en`.
    #[schema(schema_with = schemas::language_or_null)]
    language: Option<String>,
    /// `admin` or `member` (default).
    #[schema(schema_with = role)]
    role: Option<String>,
    /// Shapes the user's default availability (`{name, timezone, schedule}`).
    availability: Option<AvailabilityInput>,
    /// Shapes the user's default meeting type (`{name, duration, slug, channel}`).
    meeting_type: Option<StarterMeetingType>,
}

#[derive(Deserialize, ToSchema)]
struct StarterMeetingType {
    #[schema(schema_with = crate::http::json::meeting_types::name_or_null)]
    name: Option<String>,
    #[schema(schema_with = schemas::duration_or_null)]
    duration: Option<i64>,
    #[schema(schema_with = schemas::meeting_type_slug_or_null)]
    slug: Option<String>,
    #[schema(schema_with = crate::http::json::meeting_types::channel_or_null)]
    channel: Option<String>,
}

fn role() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    schemas::one_of(&["admin", "member"], true)
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreatedUser {
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    #[schema(value_type = String, format = Uuid)]
    availability_id: AvailabilityId,
    #[schema(value_type = String, format = Uuid)]
    meeting_type_id: MeetingTypeId,
    booking_url: String,
    #[schema(value_type = String, format = Uuid)]
    company_id: CompanyId,
}

/// Creates a user (Platform API Key, or an owner's or admin's dashboard session).
#[utoipa::path(post, path = "/v4/user", tag = "users", request_body = CreateUserBody,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CreatedUser), (status = 400, body = crate::http::error::ErrorBody),
              (status = 403, body = crate::http::error::ErrorBody), (status = 409, body = crate::http::error::ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    let mut v = Validator::new();
    let email = v
        .require("email", body.email.as_deref())
        .and_then(|e| v.check("email", Email::parse(e)));
    let given = v
        .require("givenName", body.given_name.as_deref())
        .and_then(|n| v.check("givenName", PersonName::parse(n)));
    let family = v
        .require("familyName", body.family_name.as_deref())
        .and_then(|n| v.check("familyName", PersonName::parse(n)));
    let timezone = v
        .require("timezone", body.timezone.as_deref())
        .and_then(|t| v.check("timezone", TimeZoneName::parse(t)));
    let language = v.check_opt("language", body.language.as_deref().map(Language::parse));
    let role = match body.role.as_deref() {
        None | Some("member") => Some(Role::Member),
        Some("admin") => Some(Role::Admin),
        Some(_) => {
            v.fail("role", "must be one of: admin, member");
            None
        }
    };
    v.finish()?;
    let (Some(email), Some(given), Some(family), Some(timezone), Some(role)) =
        (email, given, family, timezone, role)
    else {
        return Err(ApiError::internal("validator passed with a missing field"));
    };
    let new = NewUser {
        email,
        given_name: given,
        family_name: family,
        timezone,
        language: language.unwrap_or_else(|| Language::parse("en").expect("en is a language")),
        role,
        // The service decides it from the credential.
        user_type: UserType::Standard,
        password: None,
    };
    let kit = StarterKit {
        availability: body.availability.map(Into::into).unwrap_or_default(),
        meeting_type: body
            .meeting_type
            .map(|m| MeetingTypeInput {
                meeting_info: Some(MeetingInfoInput {
                    name: m.name,
                    duration: m.duration,
                    channel: m.channel,
                    ..Default::default()
                }),
                slug: m.slug,
                ..Default::default()
            })
            .unwrap_or_default(),
    };
    let created = users::create(&state.service, &caller, new, &kit).await?;
    state.wake_workers();
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user_id: created.user.user.id,
            availability_id: created.user.availability_id,
            meeting_type_id: created.user.meeting_type_id,
            booking_url: created.booking_url,
            company_id: created.user.user.company_id,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct UpdateUserBody {
    #[schema(schema_with = schemas::person_name_or_null)]
    given_name: Option<String>,
    #[schema(schema_with = schemas::person_name_or_null)]
    family_name: Option<String>,
    /// 5 to 64 lower-case letters, digits and single dashes.
    #[schema(schema_with = schemas::user_slug_or_null)]
    slug: Option<String>,
    #[schema(schema_with = schemas::time_zone_or_null)]
    timezone: Option<String>,
    #[schema(schema_with = schemas::language_or_null)]
    language: Option<String>,
}

/// Updates a user's profile (Platform API Key, an admin's dashboard session, or a dashboard
/// user editing themself).
#[utoipa::path(patch, path = "/v4/user/{id}", tag = "users", request_body = UpdateUserBody,
    params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = UserView), (status = 404, body = crate::http::error::ErrorBody),
              (status = 409, body = crate::http::error::ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UpdateUserBody>,
) -> ApiResult<Json<UserView>> {
    let mut v = Validator::new();
    let changes = ProfileChanges {
        given_name: v.check_opt(
            "givenName",
            body.given_name.as_deref().map(PersonName::parse),
        ),
        family_name: v.check_opt(
            "familyName",
            body.family_name.as_deref().map(PersonName::parse),
        ),
        slug: v.check_opt("slug", body.slug.as_deref().map(Slug::parse)),
        timezone: v.check_opt(
            "timezone",
            body.timezone.as_deref().map(TimeZoneName::parse),
        ),
        language: v.check_opt("language", body.language.as_deref().map(Language::parse)),
    };
    v.finish()?;
    Ok(Json(
        users::update(&state.service, &caller, id, changes)
            .await?
            .into(),
    ))
}

/// Removes a user from the company (never the owner). Their credentials stop working at once;
/// nothing they hosted is deleted.
#[utoipa::path(delete, path = "/v4/user/{id}", tag = "users",
    params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Removed; empty body"), (status = 403, body = crate::http::error::ErrorBody),
              (status = 404, body = crate::http::error::ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    users::remove(&state.service, &caller, id).await?;
    Ok(StatusCode::OK)
}
