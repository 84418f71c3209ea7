//! Turns what a request presented (a bearer credential or a session cookie, plus the optional
//! `x-meetergo-api-user-id` header) into a [`Principal`]. Every check reads the database, so a
//! revocation, expiry, removal, deactivation or plan change holds from the very next request on
//! every node: there is no cache to outlive it.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use termin_domain::credential::{
    BearerCredential, FormatError, PlainSessionSecret, API_KEY_PREFIX,
};
use termin_domain::principal::{
    resolve_acting_user, ActingUser, ActingUserError, Credential, Principal,
};
use termin_domain::{ApiKeyId, SessionId, TokenId, UserId};
use termin_storage::{api_keys, sessions, tokens, users, PooledConnection};

use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// Who a request acts as, and (where authentication read it anyway) the acting user's record,
/// so that a handler that needs it does not read it again.
#[derive(Debug)]
pub struct Authenticated {
    pub principal: Principal,
    pub user: Option<users::UserRecord>,
    /// The connection authentication read with; a read-only route may go on with it instead of
    /// borrowing a second one (each borrow ends in a round trip to the database).
    pub conn: PooledConnection,
    /// An OAuth access token, whose resource is `/mcp` (RFC 8707): the MCP door takes it, the
    /// REST API refuses it.
    pub mcp_only: bool,
}

/// The credential material of a request.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    Bearer(&'a str),
    Session {
        cookie: &'a str,
        /// The `x-csrf-token` header, required on unsafe methods.
        csrf: Option<&'a str>,
        unsafe_method: bool,
    },
    Nothing,
}

/// How a route treats the acting-user header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActingUserRule {
    /// An API key without the header acts as the company owner on this route.
    pub owner_fallback: bool,
}

/// Session lifetime limits.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

fn stale(last: Option<Timestamp>, at: Timestamp) -> bool {
    last.is_none_or(|l| at.duration_since(l) >= SignedDuration::from_secs(60))
}

pub async fn authenticate(
    svc: &Service,
    presented: Presented<'_>,
    acting_header: Option<&str>,
    rule: ActingUserRule,
    limits: SessionLimits,
) -> ServiceResult<Authenticated> {
    match presented {
        Presented::Nothing => Err(ServiceError::unauthorized("Missing authorization header")),
        Presented::Bearer(raw) => bearer(svc, raw, acting_header, rule).await,
        Presented::Session {
            cookie,
            csrf,
            unsafe_method,
        } => {
            session(
                svc,
                cookie,
                csrf,
                unsafe_method,
                acting_header,
                rule,
                limits,
            )
            .await
        }
    }
}

async fn bearer(
    svc: &Service,
    raw: &str,
    acting_header: Option<&str>,
    rule: ActingUserRule,
) -> ServiceResult<Authenticated> {
    // Format and checksum first: a mistyped or random string never reaches the database.
    let credential = BearerCredential::parse(raw).map_err(|e| {
        ServiceError::unauthorized(match e {
            _ if raw.starts_with(API_KEY_PREFIX) => "Invalid API key",
            FormatError::UnknownFormat => "Invalid authorization token",
            FormatError::Malformed | FormatError::Checksum => "Invalid personal access token",
        })
    })?;
    let at = svc.now();
    let mut conn = svc.db.conn().await?;
    match credential {
        BearerCredential::Pat(pat) => {
            let found = tokens::find_for_auth(&mut conn, pat.hash())
                .await?
                .ok_or_else(|| ServiceError::unauthorized("Invalid personal access token"))?;
            let t = &found.token;
            if t.revoked_at.is_some() {
                return Err(ServiceError::unauthorized(
                    "Personal access token has been revoked",
                ));
            }
            if t.expires_at.is_some_and(|e| e <= at) {
                return Err(ServiceError::unauthorized(
                    "Personal access token has expired",
                ));
            }
            if found.user_removed {
                return Err(ServiceError::unauthorized(
                    "The token's owner is no longer a member of this workspace",
                ));
            }
            if found.user_deactivated {
                return Err(ServiceError::unauthorized(
                    "The token's owner has been deactivated",
                ));
            }
            if !found.plan.allows_personal_access_tokens() {
                return Err(ServiceError::unauthorized(format!(
                    "Personal access tokens require the Essentials plan or above; this workspace is on the {} plan",
                    found.plan
                )));
            }
            // The header may only name the owner; the acting user is always the owner.
            resolve_acting_user(Some(t.user_id), acting_header, rule.owner_fallback)?;
            if stale(t.last_used_at, at) {
                conn = record_use(svc, conn, Use::Pat(t.id), at).await?;
            }
            let principal = Principal {
                user_id: t.user_id,
                company_id: found.company_id,
                role: found.role,
                credential: Credential::Pat {
                    id: t.id,
                    scopes: t.scopes.clone(),
                },
            };
            Ok(Authenticated {
                principal,
                mcp_only: found.for_mcp,
                user: Some(found.user),
                conn,
            })
        }
        BearerCredential::ApiKey(key) => {
            let found = api_keys::find_for_auth(&mut conn, key.id())
                .await?
                .filter(|f| key.hash().matches_hex(&f.key_hash_hex))
                .ok_or_else(|| ServiceError::unauthorized("Invalid API key"))?;
            let k = &found.key;
            if k.revoked_at.is_some() {
                return Err(ServiceError::unauthorized("API key has been revoked"));
            }
            if k.deactivated_at.is_some() {
                return Err(ServiceError::unauthorized("API key has been deactivated"));
            }
            if k.expires_at <= at {
                return Err(ServiceError::unauthorized("API key has expired"));
            }
            if !found.plan.allows_api_keys() {
                return Err(ServiceError::unauthorized(format!(
                    "Platform API Keys require the Enterprise or Platform plan; this workspace is on the {} plan",
                    found.plan
                )));
            }
            let acting = match resolve_acting_user(None, acting_header, rule.owner_fallback)? {
                ActingUser::Named(id) => named_user(&mut conn, k.company_id, id).await?,
                ActingUser::CompanyOwner | ActingUser::CredentialOwner => {
                    users::owner_of(&mut conn, k.company_id)
                        .await?
                        .ok_or_else(|| ServiceError::internal("company without an owner"))?
                }
            };
            if stale(k.last_used_at, at) {
                conn = record_use(svc, conn, Use::ApiKey(k.id), at).await?;
            }
            Ok(Authenticated {
                principal: Principal {
                    user_id: acting.id,
                    company_id: acting.company_id,
                    role: acting.role,
                    credential: Credential::ApiKey { id: k.id },
                },
                user: Some(acting),
                conn,
                mcp_only: false,
            })
        }
    }
}

