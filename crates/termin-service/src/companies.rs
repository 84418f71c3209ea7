//! Companies (workspaces) and their owners.

use termin_domain::tenancy::{Plan, Role, UserType};
use termin_domain::CompanyId;
use termin_storage::companies::{self, CompanyRecord};
use termin_storage::users::UserRecord;

use super::users::{hash_new_password, insert_user, NewUser, StarterKit};
use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// Creates a company together with its owner, in one transaction.
pub async fn create_company(
    svc: &Service,
    name: &str,
    plan: Plan,
    owner: NewUser,
) -> ServiceResult<(CompanyRecord, UserRecord)> {
    let (company, owner) = prepare(svc, name, plan, owner)?;
    let password_hash = hash_new_password(&owner).await?;
    let mut tx = svc.db.begin_write().await?;
    companies::insert(&mut tx, &company).await?;
    let kit = StarterKit::default();
    let owner = insert_user(
        &mut tx,
        company.id,
        &owner,
        password_hash.as_deref(),
        &kit,
        company.created_at,
    )
    .await?
    .user;
    tx.commit().await?;
    Ok((company, owner))
}

/// A new company's record and its owner, checked, before anything is written.
pub(crate) fn prepare(
    svc: &Service,
    name: &str,
    plan: Plan,
    owner: NewUser,
) -> ServiceResult<(CompanyRecord, NewUser)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServiceError::field("name", "must be 1 to 200 characters"));
    }
    let at = svc.now();
    let company = CompanyRecord {
        id: CompanyId::new(),
        name: name.to_owned(),
        plan,
        created_at: at,
        updated_at: at,
    };
    let owner = NewUser {
        role: Role::Owner,
        user_type: UserType::Standard,
        ..owner
    };
    Ok((company, owner))
}

pub async fn get_company(svc: &Service, id: CompanyId) -> ServiceResult<CompanyRecord> {
    companies::find(&mut *svc.db.conn().await?, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Company not found"))
}

pub async fn set_plan(svc: &Service, id: CompanyId, plan: Plan) -> ServiceResult<CompanyRecord> {
    let mut tx = svc.db.begin_write().await?;
    if !companies::set_plan(&mut tx, id, plan, svc.now()).await? {
        return Err(ServiceError::not_found("Company not found"));
    }
    tx.commit().await?;
    get_company(svc, id).await
}

/// Whether the installation has no company yet (first start, `--demo`).
pub async fn none_yet(svc: &Service) -> ServiceResult<bool> {
    Ok(companies::count(&mut *svc.db.conn().await?).await? == 0)
}

/// The company's owner.
pub async fn owner(svc: &Service, company: CompanyId) -> ServiceResult<UserRecord> {
    termin_storage::users::owner_of(&mut *svc.db.conn().await?, company)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("No company {company}")))
}
