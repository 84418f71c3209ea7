//! Users of a company: create, read, update, remove, deactivate.

use jiff::Timestamp;
use serde::Serialize;
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::{Credential, Principal};
use termin_domain::tenancy::{Role, UserType};
use termin_domain::validate::{Email, Language, PersonName, Slug, TimeZoneName};
use termin_domain::{AvailabilityId, CompanyId, MeetingTypeId, UserId};
use termin_storage::users::{self, UserRecord};
use termin_storage::Tx;
use termin_storage::{sessions, Connection};

use super::availability::{self, AvailabilityInput};
use super::meeting_types::{self, MeetingTypeInput};
use super::passwords;
use crate::error::{ServiceError, ServiceResult, Validator, SLUG_TAKEN};
use crate::events;
use crate::Service;
use termin_domain::limits::MAX_PAGE_SIZE;
use termin_domain::webhook::EventType;

/// The user object of the API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub full_name: String,
    pub slug: String,
    pub timezone: String,
    pub language: String,
    pub role: Role,
    pub is_admin: bool,
    pub user_type: UserType,
    pub company_id: CompanyId,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: jiff::Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub updated_at: jiff::Timestamp,
    /// Not part of the API's user (nor of webhook events); the dashboard shows it.
    #[serde(skip)]
    pub deactivated: bool,
}

impl From<UserRecord> for UserView {
    fn from(u: UserRecord) -> Self {
        let full_name = u.full_name();
        Self {
            id: u.id,
            email: u.email,
            given_name: u.given_name,
            family_name: u.family_name,
            full_name,
            slug: u.slug,
            timezone: u.timezone,
            language: u.language,
            role: u.role,
            is_admin: u.role.is_admin(),
            user_type: u.user_type,
            company_id: u.company_id,
            created_at: u.created_at,
            updated_at: u.updated_at,
            deactivated: u.deactivated_at.is_some(),
        }
    }
}

/// A validated new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub timezone: TimeZoneName,
    pub language: Language,
    pub role: Role,
    pub user_type: UserType,
    pub password: Option<String>,
}

/// What a new user starts with besides their profile: a default availability and a default
/// meeting type, each shaped by the optional inputs.
#[derive(Debug, Clone, Default)]
pub struct StarterKit {
    pub availability: AvailabilityInput,
    pub meeting_type: MeetingTypeInput,
}

/// The ids of what [`insert_user`] created.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub user: UserRecord,
    pub availability_id: AvailabilityId,
    pub meeting_type_id: MeetingTypeId,
    pub meeting_type_slug: String,
}

/// Inserts a user inside the caller's transaction, choosing a free slug from the name, with a
/// default availability (Mon-Fri 09:00-17:00 in the user's zone unless given) and a default
/// 30-minute meeting type.
/// Checks a new user's password and hashes it, before any transaction begins.
pub async fn hash_new_password(new: &NewUser) -> ServiceResult<Option<String>> {
    let Some(password) = &new.password else {
        return Ok(None);
    };
    passwords::validate(password).map_err(|m| ServiceError::field("password", m))?;
    Ok(Some(passwords::hash(password).await?))
}

