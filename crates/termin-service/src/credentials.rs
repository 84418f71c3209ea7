//! Personal Access Tokens and Platform API Keys: create (secret shown once), list, revoke,
//! deactivate, reactivate.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use termin_domain::credential::{PlainApiKey, PlainPat, ScopeGroup, Scopes};
use termin_domain::principal::{Credential, Principal};
use termin_domain::{ApiKeyId, CompanyId, TokenId, UserId};
use termin_storage::api_keys::{self, ApiKeyRecord};
use termin_storage::tokens::{self, TokenRecord};
use termin_storage::{companies, users};

use crate::error::{ServiceError, ServiceResult};
use crate::Service;

pub const MAX_API_KEY_DAYS: i64 = 90;
/// PATs may live long, but not for ever unless the user asks for no expiry at all.
pub const MAX_PAT_DAYS: i64 = 3650;

/// A credential's lifecycle state as shown in lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialState {
    Active,
    Expired,
    Revoked,
    Deactivated,
}

/// A PAT as listed: never the secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub id: TokenId,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// Scope groups the token is limited to; empty means everything its owner may do.
    pub scopes: Vec<String>,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub expires_at: Option<Timestamp>,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub last_used_at: Option<Timestamp>,
    pub state: CredentialState,
}

impl TokenView {
    pub fn new(t: TokenRecord, at: Timestamp) -> Self {
        let state = if t.revoked_at.is_some() {
            CredentialState::Revoked
        } else if t.expires_at.is_some_and(|e| e <= at) {
            CredentialState::Expired
        } else {
            CredentialState::Active
        };
        Self {
            id: t.id,
            name: t.name,
            prefix: t.hint,
            scopes: t
                .scopes
                .groups()
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            state,
        }
    }
}

/// An API key as listed: never the secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub created_by: UserId,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub expires_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub last_used_at: Option<Timestamp>,
    pub state: CredentialState,
}

impl ApiKeyView {
    pub fn new(k: ApiKeyRecord, at: Timestamp) -> Self {
        let state = if k.revoked_at.is_some() {
            CredentialState::Revoked
        } else if k.deactivated_at.is_some() {
            CredentialState::Deactivated
        } else if k.expires_at <= at {
            CredentialState::Expired
        } else {
            CredentialState::Active
        };
        Self {
            id: k.id,
            name: k.name,
            prefix: k.hint,
            created_by: k.created_by,
            created_at: k.created_at,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            state,
        }
    }
}

/// The refusal of one credential more than anyone may hold at once.
fn too_many(what: &str) -> ServiceError {
    ServiceError::LimitReached(
        format!(
            "At most {} live {what} at once; revoke one you no longer use",
            tokens::LIST_LIMIT
        )
        .into(),
    )
}

pub fn validate_name(name: &str) -> ServiceResult<String> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::field("name", "must be 1 to 100 characters"));
    }
    Ok(name.trim().to_owned())
}

pub fn parse_scopes<S: AsRef<str>>(raw: &[S]) -> ServiceResult<Scopes> {
    if raw.len() > 16 {
        return Err(ServiceError::field(
            "scopes",
            "must have at most 16 entries",
        ));
    }
    let mut groups = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let group: ScopeGroup = s
            .as_ref()
            .parse()
            .map_err(|e| ServiceError::field(&format!("scopes[{i}]"), format!("{e}")))?;
        groups.push(group);
    }
    Ok(Scopes::new(groups))
}

fn expiry_after_days(days: i64, field: &str, max: i64, at: Timestamp) -> ServiceResult<Timestamp> {
    if !(1..=max).contains(&days) {
        return Err(ServiceError::field(
            field,
            format!("must be between 1 and {max} days"),
        ));
    }
    at.checked_add(SignedDuration::from_hours(24 * days))
        .map_err(ServiceError::internal)
}

