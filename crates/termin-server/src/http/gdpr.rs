//! `POST /v4/gdpr/export`: everything the company holds about one person.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use termin_domain::validate::Email;
use termin_domain::UserId;
use termin_service::gdpr::{self, Subject};
use termin_service::{ServiceError, Validator};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::CallerOrOwner;
use crate::http::error::ApiResult;
use crate::http::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(gdpr_export))
}

/// Whom to export: exactly one of the two.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ExportInput {
    /// A user of the company (present or removed).
    #[schema(value_type = Option<String>, format = Uuid)]
    user_id: Option<UserId>,
    /// An address: the company's user with it, and every attendee and contact record with it.
    #[schema(max_length = 254)]
    email: Option<String>,
}

/// Every piece of personal data the company holds about a user or an attendee, as one JSON
/// document: profile, personal page, meeting types, availabilities, tokens (never secrets) and
/// hosted appointments of a user; attended appointments (with their own attendee record only),
/// contacts and e-mail of the address. A Platform API Key (without `x-meetergo-api-user-id` it
/// acts as the owner) or an admin's dashboard session; a personal access token gets 403. Give
/// exactly one of `userId` and `email` (else 400).
#[utoipa::path(post, path = "/v4/gdpr/export", tag = "users", request_body = ExportInput,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The export", body = Object),
              (status = 400, body = crate::http::error::ErrorBody),
              (status = 403, body = crate::http::error::ErrorBody),
              (status = 404, description = "No such user in the company", body = crate::http::error::ErrorBody)))]
async fn gdpr_export(
    State(state): State<AppState>,
    CallerOrOwner(caller): CallerOrOwner,
    ApiJson(input): ApiJson<ExportInput>,
) -> ApiResult<Json<Value>> {
    let mut v = Validator::new();
    let subject = match (input.user_id, input.email.as_deref()) {
        (Some(id), None) => Some(Subject::User(id)),
        (None, Some(raw)) => v.check("email", Email::parse(raw)).map(Subject::Email),
        _ => {
            v.fail("userId", "give exactly one of userId and email");
            None
        }
    };
    v.finish()?;
    let subject = subject.ok_or_else(|| ServiceError::internal("validated"))?;
    Ok(Json(gdpr::export(&state.service, &caller, &subject).await?))
}
