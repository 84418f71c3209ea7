//! `/webhooks` (at the host root, as in meetergo): company-wide subscriptions, their delivery
//! log, retries and secret rotation. Owners and admins only; an API key without the header acts
//! as the owner.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use termin_domain::{DeliveryId, WebhookId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::CallerOrOwner;
use crate::http::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::json::webhooks::{DeliveryView, WebhookInput, WebhookView};
use crate::state::AppState;
use termin_service::webhooks;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(update_webhook, delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(retry_delivery))
}

/// The company's webhooks (never their secrets).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = crate::http::error::ErrorBody)))]
async fn list_webhooks(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
) -> ApiResult<Json<Vec<WebhookView>>> {
    let list = webhooks::list(&state.service, &caller).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Subscribes an endpoint to events. The answer carries the signing secret, this once.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = crate::http::json::webhooks::WebhookCreateInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = WebhookView), (status = 400, body = crate::http::error::ErrorBody),
              (status = 406, description = "The company has 6 webhooks already", body = crate::http::error::ErrorBody)))]
async fn create_webhook(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookView>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            webhooks::create(&state.service, &caller, &input.into())
                .await?
                .into(),
        ),
    ))
}

/// Changes endpoint, events or description; `enabled: true` re-enables a disabled webhook.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    request_body = WebhookInput, security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = WebhookView), (status = 400, body = crate::http::error::ErrorBody),
              (status = 404, body = crate::http::error::ErrorBody)))]
async fn update_webhook(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiPath(id): ApiPath<WebhookId>,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(
        webhooks::update(&state.service, &caller, id, &input.into())
            .await?
            .into(),
    ))
}

/// Removes a webhook; its pending deliveries are dropped, its history stays readable to nobody.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Deleted; empty body"), (status = 404, body = crate::http::error::ErrorBody)))]
async fn delete_webhook(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<StatusCode> {
    webhooks::delete(&state.service, &caller, id).await?;
    Ok(StatusCode::OK)
}

/// Replaces the signing secret and returns the new one, this once.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = WebhookView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn rotate_secret(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(
        webhooks::rotate_secret(&state.service, &caller, id)
            .await?
            .into(),
    ))
}

/// The webhook's newest deliveries (up to 100) with every attempt: times, status codes, errors.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = crate::http::error::ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiPath(id): ApiPath<WebhookId>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    Ok(Json(
        webhooks::deliveries(&state.service, &caller, id, 100)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Queues a delivery (typically a failed one) to be sent again now.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{deliveryId}/retry", tag = "webhooks",
    params(("id" = String, Path, format = Uuid), ("deliveryId" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = DeliveryView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn retry_delivery(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiPath((id, delivery)): ApiPath<(WebhookId, DeliveryId)>,
) -> ApiResult<Json<DeliveryView>> {
    let delivery = webhooks::retry(&state.service, &caller, id, delivery).await?;
    state.wake_workers();
    Ok(Json(delivery.into()))
}
