//! A dashboard user's own Personal Access Tokens. Session only: no token can manage tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use termin_domain::TokenId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::DashboardSession;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::json::credentials::TokenView;
use crate::state::AppState;
use termin_service::credentials;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

/// The logged-in user's tokens (never their secrets).
#[utoipa::path(get, path = "/auth/tokens", tag = "dashboard", security(("session" = [])),
    responses((status = 200, body = Vec<TokenView>), (status = 403, body = crate::http::error::ErrorBody)))]
async fn list_tokens(
    State(state): State<AppState>,
    DashboardSession(caller): DashboardSession,
) -> ApiResult<Json<Vec<TokenView>>> {
    let tokens = credentials::my_tokens(&state.service, &caller).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreateTokenBody {
    #[schema(schema_with = crate::http::schemas::credential_name)]
    name: String,
    /// Days until the token expires (1 to 3650); omit for a token that never expires.
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<i64>,
    /// Limit the token to these groups. Omit (or leave empty) for all.
    #[serde(default)]
    #[schema(schema_with = scopes)]
    scopes: Vec<String>,
}

fn scopes() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    crate::http::schemas::array(
        crate::http::schemas::one_of(&["scheduling", "contacts", "account"], false),
        0,
        16,
        false,
    )
}

#[derive(Serialize, ToSchema)]
struct CreatedToken {
    token: TokenView,
    /// The token itself. Shown this once; store it now.
    secret: String,
}

/// Creates a Personal Access Token for the logged-in user.
#[utoipa::path(post, path = "/auth/tokens", tag = "dashboard", security(("session" = [])),
    request_body = CreateTokenBody,
    responses((status = 201, body = CreatedToken), (status = 400, body = crate::http::error::ErrorBody),
              (status = 403, body = crate::http::error::ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    DashboardSession(caller): DashboardSession,
    ApiJson(body): ApiJson<CreateTokenBody>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let (token, plain) = credentials::create_my_token(
        &state.service,
        &caller,
        &body.name,
        body.expires_in_days,
        &body.scopes,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: token.into(),
            secret: plain.expose().to_owned(),
        }),
    ))
}

/// Revokes one of the logged-in user's tokens. It stops working with the next request.
#[utoipa::path(delete, path = "/auth/tokens/{id}", tag = "dashboard", security(("session" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = TokenView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    DashboardSession(caller): DashboardSession,
    ApiPath(id): ApiPath<TokenId>,
) -> ApiResult<Json<TokenView>> {
    Ok(Json(
        credentials::revoke_my_token(&state.service, &caller, id)
            .await?
            .into(),
    ))
}
