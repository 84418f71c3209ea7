//! One-time links into an account: the first-run setup link (printed by the server on an empty
//! database), a new member's invitation, and a password reset. Each is a secret URL shown or
//! mailed once; only its hash is kept, and using it is a single write with what it does.

use jiff::{SignedDuration, Timestamp};
use termin_domain::credential::{random_base62, SecretHash};
use termin_domain::principal::Principal;
use termin_domain::tenancy::{Plan, Role, UserType};
use termin_domain::validate::Email;
use termin_domain::{MailId, UserId};
use termin_storage::account_links::{self as stored, AccountLinkRecord, Purpose};
use termin_storage::companies::{self, CompanyRecord};
use termin_storage::mail::MailRecord;
use termin_storage::users::{self, UserRecord};
use termin_storage::{sessions, Batch};

use crate::error::{ServiceError, ServiceResult};
use crate::mail::{language, MailKind, MailPayload, Person};
use crate::users::{hash_new_password, insert_user, NewUser, StarterKit};
use crate::{passwords, Service};

/// How long each kind of link stays good.
pub const SETUP_LINK_HOURS: i64 = 24;
pub const INVITATION_DAYS: i64 = 7;
pub const RESET_MINUTES: i64 = 60;
/// At most this many reset mails a user gets an hour, whoever asks.
pub const RESETS_PER_HOUR: usize = 3;

const LINK_INVALID: &str = "This link is not valid. Ask for a new one.";
const LINK_USED: &str = "This link has been used. Ask for a new one if you need it again.";
const LINK_EXPIRED: &str = "This link has expired. Ask for a new one.";

fn setup_url(svc: &Service, token: &str) -> String {
    format!("{}/setup/{token}", svc.public_url)
}

fn password_url(svc: &Service, token: &str) -> String {
    format!("{}/password/{token}", svc.public_url)
}

fn new_link(
    purpose: Purpose,
    user: Option<UserId>,
    at: Timestamp,
    life: SignedDuration,
) -> AccountLinkRecord {
    AccountLinkRecord {
        id: uuid::Uuid::now_v7(),
        purpose,
        user_id: user,
        created_at: at,
        expires_at: at + life,
        used_at: None,
    }
}

/// A good link of one of `purposes`, or why not.
async fn usable(
    conn: &mut termin_storage::Connection,
    token: &str,
    purposes: &[Purpose],
    at: Timestamp,
) -> ServiceResult<AccountLinkRecord> {
    let link = stored::find(conn, SecretHash::of(token))
        .await?
        .filter(|l| purposes.contains(&l.purpose))
        .ok_or_else(|| ServiceError::not_found(LINK_INVALID))?;
    if link.used_at.is_some() {
        return Err(ServiceError::conflict(LINK_USED));
    }
    if link.expires_at <= at {
        return Err(ServiceError::conflict(LINK_EXPIRED));
    }
    Ok(link)
}

/// A new setup link when no company exists yet (`None` otherwise). Each new link replaces the
/// one before, so only the link of the server's latest start works.
pub async fn issue_setup_link(svc: &Service) -> ServiceResult<Option<String>> {
    let mut tx = svc.db.begin_write().await?;
    if companies::count(&mut tx).await? > 0 {
        return Ok(None);
    }
    let token = random_base62(32);
    let link = new_link(
        Purpose::Setup,
        None,
        svc.now(),
        SignedDuration::from_hours(SETUP_LINK_HOURS),
    );
    stored::insert(&mut tx, &link, SecretHash::of(&token)).await?;
    tx.commit().await?;
    Ok(Some(setup_url(svc, &token)))
}

/// Whether `token` is a setup link that still works (for the setup page).
pub async fn check_setup_link(svc: &Service, token: &str) -> ServiceResult<()> {
    let mut conn = svc.db.conn().await?;
    usable(&mut conn, token, &[Purpose::Setup], svc.now()).await?;
    if companies::count(&mut conn).await? > 0 {
        return Err(ServiceError::conflict(LINK_USED));
    }
    Ok(())
}

/// Creates the first company and its owner through the setup link, which is used up in the
/// same transaction: a second visit, or a second company, is refused.
pub async fn complete_setup(
    svc: &Service,
    token: &str,
    company_name: &str,
    owner: NewUser,
) -> ServiceResult<(CompanyRecord, UserRecord)> {
    check_setup_link(svc, token).await?;
    let (company, owner) = crate::companies::prepare(svc, company_name, Plan::Platform, owner)?;
    let password_hash = hash_new_password(&owner).await?;
    let at = svc.now();
    let mut tx = svc.db.begin_write().await?;
    let link = usable(&mut tx, token, &[Purpose::Setup], at).await?;
    if companies::count(&mut tx).await? > 0 || !stored::use_once(&mut tx, link.id, at).await? {
        return Err(ServiceError::conflict(LINK_USED));
    }
    companies::insert(&mut tx, &company).await?;
    let owner = insert_user(
        &mut tx,
        company.id,
        &owner,
        password_hash.as_deref(),
        &StarterKit::default(),
        at,
    )
    .await?
    .user;
    tx.commit().await?;
    Ok((company, owner))
}

/// A member an admin invited, and the link that lets them choose a password (also mailed).
pub struct Invited {
    pub user: UserRecord,
    pub url: String,
}

