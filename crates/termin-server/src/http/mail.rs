//! E-mail through the API: `POST /v4/attendee/quick-mail` (meetergo's) and `GET /v4/mail`
//! (termin's: the outbox with each message's status).

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use termin_domain::{AppointmentId, AttendeeId, MailId, UserId};
use termin_service::mail::{self, MailQuery, STATUSES};
use termin_service::quick_mail::{self, QuickMail};
use termin_service::Validator;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Params;
use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(quick_mail))
        .routes(routes!(list_mail))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct QuickMailInput {
    /// An attendee of an appointment the caller may see.
    #[schema(value_type = String, format = Uuid)]
    attendee_id: AttendeeId,
    /// The subject: 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// The message: 1 to 10000 characters of plain text (blank lines separate paragraphs).
    #[schema(min_length = 1, max_length = 10000)]
    content: String,
}

/// A message of the outbox.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailView {
    #[schema(value_type = String, format = Uuid)]
    id: MailId,
    /// confirmation, invitation, host_booked, updated, cancelled, seat_cancelled, reminder or
    /// quick_mail.
    kind: String,
    recipient: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    appointment_id: Option<AppointmentId>,
    /// pending, sent, failed, cancelled (a reminder no longer due) or unsent (the server had no
    /// SMTP configured).
    status: String,
    attempts: i64,
    last_error: Option<String>,
    /// When it is (or was) due: now, or a reminder's time.
    due_at: String,
    created_at: String,
    sent_at: Option<String>,
}

impl From<mail::MailView> for MailView {
    fn from(m: mail::MailView) -> Self {
        let t = termin_service::wire_time::format;
        Self {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            appointment_id: m.appointment_id,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            due_at: t(m.due_at),
            created_at: t(m.created_at),
            sent_at: m.sent_at.map(t),
        }
    }
}

/// Sends a one-off e-mail to an attendee of an appointment the caller may see (its host, or an
/// admin of the company). Replies reach the caller. At most 5 per 5 minutes per sender.
#[utoipa::path(post, path = "/v4/attendee/quick-mail", tag = "appointments",
    request_body = QuickMailInput, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = MailView), (status = 400, body = crate::http::error::ErrorBody),
              (status = 404, description = "No such attendee the caller may see", body = crate::http::error::ErrorBody),
              (status = 429, description = "5 quick mails in the last 5 minutes", body = crate::http::error::ErrorBody)))]
async fn quick_mail(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(input): ApiJson<QuickMailInput>,
) -> ApiResult<(StatusCode, Json<MailView>)> {
    let m = QuickMail {
        attendee: input.attendee_id,
        title: input.title,
        content: input.content,
    };
    let view = quick_mail::send(&state.service, &caller, &m).await?;
    state.wake_workers();
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[derive(Serialize, ToSchema)]
struct MailPage {
    mails: Vec<MailView>,
    total: i64,
}

/// The query of `GET /v4/mail` (read by the handler; this is its documentation).
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListMailQuery {
    /// 0-based.
    #[param(minimum = 0)]
    page: Option<i64>,
    /// 1 to 100, default 20.
    #[param(rename = "pageSize", minimum = 1, maximum = 100)]
    page_size: Option<i64>,
    #[param(max_length = 9, pattern = "^(pending|sent|failed|cancelled|unsent)$")]
    status: Option<String>,
    #[param(rename = "appointmentId", format = Uuid)]
    appointment_id: Option<String>,
    /// Another user's messages (owners and admins only).
    #[param(rename = "userId", format = Uuid)]
    user_id: Option<String>,
}

/// The mail outbox, newest first: what termin sent or will send, with each message's status.
/// Members see the messages about appointments they host and those they sent; owners and admins
/// the company's.
#[utoipa::path(get, path = "/v4/mail", tag = "appointments", params(ListMailQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MailPage), (status = 400, body = crate::http::error::ErrorBody),
              (status = 403, body = crate::http::error::ErrorBody)))]
async fn list_mail(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<MailPage>> {
    let q = Params::parse(raw.as_deref())?;
    let mut v = Validator::new();
    let page: i64 = q.parsed(&mut v, "page", "a whole number").unwrap_or(0);
    if page < 0 {
        v.fail("page", "must not be negative");
    }
    let size: i64 = q.parsed(&mut v, "pageSize", "a whole number").unwrap_or(20);
    if !(1..=100).contains(&size) {
        v.fail("pageSize", "must be between 1 and 100");
    }
    let status = q.one("status").map(str::to_owned);
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        v.fail("status", format!("must be one of: {}", STATUSES.join(", ")));
    }
    let appointment: Option<AppointmentId> = q.parsed(&mut v, "appointmentId", "a UUID");
    let user: Option<UserId> = q.parsed(&mut v, "userId", "a UUID");
    v.finish()?;
    let (mails, total) = mail::list(
        &state.service,
        &caller,
        &MailQuery {
            status,
            appointment,
            user,
            page,
            page_size: size,
        },
    )
    .await?;
    Ok(Json(MailPage {
        mails: mails.into_iter().map(Into::into).collect(),
        total,
    }))
}
