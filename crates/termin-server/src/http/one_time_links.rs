//! `POST /v4/one-time-booking-link/create/{meetingTypeId}`: a booking link that books once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use termin_domain::MeetingTypeId;
use termin_service::one_time_links;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::ApiPath;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_one_time_link))
}

/// A one-time booking link. The URL holds its token: it is shown only now.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct OneTimeLinkView {
    #[schema(value_type = String, format = Uuid)]
    id: uuid::Uuid,
    #[schema(value_type = String, format = Uuid)]
    meeting_type_id: MeetingTypeId,
    /// The meeting type's booking page; it takes one booking, then says the link was used.
    url: String,
    /// The same URL.
    link: String,
    token: String,
    created_at: String,
}

/// Creates a link to the meeting type's booking page that books once. The meeting type's rules
/// apply as on its public page (a disabled one takes no bookings through a link either).
#[utoipa::path(post, path = "/v4/one-time-booking-link/create/{meetingTypeId}", tag = "meeting types",
    params(("meetingTypeId" = String, Path, format = Uuid)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = OneTimeLinkView), (status = 404, body = crate::http::error::ErrorBody)))]
async fn create_one_time_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<MeetingTypeId>,
) -> ApiResult<(StatusCode, Json<OneTimeLinkView>)> {
    let v = one_time_links::create(&state.service, &caller, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(OneTimeLinkView {
            id: v.id,
            meeting_type_id: v.meeting_type_id,
            url: v.url,
            link: v.link,
            token: v.token,
            created_at: termin_service::wire_time::format(v.created_at),
        }),
    ))
}
