//! One-time booking links: a URL to a meeting type's booking page that takes one booking and
//! then says it has been used (`POST /v4/one-time-booking-link/create/{meetingTypeId}`).

use serde::Serialize;
use termin_domain::credential::{random_base62, ScopeGroup, SecretHash};
use termin_domain::principal::Principal;
use termin_domain::MeetingTypeId;
use termin_storage::one_time_links::{self as stored, OneTimeLinkRecord};

use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// What a used link's page says, and what booking through it answers.
pub const LINK_USED: &str = "This booking link has been used";
/// A link that does not exist (or belongs to another meeting type).
pub const LINK_INVALID: &str = "This booking link is not valid";

/// A new link, with its URL (which holds the token: shown once, only its hash is kept).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeLinkView {
    pub id: uuid::Uuid,
    pub meeting_type_id: MeetingTypeId,
    pub url: String,
    /// The same URL, under the name some clients read.
    pub link: String,
    pub token: String,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: jiff::Timestamp,
}

/// Creates a one-time link to a meeting type the caller may see.
pub async fn create(
    svc: &Service,
    caller: &Principal,
    meeting_type: MeetingTypeId,
) -> ServiceResult<OneTimeLinkView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let view = crate::meeting_types::get(svc, caller, meeting_type).await?;
    let mut tx = svc.db.begin_write().await?;
    let token = random_base62(32);
    let record = OneTimeLinkRecord {
        id: uuid::Uuid::now_v7(),
        company_id: caller.company_id,
        meeting_type_id: meeting_type,
        created_by: caller.user_id,
        created_at: svc.now(),
        used_at: None,
        appointment_id: None,
    };
    stored::insert(&mut tx, &record, SecretHash::of(&token)).await?;
    tx.commit().await?;
    let url = format!("{}?link={token}", view.booking_url);
    Ok(OneTimeLinkView {
        id: record.id,
        meeting_type_id: meeting_type,
        link: url.clone(),
        url,
        token,
        created_at: record.created_at,
    })
}

/// Whether `token` may book `meeting_type` now: not found when it is no link of it, a
/// conflict ([`LINK_USED`]) once used.
pub async fn check(
    conn: &mut termin_storage::Connection,
    meeting_type: MeetingTypeId,
    token: &str,
) -> ServiceResult<()> {
    match stored::find(conn, SecretHash::of(token)).await? {
        Some(l) if l.meeting_type_id == meeting_type => match l.used_at {
            None => Ok(()),
            Some(_) => Err(ServiceError::conflict(LINK_USED)),
        },
        _ => Err(ServiceError::not_found(LINK_INVALID)),
    }
}
