//! Personal Access Tokens and Platform API Keys: create (secret shown once), list, revoke,
//! deactivate, reactivate.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use termin_domain::credential::{PlainApiKey, PlainPat, ScopeGroup, Scopes};
use termin_domain::{ApiKeyId, CompanyId, TokenId, UserId};
use termin_storage::api_keys::{self, ApiKeyRecord};
use termin_storage::tokens::{self, TokenRecord};
use termin_storage::{companies, Db};
use utoipa::ToSchema;

use crate::error::{ServiceError, ServiceResult};
use crate::now;

pub const MAX_API_KEY_DAYS: i64 = 90;
/// PATs may live long, but not for ever unless the user asks for no expiry at all.
pub const MAX_PAT_DAYS: i64 = 3650;

/// A credential's lifecycle state as shown in lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CredentialState {
    Active,
    Expired,
    Revoked,
    Deactivated,
}

/// A PAT as listed: never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    #[schema(value_type = String, format = Uuid)]
    pub id: TokenId,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// Scope groups the token is limited to; empty means everything its owner may do.
    pub scopes: Vec<String>,
    #[schema(value_type = String)]
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
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
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    #[schema(value_type = String, format = Uuid)]
    pub created_by: UserId,
    #[schema(value_type = String)]
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub expires_at: Timestamp,
    #[schema(value_type = Option<String>)]
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

pub fn validate_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::field("name", "must be 1 to 100 characters"));
    }
    Ok(name.to_owned())
}

pub fn parse_scopes<S: AsRef<str>>(raw: &[S]) -> ServiceResult<Scopes> {
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

fn expiry_after_days(days: i64, field: &str, max: i64) -> ServiceResult<Timestamp> {
    if !(1..=max).contains(&days) {
        return Err(ServiceError::field(
            field,
            format!("must be between 1 and {max} days"),
        ));
    }
    now()
        .checked_add(SignedDuration::from_hours(24 * days))
        .map_err(ServiceError::internal)
}

/// Creates a PAT for `user`. The plaintext is returned once and never stored.
pub async fn create_pat(
    db: &Db,
    user: UserId,
    name: &str,
    expires_in_days: Option<i64>,
    scopes: Scopes,
) -> ServiceResult<(TokenRecord, PlainPat)> {
    let name = validate_name(name)?;
    let expires_at = expires_in_days
        .map(|d| expiry_after_days(d, "expiresInDays", MAX_PAT_DAYS))
        .transpose()?;
    create_pat_expiring(db, user, &name, expires_at, scopes).await
}

/// Creates a PAT with an exact expiry instant (used by tests of expiry and by the CLI).
pub async fn create_pat_expiring(
    db: &Db,
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
        created_at: now(),
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    tokens::insert(&mut *db.conn().await?, &record, plain.hash()).await?;
    Ok((record, plain))
}

pub async fn list_pats(db: &Db, user: UserId) -> ServiceResult<Vec<TokenView>> {
    let at = now();
    Ok(tokens::list_for_user(&mut *db.conn().await?, user)
        .await?
        .into_iter()
        .map(|t| TokenView::new(t, at))
        .collect())
}

/// Revokes a PAT. With `owner`, only that user's token (dashboard); without, any (operator CLI).
pub async fn revoke_pat(db: &Db, id: TokenId, owner: Option<UserId>) -> ServiceResult<TokenView> {
    let mut conn = db.conn().await?;
    let token = tokens::find(&mut conn, id)
        .await?
        .filter(|t| owner.is_none_or(|o| o == t.user_id))
        .ok_or_else(|| ServiceError::not_found("Token not found"))?;
    let at = now();
    tokens::revoke(&mut conn, token.id, at).await?;
    let token = tokens::find(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Token not found"))?;
    Ok(TokenView::new(token, at))
}

/// Creates a Platform API Key for a company; `days` must be 1 to 90.
pub async fn create_api_key(
    db: &Db,
    company: CompanyId,
    created_by: UserId,
    name: &str,
    days: i64,
) -> ServiceResult<(ApiKeyRecord, PlainApiKey)> {
    let name = validate_name(name)?;
    let expires_at = expiry_after_days(days, "expiresInDays", MAX_API_KEY_DAYS)?;
    let mut conn = db.conn().await?;
    let plan = companies::find(&mut conn, company)
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
        created_at: now(),
        expires_at,
        last_used_at: None,
        deactivated_at: None,
        revoked_at: None,
    };
    api_keys::insert(&mut conn, &record, plain.hash()).await?;
    Ok((record, plain))
}

pub async fn list_api_keys(db: &Db, company: CompanyId) -> ServiceResult<Vec<ApiKeyView>> {
    let at = now();
    Ok(api_keys::list_for_company(&mut *db.conn().await?, company)
        .await?
        .into_iter()
        .map(|k| ApiKeyView::new(k, at))
        .collect())
}

/// What to do to an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Deactivate,
    Reactivate,
    Revoke,
}

pub async fn change_api_key(
    db: &Db,
    company: CompanyId,
    id: ApiKeyId,
    action: KeyAction,
) -> ServiceResult<ApiKeyView> {
    let mut conn = db.conn().await?;
    let key = api_keys::find(&mut conn, company, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("API key not found"))?;
    let at = now();
    match action {
        KeyAction::Revoke => {
            api_keys::revoke(&mut conn, key.id, at).await?;
        }
        KeyAction::Deactivate | KeyAction::Reactivate => {
            if key.revoked_at.is_some() {
                return Err(ServiceError::conflict(
                    "A revoked API key cannot be changed",
                ));
            }
            let when = (action == KeyAction::Deactivate).then_some(at);
            api_keys::set_deactivated(&mut conn, key.id, when).await?;
        }
    }
    let key = api_keys::find(&mut conn, company, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("API key not found"))?;
    Ok(ApiKeyView::new(key, at))
}