/// Inserts a user inside the caller's write transaction (the password already hashed, see
/// [`hash_new_password`]), choosing a free slug from the name, with a default availability
/// (Mon-Fri 09:00-17:00 in the user's zone unless given) and a default 30-minute meeting type.
pub async fn insert_user(
    tx: &mut Tx,
    company: CompanyId,
    new: &NewUser,
    password_hash: Option<&str>,
    kit: &StarterKit,
    at: Timestamp,
) -> ServiceResult<CreatedUser> {
    let base = Slug::derive(&format!(
        "{} {}",
        new.given_name.as_str(),
        new.family_name.as_str()
    ));
    let slug = free_slug(tx, base.as_str()).await?;
    let user = UserRecord {
        id: UserId::new(),
        company_id: company,
        email: new.email.as_str().to_owned(),
        given_name: new.given_name.as_str().to_owned(),
        family_name: new.family_name.as_str().to_owned(),
        slug,
        timezone: new.timezone.as_str().to_owned(),
        language: new.language.as_str().to_owned(),
        role: new.role,
        user_type: new.user_type,
        created_at: at,
        updated_at: at,
        deactivated_at: None,
        removed_at: None,
        busy_version: 0,
    };
    users::insert(tx, &user, password_hash).await?;
    let availability =
        availability::insert(tx, company, user.id, &user.timezone, &kit.availability, at).await?;
    let mut mt_input = kit.meeting_type.clone();
    let info = mt_input.meeting_info.get_or_insert_with(Default::default);
    info.name
        .get_or_insert_with(|| "30 minute meeting".to_owned());
    info.duration
        .get_or_insert(termin_domain::limits::DEFAULT_DURATION_MINUTES);
    mt_input.slug.get_or_insert_with(|| "30min".to_owned());
    mt_input.availability_id = Some(availability.id);
    let meeting_type = meeting_types::insert(tx, company, user.id, &mt_input, at).await?;
    Ok(CreatedUser {
        user,
        availability_id: availability.id,
        meeting_type_id: meeting_type.record.id,
        meeting_type_slug: meeting_type.record.slug,
    })
}

/// The first of `base`, `base-2`, `base-3`, ... that no present user has.
async fn free_slug(conn: &mut Connection, base: &str) -> ServiceResult<String> {
    for n in 1..1000 {
        let candidate = if n == 1 {
            base.to_owned()
        } else {
            format!("{base}-{n}")
        };
        if !Slug::is_reserved_for_pages(&candidate) && !users::slug_taken(conn, &candidate).await? {
            return Ok(candidate);
        }
    }
    Ok(format!("{base}-{}", UserId::new().as_uuid().simple()))
}

pub async fn create_user(
    svc: &Service,
    company: CompanyId,
    new: &NewUser,
) -> ServiceResult<UserRecord> {
    Ok(create_user_with(svc, company, new, &StarterKit::default())
        .await?
        .user)
}

