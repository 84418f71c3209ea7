//! Companies (workspaces) and their owners.

use termin_domain::tenancy::{Plan, Role, UserType};
use termin_domain::CompanyId;
use termin_storage::companies::{self, CompanyRecord};
use termin_storage::users::UserRecord;
use termin_storage::{Db, StorageError};

use super::users::{insert_user, NewUser, StarterKit};
use crate::error::{ServiceError, ServiceResult};
use crate::now;

/// Creates a company together with its owner, in one transaction.
pub async fn create_company(
    db: &Db,
    name: &str,
    plan: Plan,
    owner: NewUser,
) -> ServiceResult<(CompanyRecord, UserRecord)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServiceError::field("name", "must be 1 to 200 characters"));
    }
    let at = now();
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
    let mut tx = db.begin_write().await?;
    companies::insert(&mut tx, &company).await?;
    let owner = insert_user(&mut tx, company.id, &owner, &StarterKit::default())
        .await?
        .user;
    tx.commit().await.map_err(StorageError::from)?;
    Ok((company, owner))
}

pub async fn get_company(db: &Db, id: CompanyId) -> ServiceResult<CompanyRecord> {
    companies::find(&mut *db.conn().await?, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Company not found"))
}

pub async fn set_plan(db: &Db, id: CompanyId, plan: Plan) -> ServiceResult<CompanyRecord> {
    if !companies::set_plan(&mut *db.conn().await?, id, plan, now()).await? {
        return Err(ServiceError::not_found("Company not found"));
    }
    get_company(db, id).await
}
