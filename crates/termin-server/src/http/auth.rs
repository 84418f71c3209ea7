//! Extractors that give a handler its caller. Which one a handler takes is its authentication
//! rule, visible in its signature:
//!
//! - [`Caller`]: any credential; an API key must name the acting user in the header.
//! - [`CallerOrOwner`]: any credential; an API key without the header acts as the company owner
//!   (the contract lists these routes: `/v4/user...`, GDPR, `/webhooks`).
//! - [`DashboardSession`]: a dashboard session cookie only; a bearer credential gets 403.

use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use termin_domain::principal::{Credential, Principal};

use crate::http::cookie::session_cookie;
use crate::http::error::ApiError;
use crate::state::AppState;
use termin_service::authenticate::{
    authenticate, ActingUserRule, Authenticated, Presented, SessionLimits,
};
use termin_service::{PooledConnection, UserRecord};

pub const ACTING_USER_HEADER: &str = "x-meetergo-api-user-id";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Reads the credential material of a request without judging it.
pub fn presented<'a>(headers: &'a HeaderMap, method: &Method) -> Result<Presented<'a>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("Invalid authorization header"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("Invalid authorization header: expected 'Bearer <token>'")
            })?;
        return Ok(Presented::Bearer(token));
    }
    if let Some(cookie) = session_cookie(headers) {
        let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        return Ok(Presented::Session {
            cookie,
            csrf,
            unsafe_method,
        });
    }
    Ok(Presented::Nothing)
}

/// The acting user's record, when authentication already read it (PATs and API keys); handlers
/// take it as `Option<Extension<ActingUserRecord>>` after their caller extractor.
#[derive(Clone, Debug)]
pub struct ActingUserRecord(pub UserRecord);

/// A caller another door already authenticated (the MCP door, which hands a tool's request to
/// the route in-process): the route takes it instead of reading the credential again. Only code
/// in this process can put it on a request.
#[derive(Clone, Debug)]
pub struct Preauthenticated {
    pub principal: Principal,
    /// The acting user's record (PATs and API keys).
    pub user: Option<UserRecord>,
    /// An API key without `x-meetergo-api-user-id`, acting as the company owner: only routes
    /// that allow that (`CallerOrOwner`) take it.
    pub as_owner: bool,
}

/// Authenticates a Bearer credential for another door (MCP) and charges its rate limit, as a
/// route's extractor would; a session cookie is not enough (another site could send it). An API
/// key without the acting-user header is taken as the owner here; `Caller` routes then refuse it
/// exactly as they refuse it from a REST client. Also answers the connection authentication
/// read with, which the door may lend to the route (see [`LentConnection`]).
pub async fn preauthenticate(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Preauthenticated, PooledConnection), ApiError> {
    if !matches!(
        presented(&parts.headers, &parts.method)?,
        Presented::Bearer(_)
    ) {
        return Err(ApiError::unauthorized(
            "Missing authorization header: send a personal access token, an API key or an OAuth access token as 'Bearer <token>'",
        ));
    }
    let a = any_door(parts, state, true).await?;
    crate::http::rate_limit::charge(parts, state, &a.principal)?;
    let as_owner = matches!(a.principal.credential, Credential::ApiKey { .. })
        && !parts.headers.contains_key(ACTING_USER_HEADER);
    let pre = Preauthenticated {
        principal: a.principal,
        user: a.user,
        as_owner,
    };
    Ok((pre, a.conn))
}

/// The connection a door's authentication read with, lent to the route it hands the request to
/// in-process: [`ConnectedCaller`] goes on with it instead of borrowing another (returning each
/// one to the pool costs a round trip to the database). Every other caller extractor gives it
/// back first, so a request never holds two. Like [`Preauthenticated`], only code in this
/// process can put it on a request.
#[derive(Clone)]
pub struct LentConnection(Arc<Mutex<Option<PooledConnection>>>);

impl LentConnection {
    pub fn new(conn: PooledConnection) -> Self {
        Self(Arc::new(Mutex::new(Some(conn))))
    }

    fn take(self) -> Option<PooledConnection> {
        self.0.lock().ok()?.take()
    }
}

