//! The JSON of `termin_service::credentials` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use jiff::Timestamp;
use serde::Serialize;
use termin_domain::{ApiKeyId, TokenId, UserId};
use termin_service::credentials as svc;
use utoipa::ToSchema;

/// A credential's lifecycle state as shown in lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CredentialState {
    Active,
    Expired,
    Revoked,
    Deactivated,
}

impl From<svc::CredentialState> for CredentialState {
    fn from(v: svc::CredentialState) -> Self {
        match v {
            svc::CredentialState::Active => CredentialState::Active,
            svc::CredentialState::Expired => CredentialState::Expired,
            svc::CredentialState::Revoked => CredentialState::Revoked,
            svc::CredentialState::Deactivated => CredentialState::Deactivated,
        }
    }
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
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub last_used_at: Option<Timestamp>,
    pub state: CredentialState,
}

impl From<svc::TokenView> for TokenView {
    fn from(v: svc::TokenView) -> Self {
        Self {
            id: v.id,
            name: v.name,
            prefix: v.prefix,
            scopes: v.scopes,
            created_at: v.created_at,
            expires_at: v.expires_at,
            last_used_at: v.last_used_at,
            state: v.state.into(),
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
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub expires_at: Timestamp,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub last_used_at: Option<Timestamp>,
    pub state: CredentialState,
}

impl From<svc::ApiKeyView> for ApiKeyView {
    fn from(v: svc::ApiKeyView) -> Self {
        Self {
            id: v.id,
            name: v.name,
            prefix: v.prefix,
            created_by: v.created_by,
            created_at: v.created_at,
            expires_at: v.expires_at,
            last_used_at: v.last_used_at,
            state: v.state.into(),
        }
    }
}