pub async fn create_user_with(
    svc: &Service,
    company: CompanyId,
    new: &NewUser,
    kit: &StarterKit,
) -> ServiceResult<CreatedUser> {
    if new.role == Role::Owner {
        return Err(ServiceError::bad_request(
            "A company has exactly one owner; new users are admins or members",
        ));
    }
    let password_hash = hash_new_password(new).await?;
    // The slug is derived from the name and checked free before the insert; on PostgreSQL a
    // parallel create of a namesake can take it in between, and the unique index refuses this
    // one. Then the whole transaction is tried again, and `free_slug` sees the taken one.
    let mut attempts = 0;
    let (mut tx, created) = loop {
        let mut tx = svc.db.begin_write().await?;
        match insert_user(
            &mut tx,
            company,
            new,
            password_hash.as_deref(),
            kit,
            svc.now(),
        )
        .await
        {
            Ok(created) => break (tx, created),
            Err(ServiceError::Conflict(m)) if m == SLUG_TAKEN && attempts < 20 => attempts += 1,
            Err(e) => return Err(e),
        }
    };
    // `new_employee`: the user as the API shows it, from the record just built.
    let subscribers = events::subscribers(&mut tx, company, EventType::NewEmployee).await?;
    if !subscribers.is_empty() {
        let body = serde_json::to_value(UserView::from(created.user.clone()))
            .map_err(ServiceError::internal)?;
        let at = svc.now();
        events::record(
            &mut tx,
            company,
            EventType::NewEmployee,
            &subscribers,
            body,
            at,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// The acting user (`GET /v4/user/me`). `known` is the record authentication already read.
pub async fn me(
    svc: &Service,
    caller: &Principal,
    known: Option<UserRecord>,
) -> ServiceResult<UserView> {
    caller.require_scope(ScopeGroup::Account)?;
    let user = match known {
        Some(user) => user,
        None => get_user(svc, caller.company_id, caller.user_id).await?,
    };
    Ok(user.into())
}

/// A page of the company's users (owners and admins, with an unlimited credential).
pub async fn list(
    svc: &Service,
    caller: &Principal,
    user_type: Option<UserType>,
    limit: i64,
    offset: i64,
) -> ServiceResult<(Vec<UserView>, i64)> {
    caller.require_unlimited()?;
    caller.require_admin()?;
    let mut v = Validator::new();
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        v.fail("limit", format!("must be between 1 and {MAX_PAGE_SIZE}"));
    }
    if offset < 0 {
        v.fail("offset", "must not be negative");
    }
    v.finish()?;
    let (records, total) = users::list(
        &mut *svc.db.conn().await?,
        caller.company_id,
        user_type,
        limit,
        offset,
    )
    .await?;
    Ok((records.into_iter().map(Into::into).collect(), total))
}

/// A user created through the API, with their starter meeting type's booking link.
#[derive(Debug, Clone)]
pub struct Created {
    pub user: CreatedUser,
    pub booking_url: String,
}

/// Creates a user in the caller's company (a Platform API Key, or an owner's or admin's
/// dashboard session). A user an API key creates is an API-platform user.
pub async fn create(
    svc: &Service,
    caller: &Principal,
    mut new: NewUser,
    kit: &StarterKit,
) -> ServiceResult<Created> {
    caller.require_user_lifecycle()?;
    new.user_type = match caller.credential {
        Credential::ApiKey { .. } => UserType::ApiPlatform,
        _ => UserType::Standard,
    };
    let user = create_user_with(svc, caller.company_id, &new, kit).await?;
    let booking_url = format!(
        "{}/{}/{}",
        svc.public_url, user.user.slug, user.meeting_type_slug
    );
    Ok(Created { user, booking_url })
}

/// Changes a user's profile: a user lifecycle credential for anyone in the company, or a
/// dashboard user for themself.
pub async fn update(
    svc: &Service,
    caller: &Principal,
    id: UserId,
    changes: ProfileChanges,
) -> ServiceResult<UserView> {
    let editing_self =
        matches!(caller.credential, Credential::Session { .. }) && id == caller.user_id;
    if !editing_self {
        caller.require_user_lifecycle()?;
    }
    Ok(update_profile(svc, caller.company_id, id, changes)
        .await?
        .into())
}

/// Removes a user of the caller's company (see [`remove_user`]).
pub async fn remove(svc: &Service, caller: &Principal, id: UserId) -> ServiceResult<()> {
    caller.require_user_lifecycle()?;
    if id == caller.user_id && matches!(caller.credential, Credential::Session { .. }) {
        return Err(ServiceError::forbidden(
            "You cannot remove yourself; ask another admin",
        ));
    }
    remove_user(svc, caller.company_id, id).await
}

/// A present (not removed) user of the company, or 404.
pub async fn get_user(svc: &Service, company: CompanyId, id: UserId) -> ServiceResult<UserRecord> {
    users::find_present(&mut *svc.db.conn().await?, company, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))
}

/// Finds a user by email or id, in any company (operator CLI).
pub async fn find_by_email_or_id(svc: &Service, key: &str) -> ServiceResult<UserRecord> {
    let mut conn = svc.db.conn().await?;
    let found = match key.parse::<UserId>() {
        Ok(id) => users::find_any(&mut conn, id)
            .await?
            .filter(|u| u.removed_at.is_none()),
        Err(_) => users::find_present_by_email(&mut conn, &key.trim().to_lowercase()).await?,
    };
    found.ok_or_else(|| ServiceError::not_found(format!("No user {key}")))
}

#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub given_name: Option<PersonName>,
    pub family_name: Option<PersonName>,
    pub slug: Option<Slug>,
    pub timezone: Option<TimeZoneName>,
    pub language: Option<Language>,
}