/// Creates a PAT for `user`. The plaintext is returned once and never stored.
pub async fn create_pat(
    svc: &Service,
    user: UserId,
    name: &str,
    expires_in_days: Option<i64>,
    scopes: Scopes,
) -> ServiceResult<(TokenRecord, PlainPat)> {
    let name = validate_name(name)?;
    let plan = users::plan_of(&mut *svc.db.conn().await?, user)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    if !plan.allows_personal_access_tokens() {
        return Err(ServiceError::forbidden(format!(
            "Personal access tokens require the Essentials plan or above; this workspace is on the {plan} plan"
        )));
    }
    let expires_at = expires_in_days
        .map(|d| expiry_after_days(d, "expiresInDays", MAX_PAT_DAYS, svc.now()))
        .transpose()?;
    create_pat_expiring(svc, user, &name, expires_at, scopes).await
}

/// Creates a PAT with an exact expiry instant (used by tests of expiry and by the CLI).
pub async fn create_pat_expiring(
    svc: &Service,
    user: UserId,
    name: &str,
    expires_at: Option<Timestamp>,
    scopes: Scopes,
) -> ServiceResult<(TokenRecord, PlainPat)> {
    let plain = PlainPat::generate();
    let record = TokenRecord {
        id: TokenId::new(),
        user_id: user,
        name: name.to_owned(),
        hint: plain.hint(),
        scopes,
        created_at: svc.now(),
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    let mut tx = svc.db.begin_write().await?;
    if tokens::count_live_for_user(&mut tx, user, record.created_at).await? >= tokens::LIST_LIMIT {
        return Err(too_many("personal access tokens"));
    }
    tokens::insert(&mut tx, &record, plain.hash()).await?;
    tx.commit().await?;
    Ok((record, plain))
}

pub async fn list_pats(svc: &Service, user: UserId) -> ServiceResult<Vec<TokenView>> {
    let at = svc.now();
    Ok(tokens::list_for_user(&mut *svc.db.conn().await?, user, at)
        .await?
        .into_iter()
        .map(|t| TokenView::new(t, at))
        .collect())
}

/// Revokes a PAT. With `owner`, only that user's token (dashboard); without, any (operator CLI).
pub async fn revoke_pat(
    svc: &Service,
    id: TokenId,
    owner: Option<UserId>,
) -> ServiceResult<TokenView> {
    let mut tx = svc.db.begin_write().await?;
    let token = tokens::find(&mut tx, id)
        .await?
        .filter(|t| owner.is_none_or(|o| o == t.user_id))
        .ok_or_else(|| ServiceError::not_found("Token not found"))?;
    let at = svc.now();
    tokens::revoke(&mut tx, token.id, at).await?;
    let token = tokens::find(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Token not found"))?;
    tx.commit().await?;
    Ok(TokenView::new(token, at))
}

/// Creates a Platform API Key for a company; `days` must be 1 to 90.
pub async fn create_api_key(
    svc: &Service,
    company: CompanyId,
    created_by: UserId,
    name: &str,
    days: i64,
) -> ServiceResult<(ApiKeyRecord, PlainApiKey)> {
    let name = validate_name(name)?;
    let expires_at = expiry_after_days(days, "expiresInDays", MAX_API_KEY_DAYS, svc.now())?;
    let mut tx = svc.db.begin_write().await?;
    let plan = companies::find(&mut tx, company)
        .await?
        .ok_or_else(|| ServiceError::not_found("Company not found"))?
        .plan;
    if !plan.allows_api_keys() {
        return Err(ServiceError::forbidden(format!(
            "Platform API Keys require the Enterprise or Platform plan; this workspace is on the {plan} plan"
        )));
    }
    let id = ApiKeyId::new();
    let plain = PlainApiKey::generate(id);
    let record = ApiKeyRecord {
        id,
        company_id: company,
        created_by,
        name,
        hint: plain.hint(),
        created_at: svc.now(),
        expires_at,
        last_used_at: None,
        deactivated_at: None,
        revoked_at: None,
    };
    if api_keys::count_live_for_company(&mut tx, company, record.created_at).await?
        >= tokens::LIST_LIMIT
    {
        return Err(too_many("API keys"));
    }
    api_keys::insert(&mut tx, &record, plain.hash()).await?;
    tx.commit().await?;
    Ok((record, plain))
}

pub async fn list_api_keys(svc: &Service, company: CompanyId) -> ServiceResult<Vec<ApiKeyView>> {
    let at = svc.now();
    Ok(
        api_keys::list_for_company(&mut *svc.db.conn().await?, company, at)
            .await?
            .into_iter()
            .map(|k| ApiKeyView::new(k, at))
            .collect(),
    )
}

/// What to do to an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Deactivate,
    Reactivate,
    Revoke,
}

pub async fn change_api_key(
    svc: &Service,
    company: CompanyId,
    id: ApiKeyId,
    action: KeyAction,
) -> ServiceResult<ApiKeyView> {
    let mut tx = svc.db.begin_write().await?;
    let key = api_keys::find(&mut tx, company, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("API key not found"))?;
    let at = svc.now();
    match action {
        KeyAction::Revoke => {
            api_keys::revoke(&mut tx, key.id, at).await?;
        }
        KeyAction::Deactivate | KeyAction::Reactivate => {
            if key.revoked_at.is_some() {
                return Err(ServiceError::conflict(
                    "A revoked API key cannot be changed",
                ));
            }
            let when = (action == KeyAction::Deactivate).then_some(at);
            api_keys::set_deactivated(&mut tx, key.id, when).await?;
        }
    }
    let key = api_keys::find(&mut tx, company, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("API key not found"))?;
    tx.commit().await?;
    Ok(ApiKeyView::new(key, at))
}

/// Credentials are managed only from a dashboard session: a token or key can never create,
/// list or revoke credentials (the seed's rule).
fn require_session(caller: &Principal) -> ServiceResult<()> {
    match caller.credential {
        Credential::Session { .. } => Ok(()),
        _ => Err(ServiceError::forbidden(
            "This endpoint is only available from a dashboard session, not with a token or API key",
        )),
    }
}

/// The caller's own PATs (never their secrets).
pub async fn my_tokens(svc: &Service, caller: &Principal) -> ServiceResult<Vec<TokenView>> {
    require_session(caller)?;
    list_pats(svc, caller.user_id).await
}

/// A new PAT for the caller; the secret is in the answer once.
pub async fn create_my_token(
    svc: &Service,
    caller: &Principal,
    name: &str,
    expires_in_days: Option<i64>,
    scopes: &[String],
) -> ServiceResult<(TokenView, PlainPat)> {
    require_session(caller)?;
    let scopes = parse_scopes(scopes)?;
    let (record, plain) = create_pat(svc, caller.user_id, name, expires_in_days, scopes).await?;
    Ok((TokenView::new(record, svc.now()), plain))
}

/// Revokes one of the caller's PATs; it stops working with the next request.
pub async fn revoke_my_token(
    svc: &Service,
    caller: &Principal,
    id: TokenId,
) -> ServiceResult<TokenView> {
    require_session(caller)?;
    revoke_pat(svc, id, Some(caller.user_id)).await
}

/// The company's API keys (owners and admins).
pub async fn company_api_keys(svc: &Service, caller: &Principal) -> ServiceResult<Vec<ApiKeyView>> {
    require_session(caller)?;
    caller.require_admin()?;
    list_api_keys(svc, caller.company_id).await
}

/// A new Platform API Key of the caller's company (owners and admins); the secret is in the
/// answer once.
pub async fn create_company_api_key(
    svc: &Service,
    caller: &Principal,
    name: &str,
    expires_in_days: Option<i64>,
) -> ServiceResult<(ApiKeyView, PlainApiKey)> {
    require_session(caller)?;
    caller.require_admin()?;
    let days = expires_in_days.ok_or_else(|| {
        ServiceError::field(
            "expiresInDays",
            format!("is required (1 to {MAX_API_KEY_DAYS} days)"),
        )
    })?;
    let (record, plain) =
        create_api_key(svc, caller.company_id, caller.user_id, name, days).await?;
    Ok((ApiKeyView::new(record, svc.now()), plain))
}

/// Revokes, deactivates or reactivates one of the company's API keys (owners and admins).
pub async fn change_company_api_key(
    svc: &Service,
    caller: &Principal,
    id: ApiKeyId,
    action: KeyAction,
) -> ServiceResult<ApiKeyView> {
    require_session(caller)?;
    caller.require_admin()?;
    change_api_key(svc, caller.company_id, id, action).await
}
