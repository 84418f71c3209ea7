//! Who an API call acts as, and the rules every credential kind obeys. The server resolves a
//! credential to a [`Principal`] and then asks it questions; the answers live here, once.

use std::str::FromStr;

use crate::credential::{ScopeGroup, Scopes};
use crate::ids::{ApiKeyId, CompanyId, SessionId, TokenId, UserId};
use crate::tenancy::Role;

/// The credential a request arrived with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Pat {
        id: TokenId,
        scopes: Scopes,
    },
    ApiKey {
        id: ApiKeyId,
    },
    Session {
        id: SessionId,
    },
    /// Nobody signed in: a visitor of a host's public pages. The public pages' use cases act
    /// for the host with this, and it reaches nothing but scheduling.
    Visitor,
}

/// The caller of a request once authenticated: the acting user, their company and role, and
/// the credential used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub company_id: CompanyId,
    pub role: Role,
    pub credential: Credential,
}

/// A rule a principal failed. The server turns it into a 403 with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }

    /// A scope-limited PAT may only reach routes of its groups; other credentials are not limited.
    pub fn require_scope(&self, group: ScopeGroup) -> Result<(), Denied> {
        match &self.credential {
            Credential::Pat { scopes, .. } if !scopes.allows(group) => {
                Err(Denied("This token is not allowed to access this resource"))
            }
            Credential::Visitor if group != ScopeGroup::Scheduling => {
                Err(Denied("A visitor may only book"))
            }
            _ => Ok(()),
        }
    }

    /// Routes outside every scope group (e.g. the company's user list) need an unlimited PAT.
    pub fn require_unlimited(&self) -> Result<(), Denied> {
        match &self.credential {
            Credential::Pat { scopes, .. } if !scopes.is_unlimited() => {
                Err(Denied("This token is not allowed to access this resource"))
            }
            Credential::Visitor => Err(Denied("A visitor may only book")),
            _ => Ok(()),
        }
    }

    pub fn require_admin(&self) -> Result<(), Denied> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Denied("Only an owner or admin may do this"))
        }
    }

    /// Creating, updating and deleting users: a Platform API Key, or an admin's dashboard
    /// session. Never a PAT, whatever its owner's role.
    pub fn require_user_lifecycle(&self) -> Result<(), Denied> {
        match self.credential {
            Credential::ApiKey { .. } => Ok(()),
            Credential::Session { .. } => self.require_admin(),
            Credential::Visitor => Err(Denied("A visitor may only book")),
            Credential::Pat { .. } => Err(Denied(
                "Managing users requires a Platform API Key; a personal access token cannot do this",
            )),
        }
    }

    /// A GDPR export of everything the company holds about a person: a Platform API Key, or an
    /// admin's dashboard session. Never a PAT, whatever its owner's role (the seed's rule).
    pub fn require_data_export(&self) -> Result<(), Denied> {
        match self.credential {
            Credential::ApiKey { .. } => Ok(()),
            Credential::Session { .. } => self.require_admin(),
            Credential::Pat { .. } => Err(Denied(
                "A GDPR export requires a Platform API Key; a personal access token cannot do this",
            )),
            Credential::Visitor => Err(Denied("A visitor may only book")),
        }
    }

    /// May this principal read or act on data owned by `owner`? Admins reach their whole
    /// company; members only their own.
    pub fn may_access_user(&self, owner: UserId) -> bool {
        self.user_id == owner || self.is_admin()
    }
}

/// What the `x-meetergo-api-user-id` header (or its absence) means for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActingUser {
    /// The credential's own user (PAT owner, session user).
    CredentialOwner,
    /// The company's owner: an API key without the header, on routes that allow it.
    CompanyOwner,
    /// The user named by an API key's header; the server checks that they exist in the company.
    Named(UserId),
}

/// Why the header cannot be honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ActingUserError {
    #[error("A personal access token always acts as its owner; x-meetergo-api-user-id may only name the token's owner")]
    Impersonation,
    #[error("Missing required header 'x-meetergo-api-user-id' for API key authentication")]
    MissingHeader,
    #[error("x-meetergo-api-user-id must be a valid UUID")]
    MalformedHeader,
}