/// A credential whose use is recorded.
enum Use {
    Pat(TokenId),
    ApiKey(ApiKeyId),
    Session(SessionId),
}

/// Records a credential's use (at most once a minute) in a write transaction of its own, and
/// hands back a read connection. The request's read connection goes back to the pool first:
/// waiting for a writer's turn while holding it lets a burst of requests exhaust the pool.
async fn record_use(
    svc: &Service,
    conn: PooledConnection,
    credential: Use,
    at: Timestamp,
) -> ServiceResult<PooledConnection> {
    drop(conn);
    let mut tx = svc.db.begin_write().await?;
    match credential {
        Use::Pat(id) => tokens::touch(&mut tx, id, at).await?,
        Use::ApiKey(id) => api_keys::touch(&mut tx, id, at).await?,
        Use::Session(id) => sessions::touch(&mut tx, id, at).await?,
    }
    tx.commit().await?;
    Ok(svc.db.conn().await?)
}

/// The user an API key's header names: 404 if unknown or removed, 403 if of another company or
/// deactivated.
async fn named_user(
    conn: &mut termin_storage::Connection,
    company: termin_domain::CompanyId,
    id: UserId,
) -> ServiceResult<users::UserRecord> {
    let user = users::find_any(conn, id)
        .await?
        .filter(|u| u.removed_at.is_none())
        .ok_or_else(|| {
            ServiceError::not_found("The user named in x-meetergo-api-user-id was not found")
        })?;
    if user.company_id != company {
        return Err(ServiceError::forbidden(
            "The user named in x-meetergo-api-user-id belongs to another company",
        ));
    }
    if user.deactivated_at.is_some() {
        return Err(ServiceError::forbidden(
            "The user named in x-meetergo-api-user-id is deactivated",
        ));
    }
    Ok(user)
}

async fn session(
    svc: &Service,
    cookie: &str,
    csrf: Option<&str>,
    unsafe_method: bool,
    acting_header: Option<&str>,
    rule: ActingUserRule,
    limits: SessionLimits,
) -> ServiceResult<Authenticated> {
    let secret = PlainSessionSecret::from_cookie(cookie)
        .ok_or_else(|| ServiceError::unauthorized("Invalid session"))?;
    let at = svc.now();
    let mut conn = svc.db.conn().await?;
    let found = sessions::find_for_auth(&mut conn, secret.hash())
        .await?
        .ok_or_else(|| ServiceError::unauthorized("Session has expired or was ended"))?;
    let idle = SignedDuration::try_from(limits.idle).map_err(ServiceError::internal)?;
    if found.expires_at <= at || at.duration_since(found.last_seen_at) >= idle || !found.user_active
    {
        drop(conn);
        let mut tx = svc.db.begin_write().await?;
        sessions::delete(&mut tx, found.id).await?;
        tx.commit().await?;
        return Err(ServiceError::unauthorized(
            "Session has expired or was ended",
        ));
    }
    if unsafe_method {
        let ok = csrf.is_some_and(|c| secret.csrf_matches(c));
        if !ok {
            return Err(ServiceError::forbidden(
                "Missing or invalid x-csrf-token header for this dashboard session",
            ));
        }
    }
    if stale(Some(found.last_seen_at), at) {
        conn = record_use(svc, conn, Use::Session(found.id), at).await?;
    }
    resolve_acting_user(Some(found.user_id), acting_header, rule.owner_fallback).map_err(
        |e| match e {
            ActingUserError::Impersonation => ServiceError::forbidden(
                "A dashboard session acts as its logged-in user; x-meetergo-api-user-id may only name that user",
            ),
            other => other.into(),
        },
    )?;
    Ok(Authenticated {
        principal: Principal {
            user_id: found.user_id,
            company_id: found.company_id,
            role: found.role,
            credential: Credential::Session { id: found.id },
        },
        user: None,
        conn,
        mcp_only: false,
    })
}