pub async fn update_profile(
    svc: &Service,
    company: CompanyId,
    id: UserId,
    changes: ProfileChanges,
) -> ServiceResult<UserRecord> {
    let mut tx = svc.db.begin_write().await?;
    let mut user = users::find_present(&mut tx, company, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    if let Some(v) = changes.given_name {
        user.given_name = v.as_str().to_owned();
    }
    if let Some(v) = changes.family_name {
        user.family_name = v.as_str().to_owned();
    }
    if let Some(v) = changes.slug {
        if Slug::is_reserved_for_pages(v.as_str()) {
            return Err(ServiceError::field(
                "slug",
                "is the address of one of termin's own pages",
            ));
        }
        if v.as_str() != user.slug && users::slug_taken(&mut tx, v.as_str()).await? {
            return Err(ServiceError::conflict("This slug is already in use"));
        }
        user.slug = v.as_str().to_owned();
    }
    if let Some(v) = changes.timezone {
        user.timezone = v.as_str().to_owned();
    }
    if let Some(v) = changes.language {
        user.language = v.as_str().to_owned();
    }
    user.updated_at = svc.now();
    users::update_profile(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(user)
}

/// Removes a user from the company. Never the owner. Their credentials stop working with the
/// next request (authentication reads the user's state every time) and their sessions end.
pub async fn remove_user(svc: &Service, company: CompanyId, id: UserId) -> ServiceResult<()> {
    let mut tx = svc.db.begin_write().await?;
    let user = users::find_present(&mut tx, company, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    if user.role == Role::Owner {
        return Err(ServiceError::forbidden(
            "The company owner cannot be removed",
        ));
    }
    users::remove(&mut tx, id, svc.now()).await?;
    sessions::delete_for_user(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates or reactivates a user (operator CLI). Never the owner.
pub async fn set_deactivated(
    svc: &Service,
    id: UserId,
    deactivated: bool,
) -> ServiceResult<UserRecord> {
    let mut tx = svc.db.begin_write().await?;
    let user = users::find_any(&mut tx, id)
        .await?
        .filter(|u| u.removed_at.is_none())
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    if deactivated && user.role == Role::Owner {
        return Err(ServiceError::forbidden(
            "The company owner cannot be deactivated",
        ));
    }
    let at = svc.now();
    users::set_deactivated(&mut tx, id, deactivated.then_some(at), at).await?;
    if deactivated {
        sessions::delete_for_user(&mut tx, id).await?;
    }
    let user = users::find_any(&mut tx, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    tx.commit().await?;
    Ok(user)
}

/// What removing a member ends, shown before it happens.
#[derive(Debug, Clone)]
pub struct Consequence {
    pub user: UserRecord,
    /// Their tokens that work today and stop with the removal.
    pub live_tokens: i64,
}

/// What removing `id` would end (owners and admins).
pub async fn removal_consequence(
    svc: &Service,
    caller: &Principal,
    id: UserId,
) -> ServiceResult<Consequence> {
    caller.require_user_lifecycle()?;
    let mut conn = svc.db.conn().await?;
    let user = users::find_present(&mut conn, caller.company_id, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    let live_tokens = termin_storage::tokens::count_live_for_user(&mut conn, id, svc.now()).await?;
    Ok(Consequence { user, live_tokens })
}

/// Makes a member an admin or an admin a member (owners and admins). The owner's role does not
/// change, nobody becomes owner this way, and no one changes their own role.
pub async fn set_role(
    svc: &Service,
    caller: &Principal,
    id: UserId,
    role: Role,
) -> ServiceResult<UserRecord> {
    caller.require_user_lifecycle()?;
    if role == Role::Owner {
        return Err(ServiceError::field("role", "must be member or admin"));
    }
    if id == caller.user_id {
        return Err(ServiceError::forbidden("You cannot change your own role"));
    }
    let mut tx = svc.db.begin_write().await?;
    let user = users::find_present(&mut tx, caller.company_id, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    if user.role == Role::Owner {
        return Err(ServiceError::forbidden(
            "The company owner's role cannot be changed",
        ));
    }
    let at = svc.now();
    users::set_role(&mut tx, id, role, at).await?;
    tx.commit().await?;
    Ok(UserRecord {
        role,
        updated_at: at,
        ..user
    })
}

/// Deactivates or reactivates a member of the caller's company (owners and admins; not
/// themself). A deactivated member's credentials stop working and their sessions end.
pub async fn set_active(
    svc: &Service,
    caller: &Principal,
    id: UserId,
    active: bool,
) -> ServiceResult<UserRecord> {
    caller.require_user_lifecycle()?;
    if id == caller.user_id {
        return Err(ServiceError::forbidden("You cannot deactivate yourself"));
    }
    get_user(svc, caller.company_id, id).await?;
    set_deactivated(svc, id, !active).await
}