/// Adds a member to the caller's company without a password, and mails them a link to choose
/// one (owners and admins; the same rule as creating a user).
pub async fn invite(svc: &Service, caller: &Principal, mut new: NewUser) -> ServiceResult<Invited> {
    caller.require_user_lifecycle()?;
    if new.role == Role::Owner {
        return Err(ServiceError::field("role", "must be member or admin"));
    }
    new.password = None;
    new.user_type = UserType::Standard;
    let at = svc.now();
    let token = random_base62(32);
    let mut tx = svc.db.begin_write().await?;
    let inviter = users::find_present(&mut tx, caller.company_id, caller.user_id)
        .await?
        .ok_or_else(|| ServiceError::unauthorized("The acting user no longer exists"))?;
    let user = insert_user(
        &mut tx,
        caller.company_id,
        &new,
        None,
        &StarterKit::default(),
        at,
    )
    .await?
    .user;
    let link = new_link(
        Purpose::Invitation,
        Some(user.id),
        at,
        SignedDuration::from_hours(INVITATION_DAYS * 24),
    );
    stored::insert(&mut tx, &link, SecretHash::of(&token)).await?;
    let url = password_url(svc, &token);
    let mut batch = Batch::new();
    termin_storage::mail::insert(
        &mut batch,
        &account_mail(MailKind::Welcome, &user, Some(&inviter), &url, at)?,
    );
    tx.commit_with(batch).await?;
    Ok(Invited { user, url })
}

/// Mails a password reset link to the user with this address, if there is one who may log in.
/// The answer is the same either way, so the form tells no one which addresses exist.
pub async fn request_reset(svc: &Service, email: &str) -> ServiceResult<()> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let at = svc.now();
    let mut tx = svc.db.begin_write().await?;
    let Some(user) = users::find_present_by_email(&mut tx, email.as_str()).await? else {
        return Ok(());
    };
    // Only people who log in to the dashboard get one: API-platform users act through keys.
    if user.deactivated_at.is_some()
        || user.user_type != UserType::Standard
        || stored::count_since(
            &mut tx,
            user.id,
            Purpose::Reset,
            at - SignedDuration::from_hours(1),
        )
        .await?
            >= RESETS_PER_HOUR as i64
    {
        return Ok(());
    }
    let token = random_base62(32);
    let link = new_link(
        Purpose::Reset,
        Some(user.id),
        at,
        SignedDuration::from_mins(RESET_MINUTES),
    );
    stored::insert(&mut tx, &link, SecretHash::of(&token)).await?;
    let mut batch = Batch::new();
    termin_storage::mail::insert(
        &mut batch,
        &account_mail(
            MailKind::PasswordReset,
            &user,
            None,
            &password_url(svc, &token),
            at,
        )?,
    );
    tx.commit_with(batch).await?;
    Ok(())
}

/// Whose password a link sets, for the page that asks for it.
pub async fn password_link_user(svc: &Service, token: &str) -> ServiceResult<UserRecord> {
    let mut conn = svc.db.conn().await?;
    let link = usable(
        &mut conn,
        token,
        &[Purpose::Invitation, Purpose::Reset],
        svc.now(),
    )
    .await?;
    let user = users::find_any(
        &mut conn,
        link.user_id
            .ok_or_else(|| ServiceError::not_found(LINK_INVALID))?,
    )
    .await?
    .filter(|u| u.removed_at.is_none() && u.deactivated_at.is_none())
    .ok_or_else(|| ServiceError::not_found(LINK_INVALID))?;
    Ok(user)
}

/// Sets the password through an invitation or reset link, which is used up with it. Every
/// session the user had ends: whoever knew the old password is logged out.
pub async fn set_password(svc: &Service, token: &str, password: &str) -> ServiceResult<UserRecord> {
    let user = password_link_user(svc, token).await?;
    passwords::validate(password).map_err(|m| ServiceError::field("password", m))?;
    let hash = passwords::hash(password).await?;
    let at = svc.now();
    let mut tx = svc.db.begin_write().await?;
    let link = usable(&mut tx, token, &[Purpose::Invitation, Purpose::Reset], at).await?;
    if link.user_id != Some(user.id) || !stored::use_once(&mut tx, link.id, at).await? {
        return Err(ServiceError::conflict(LINK_USED));
    }
    if !users::set_password_hash(&mut tx, user.id, &hash, at).await? {
        return Err(ServiceError::not_found(LINK_INVALID));
    }
    // Any other link of the user (an invitation still open, an older reset) stops working too.
    stored::use_all_of(&mut tx, user.id, at).await?;
    sessions::delete_for_user(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(user)
}

fn account_mail(
    kind: MailKind,
    user: &UserRecord,
    from: Option<&UserRecord>,
    url: &str,
    at: Timestamp,
) -> ServiceResult<MailRecord> {
    let payload = MailPayload {
        kind,
        to: Person {
            name: user.full_name(),
            email: user.email.clone(),
        },
        timezone: user.timezone.clone(),
        meeting: None,
        manage_url: None,
        previous_start: None,
        reason: None,
        from: from.map(|f| Person {
            name: f.full_name(),
            email: f.email.clone(),
        }),
        answers: Vec::new(),
        title: None,
        content: None,
        link: Some(url.to_owned()),
    };
    Ok(MailRecord {
        id: MailId::new(),
        company_id: user.company_id,
        appointment_id: None,
        kind: kind.as_str().into(),
        recipient: user.email.clone(),
        language: language(Some(&user.language), "en"),
        payload: serde_json::to_string(&payload).map_err(ServiceError::internal)?,
        sender_id: from.map(|f| f.id),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: at,
        last_error: None,
        created_at: at,
        updated_at: at,
        sent_at: None,
    })
}
