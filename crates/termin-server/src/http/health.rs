use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the process runs and its database answers, `degraded` otherwise.
    status: &'static str,
    database: &'static str,
    backend: &'static str,
    version: &'static str,
}

/// Liveness and database reachability.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (reachable, backend) = state.service.database_health().await;
    let status = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if reachable { "ok" } else { "degraded" },
            database: if reachable {
                "reachable"
            } else {
                "unreachable"
            },
            backend,
            version: env!("CARGO_PKG_VERSION"),
        }),
    )
}
