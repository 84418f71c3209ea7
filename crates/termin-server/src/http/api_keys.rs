//! The company's Platform API Keys, managed by an owner or admin from a dashboard session.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use termin_domain::ApiKeyId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::DashboardSession;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::json::credentials::ApiKeyView;
use crate::state::AppState;
use termin_service::credentials::{self, KeyAction};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(deactivate_api_key))
        .routes(routes!(reactivate_api_key))
}

/// The company's API keys (never their secrets).
#[utoipa::path(get, path = "/auth/api-keys", tag = "dashboard", security(("session" = [])),
    responses((status = 200, body = Vec<ApiKeyView>), (status = 403, body = crate::http::error::ErrorBody)))]
async fn list_api_keys(
    State(state): State<AppState>,
    DashboardSession(caller): DashboardSession,
) -> ApiResult<Json<Vec<ApiKeyView>>> {
    let keys = credentials::company_api_keys(&state.service, &caller).await?;
    Ok(Json(keys.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreateApiKeyBody {
    #[schema(schema_with = crate::http::schemas::credential_name)]
    name: String,
    /// 1 to 90 days.
    #[schema(minimum = 1, maximum = 90, required = true, nullable = false)]
    expires_in_days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreatedApiKey {
    api_key: ApiKeyView,
    /// The key itself. Shown this once; store it now.
    secret: String,
}

/// Creates a Platform API Key (Enterprise or Platform plan).
#[utoipa::path(post, path = "/auth/api-keys", tag = "dashboard", security(("session" = [])),
    request_body = CreateApiKeyBody,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = crate::http::error::ErrorBody),
              (status = 403, body = crate::http::error::ErrorBody)))]
async fn create_api_key(
    State(state): State<AppState>,
    DashboardSession(caller): DashboardSession,
    ApiJson(body): ApiJson<CreateApiKeyBody>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let (key, plain) = credentials::create_company_api_key(
        &state.service,
        &caller,
        &body.name,
        body.expires_in_days,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            api_key: key.into(),
            secret: plain.expose().to_owned(),
        }),
    ))
}

async fn change(
    state: &AppState,
    caller: &DashboardSession,
    id: ApiKeyId,
    action: KeyAction,
) -> ApiResult<Json<ApiKeyView>> {
    let key = credentials::change_company_api_key(&state.service, &caller.0, id, action).await?;
    Ok(Json(key.into()))
}

/// Revokes an API key for good.
#[utoipa::path(delete, path = "/auth/api-keys/{id}", tag = "dashboard", security(("session" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ApiKeyView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn revoke_api_key(
    State(state): State<AppState>,
    caller: DashboardSession,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKeyView>> {
    change(&state, &caller, id, KeyAction::Revoke).await
}

/// Deactivates an API key; it can be reactivated.
#[utoipa::path(post, path = "/auth/api-keys/{id}/deactivate", tag = "dashboard", security(("session" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ApiKeyView), (status = 404, body = crate::http::error::ErrorBody),
              (status = 409, description = "The key is revoked", body = crate::http::error::ErrorBody)))]
async fn deactivate_api_key(
    State(state): State<AppState>,
    caller: DashboardSession,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKeyView>> {
    change(&state, &caller, id, KeyAction::Deactivate).await
}

/// Reactivates a deactivated API key.
#[utoipa::path(post, path = "/auth/api-keys/{id}/reactivate", tag = "dashboard", security(("session" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = ApiKeyView), (status = 404, body = crate::http::error::ErrorBody),
              (status = 409, body = crate::http::error::ErrorBody)))]
async fn reactivate_api_key(
    State(state): State<AppState>,
    caller: DashboardSession,
    ApiPath(id): ApiPath<ApiKeyId>,
) -> ApiResult<Json<ApiKeyView>> {
    change(&state, &caller, id, KeyAction::Reactivate).await
}