/// The caller a request already carries (see [`Preauthenticated`]), judged by the route's rule,
/// with the connection lent along with it (taken off the request).
fn carried(
    parts: &mut Parts,
    owner_fallback: bool,
) -> Option<Result<(Preauthenticated, Option<PooledConnection>), ApiError>> {
    let lent = parts
        .extensions
        .remove::<LentConnection>()
        .and_then(LentConnection::take);
    let pre = parts.extensions.get::<Preauthenticated>()?;
    if pre.as_owner && !owner_fallback {
        return Some(Err(
            termin_domain::principal::ActingUserError::MissingHeader.into(),
        ));
    }
    Some(Ok((pre.clone(), lent)))
}

async fn principal(
    parts: &mut Parts,
    state: &AppState,
    owner_fallback: bool,
) -> Result<Principal, ApiError> {
    if let Some(pre) = carried(parts, owner_fallback) {
        // A lent connection goes back to the pool here, as below.
        let (pre, _lent) = pre?;
        if let Some(user) = pre.user {
            parts.extensions.insert(ActingUserRecord(user));
        }
        return Ok(pre.principal);
    }
    let a = authenticated(parts, state, owner_fallback).await?;
    crate::http::rate_limit::charge(parts, state, &a.principal)?;
    if let Some(user) = a.user {
        parts.extensions.insert(ActingUserRecord(user));
    }
    // `a.conn` goes back to the pool here: most routes read a body or write next.
    Ok(a.principal)
}

/// Authenticates for a REST route: an OAuth access token is for `/mcp` only.
async fn authenticated(
    parts: &mut Parts,
    state: &AppState,
    owner_fallback: bool,
) -> Result<Authenticated, ApiError> {
    let a = any_door(parts, state, owner_fallback).await?;
    if a.mcp_only {
        return Err(ApiError::unauthorized(
            "This access token was issued to an app for /mcp; the REST API takes a personal access token or an API key",
        ));
    }
    Ok(a)
}

async fn any_door(
    parts: &mut Parts,
    state: &AppState,
    owner_fallback: bool,
) -> Result<Authenticated, ApiError> {
    let presented = presented(&parts.headers, &parts.method)?;
    let acting = parts
        .headers
        .get(ACTING_USER_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let authenticated = authenticate(
        &state.service,
        presented,
        acting,
        ActingUserRule { owner_fallback },
        SessionLimits {
            idle: state.config.session_idle_timeout,
            absolute: state.config.session_absolute_timeout,
        },
    )
    .await?;
    Ok(authenticated)
}

/// The authenticated caller of a route where an API key must name the acting user.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        principal(parts, state, false).await.map(Caller)
    }
}

/// [`Caller`], plus the database connection authentication used, for read-only `GET` routes
/// that go on reading: they save borrowing a second connection, and the round trip to the
/// database that returning each one to the pool costs. Take it only in routes without a body
/// (the connection would be held while the body arrives) and that borrow no other connection
/// (holding one while waiting for another can exhaust the pool).
pub struct ConnectedCaller {
    pub caller: Principal,
    /// The acting user's record, when authentication read it (PATs and API keys).
    pub user: Option<UserRecord>,
    pub conn: PooledConnection,
}

impl FromRequestParts<AppState> for ConnectedCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(pre) = carried(parts, false) {
            let (pre, lent) = pre?;
            let conn = match lent {
                Some(conn) => conn,
                None => state
                    .service
                    .db
                    .conn()
                    .await
                    .map_err(|e| ApiError::from(termin_service::ServiceError::from(e)))?,
            };
            return Ok(ConnectedCaller {
                caller: pre.principal,
                user: pre.user,
                conn,
            });
        }
        let a = authenticated(parts, state, false).await?;
        crate::http::rate_limit::charge(parts, state, &a.principal)?;
        Ok(ConnectedCaller {
            caller: a.principal,
            user: a.user,
            conn: a.conn,
        })
    }
}

/// The authenticated caller of a route where an API key without the header acts as the owner.
pub struct CallerOrOwner(pub Principal);

impl FromRequestParts<AppState> for CallerOrOwner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        principal(parts, state, true).await.map(CallerOrOwner)
    }
}

/// A logged-in dashboard user. Credential management lives behind this: a PAT or API key can
/// never create, list or revoke credentials.
pub struct DashboardSession(pub Principal);

impl FromRequestParts<AppState> for DashboardSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Presented::Bearer(_) = presented(&parts.headers, &parts.method)? {
            return Err(ApiError::forbidden(
                "This endpoint is only available from a dashboard session, not with a token or API key",
            ));
        }
        let p = principal(parts, state, false).await?;
        debug_assert!(matches!(p.credential, Credential::Session { .. }));
        Ok(DashboardSession(p))
    }
}
