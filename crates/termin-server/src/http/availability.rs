//! `/v4/availability`: weekly schedules with date exceptions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use termin_domain::AvailabilityId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::json::availability::{AvailabilityInput, AvailabilityView};
use crate::state::AppState;
use termin_service::availability;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_availabilities, create_availability))
        .routes(routes!(
            get_availability,
            update_availability,
            delete_availability
        ))
}

/// The acting user's availabilities; the first is their default.
#[utoipa::path(get, path = "/v4/availability", tag = "availability", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<AvailabilityView>)))]
async fn list_availabilities(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<Json<Vec<AvailabilityView>>> {
    let list = availability::list(&state.service, &caller).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Creates an availability for the acting user (default: Mon-Fri 09:00-17:00 in their zone).
#[utoipa::path(post, path = "/v4/availability", tag = "availability", request_body = AvailabilityInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = AvailabilityView), (status = 400, body = crate::http::error::ErrorBody),
              (status = 406, description = "The user has the most schedules allowed (100)", body = crate::http::error::ErrorBody)))]
async fn create_availability(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<AvailabilityInput>,
) -> ApiResult<(StatusCode, Json<AvailabilityView>)> {
    let created = availability::create(&state.service, &caller, &input.into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One availability.
#[utoipa::path(get, path = "/v4/availability/{id}", tag = "availability", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AvailabilityView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn get_availability(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AvailabilityId>,
) -> ApiResult<Json<AvailabilityView>> {
    Ok(Json(
        availability::get(&state.service, &caller, id).await?.into(),
    ))
}

/// Changes name, zone, schedule or exceptions (each replaced whole when given).
#[utoipa::path(patch, path = "/v4/availability/{id}", tag = "availability", params(("id" = String, Path, format = Uuid)),
    request_body = AvailabilityInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AvailabilityView), (status = 400, body = crate::http::error::ErrorBody),
              (status = 404, body = crate::http::error::ErrorBody)))]
async fn update_availability(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AvailabilityId>,
    ApiJson(input): ApiJson<AvailabilityInput>,
) -> ApiResult<Json<AvailabilityView>> {
    let updated = availability::update(&state.service, &caller, id, &input.into()).await?;
    Ok(Json(updated.into()))
}

/// Deletes an availability that no meeting type uses. 200 with an empty body.
#[utoipa::path(delete, path = "/v4/availability/{id}", tag = "availability", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Deleted; empty body"), (status = 404, body = crate::http::error::ErrorBody),
              (status = 409, body = crate::http::error::ErrorBody)))]
async fn delete_availability(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<AvailabilityId>,
) -> ApiResult<StatusCode> {
    availability::delete(&state.service, &caller, id).await?;
    Ok(StatusCode::OK)
}
