//! `/v4/meeting-type`: what can be booked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use termin_domain::MeetingTypeId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::json::meeting_types::{MeetingTypeInput, MeetingTypeView};
use crate::state::AppState;
use termin_service::meeting_types;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_meeting_types, create_meeting_type))
        .routes(routes!(
            get_meeting_type,
            update_meeting_type,
            delete_meeting_type
        ))
}

/// The acting user's meeting types.
#[utoipa::path(get, path = "/v4/meeting-type", tag = "meeting types", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<MeetingTypeView>)))]
async fn list_meeting_types(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<Vec<MeetingTypeView>>> {
    let list = meeting_types::list(&state.service, &caller).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Creates a meeting type for the acting user.
#[utoipa::path(post, path = "/v4/meeting-type", tag = "meeting types", request_body = crate::http::json::meeting_types::MeetingTypeCreateInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = MeetingTypeView), (status = 400, body = crate::http::error::ErrorBody),
              (status = 406, description = "The user has the most meeting types allowed (100)", body = crate::http::error::ErrorBody),
              (status = 409, body = crate::http::error::ErrorBody)))]
async fn create_meeting_type(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<MeetingTypeInput>,
) -> ApiResult<(StatusCode, Json<MeetingTypeView>)> {
    let created = meeting_types::create(&state.service, &caller, &input.into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One meeting type (its host's, or any in the company for an admin).
#[utoipa::path(get, path = "/v4/meeting-type/{id}", tag = "meeting types", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MeetingTypeView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn get_meeting_type(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<MeetingTypeId>,
) -> ApiResult<Json<MeetingTypeView>> {
    Ok(Json(
        meeting_types::get(&state.service, &caller, id)
            .await?
            .into(),
    ))
}

/// Changes a meeting type; nested objects are merged field by field.
#[utoipa::path(patch, path = "/v4/meeting-type/{id}", tag = "meeting types", params(("id" = String, Path, format = Uuid)),
    request_body = MeetingTypeInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MeetingTypeView), (status = 400, body = crate::http::error::ErrorBody),
              (status = 404, body = crate::http::error::ErrorBody),
              (status = 409, description = "The slug is taken by another of the host's meeting types", body = crate::http::error::ErrorBody)))]
async fn update_meeting_type(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<MeetingTypeId>,
    ApiJson(input): ApiJson<MeetingTypeInput>,
) -> ApiResult<Json<MeetingTypeView>> {
    let updated = meeting_types::update(&state.service, &caller, id, &input.into()).await?;
    Ok(Json(updated.into()))
}

/// Soft-deletes a meeting type: existing appointments stay, booking stops. 200 with an empty body.
#[utoipa::path(delete, path = "/v4/meeting-type/{id}", tag = "meeting types", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Deleted; empty body"), (status = 404, body = crate::http::error::ErrorBody)))]
async fn delete_meeting_type(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<MeetingTypeId>,
) -> ApiResult<StatusCode> {
    meeting_types::delete(&state.service, &caller, id).await?;
    Ok(StatusCode::OK)
}
