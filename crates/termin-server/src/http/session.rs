//! Dashboard login. The session lives in an HTTP-only, SameSite=Strict cookie; unsafe requests
//! made with it must also carry the session's CSRF token in `x-csrf-token`.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};
use termin_domain::credential::PlainSessionSecret;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::auth::DashboardSession;
use crate::http::cookie::{session_cookie, SESSION_COOKIE};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::ApiJson;
use crate::http::json::users::UserView;
use crate::http::rate_limit::ClientIp;
use crate::state::AppState;
use termin_service::authenticate::SessionLimits;
use termin_service::sessions;
use termin_service::users;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(current_session))
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    /// At most 254 characters.
    #[schema(max_length = 254)]
    email: String,
    /// At most 1024 characters.
    #[schema(max_length = 1024)]
    password: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SessionView {
    user: UserView,
    /// Send this in `x-csrf-token` with every POST, PATCH and DELETE made with the session.
    csrf_token: String,
}

fn cookie(state: &AppState, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie values are base62")
}

/// Logs in with email and password and sets the session cookie.
#[utoipa::path(post, path = "/auth/login", tag = "dashboard", request_body = LoginBody,
    responses((status = 200, body = SessionView), (status = 401, body = crate::http::error::ErrorBody),
        (status = 429, description = "Too many failed logins for this account or from this network", body = crate::http::error::ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    Extension(ClientIp(from)): Extension<ClientIp>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let limits = SessionLimits {
        idle: state.config.session_idle_timeout,
        absolute: state.config.session_absolute_timeout,
    };
    let logged_in =
        sessions::login(&state.service, &body.email, &body.password, limits, from).await?;
    let mut response = Json(SessionView {
        user: termin_service::users::UserView::from(logged_in.user).into(),
        csrf_token: logged_in.csrf_token,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, logged_in.secret.expose(), limits.absolute.as_secs()),
    );
    Ok(response)
}

/// Ends the dashboard session.
#[utoipa::path(post, path = "/auth/logout", tag = "dashboard",
    security(("session" = [])),
    responses((status = 204), (status = 401, body = crate::http::error::ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    DashboardSession(caller): DashboardSession,
) -> ApiResult<Response> {
    sessions::logout(&state.service, &caller).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(response)
}

/// The logged-in user and the session's CSRF token.
#[utoipa::path(get, path = "/auth/session", tag = "dashboard",
    security(("session" = [])),
    responses((status = 200, body = SessionView), (status = 401, body = crate::http::error::ErrorBody)))]
async fn current_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    DashboardSession(caller): DashboardSession,
) -> ApiResult<Json<SessionView>> {
    let secret = session_cookie(&headers)
        .and_then(PlainSessionSecret::from_cookie)
        .ok_or_else(|| ApiError::unauthorized("Invalid session"))?;
    let user = users::me(&state.service, &caller, None).await?;
    Ok(Json(SessionView {
        user: user.into(),
        csrf_token: secret.csrf_token(),
    }))
}