/// Decides who a request acts as, before any lookup of the named user.
///
/// `credential_user` is the PAT's or session's user (`None` for an API key);
/// `owner_fallback` says whether the route lets an API key without the header act as the owner.
pub fn resolve_acting_user(
    credential_user: Option<UserId>,
    header: Option<&str>,
    owner_fallback: bool,
) -> Result<ActingUser, ActingUserError> {
    let named = header
        .map(|h| UserId::from_str(h.trim()).map_err(|_| ActingUserError::MalformedHeader))
        .transpose()?;
    match (credential_user, named) {
        (Some(_), None) => Ok(ActingUser::CredentialOwner),
        (Some(own), Some(named)) if named == own => Ok(ActingUser::CredentialOwner),
        (Some(_), Some(_)) => Err(ActingUserError::Impersonation),
        (None, Some(named)) => Ok(ActingUser::Named(named)),
        (None, None) if owner_fallback => Ok(ActingUser::CompanyOwner),
        (None, None) => Err(ActingUserError::MissingHeader),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, credential: Credential) -> Principal {
        Principal {
            user_id: UserId::new(),
            company_id: CompanyId::new(),
            role,
            credential,
        }
    }

    fn pat(scopes: Scopes) -> Credential {
        Credential::Pat {
            id: TokenId::new(),
            scopes,
        }
    }

    #[test]
    fn a_pat_acts_as_its_owner_and_never_impersonates() {
        let me = UserId::new();
        let other = UserId::new().to_string();
        assert_eq!(
            resolve_acting_user(Some(me), None, false),
            Ok(ActingUser::CredentialOwner)
        );
        assert_eq!(
            resolve_acting_user(Some(me), Some(&me.to_string()), false),
            Ok(ActingUser::CredentialOwner)
        );
        assert_eq!(
            resolve_acting_user(Some(me), Some(&other), true),
            Err(ActingUserError::Impersonation)
        );
        assert_eq!(
            resolve_acting_user(Some(me), Some("nope"), false),
            Err(ActingUserError::MalformedHeader)
        );
    }

    #[test]
    fn an_api_key_acts_as_the_named_user_or_the_owner_where_allowed() {
        let named = UserId::new();
        assert_eq!(
            resolve_acting_user(None, Some(&named.to_string()), false),
            Ok(ActingUser::Named(named))
        );
        assert_eq!(
            resolve_acting_user(None, None, true),
            Ok(ActingUser::CompanyOwner)
        );
        let missing = resolve_acting_user(None, None, false).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "Missing required header 'x-meetergo-api-user-id' for API key authentication"
        );
    }

    #[test]
    fn user_lifecycle_is_for_api_keys_and_admin_sessions_only() {
        let owner_pat = principal(Role::Owner, pat(Scopes::unlimited()));
        assert!(owner_pat.require_user_lifecycle().is_err());
        let key = principal(
            Role::Member,
            Credential::ApiKey {
                id: ApiKeyId::new(),
            },
        );
        assert!(key.require_user_lifecycle().is_ok());
        let session = |role| {
            principal(
                role,
                Credential::Session {
                    id: SessionId::new(),
                },
            )
        };
        assert!(session(Role::Admin).require_user_lifecycle().is_ok());
        assert!(session(Role::Member).require_user_lifecycle().is_err());
    }

    #[test]
    fn scope_limited_pats_reach_only_their_groups() {
        let limited = principal(Role::Admin, pat(Scopes::new([ScopeGroup::Contacts])));
        assert!(limited.require_scope(ScopeGroup::Contacts).is_ok());
        assert!(limited.require_scope(ScopeGroup::Account).is_err());
        assert!(limited.require_unlimited().is_err());
        let full = principal(Role::Member, pat(Scopes::unlimited()));
        assert!(full.require_scope(ScopeGroup::Account).is_ok());
        assert!(full.require_unlimited().is_ok());
    }

    #[test]
    fn members_reach_only_their_own_data() {
        let member = principal(Role::Member, pat(Scopes::unlimited()));
        assert!(member.may_access_user(member.user_id));
        assert!(!member.may_access_user(UserId::new()));
        let admin = principal(Role::Admin, pat(Scopes::unlimited()));
        assert!(admin.may_access_user(UserId::new()));
    }
}
