//! Each user's outgoing calendar feed: a secret URL of their termin appointments that any
//! calendar app can subscribe to (`GET /v4/calendar-feed` gives it, `POST .../regenerate`
//! replaces it, `DELETE` revokes it). Cancelled appointments stay in it with
//! `STATUS:CANCELLED`, so subscribed calendars remove them.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use termin_domain::credential::{random_base62, ScopeGroup, SecretHash};
use termin_domain::principal::Principal;
use termin_storage::appointments::{self as stored_appointments, ListFilter};
use termin_storage::calendar_feeds::{self as stored, FeedRecord};
use termin_storage::users;

use crate::appointments::{ics_feed, load_many, Loaded};
use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// How far back and ahead a feed reaches, and how many appointments it holds at most.
pub const FEED_PAST_DAYS: i64 = 90;
pub const FEED_FUTURE_DAYS: i64 = 400;
pub const FEED_MAX_EVENTS: i64 = 2000;

const NOT_FOUND: &str = "There is no calendar feed at this address";

/// A feed as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedView {
    /// The secret address to subscribe to. Anyone who has it can read the appointments.
    pub url: String,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
}

fn url_of(svc: &Service, token: &str) -> String {
    format!("{}/feeds/{token}.ics", svc.public_url)
}

async fn issue(svc: &Service, caller: &Principal) -> ServiceResult<FeedView> {
    let token = random_base62(40);
    let record = FeedRecord {
        user_id: caller.user_id,
        token_sealed: svc.secrets.seal(&token),
        created_at: svc.now(),
    };
    let mut tx = svc.db.begin_write().await?;
    stored::replace(&mut tx, &record, SecretHash::of(&token)).await?;
    tx.commit().await?;
    Ok(FeedView {
        url: url_of(svc, &token),
        created_at: record.created_at,
    })
}

/// The caller's feed: the one they have, or a new one. A feed sealed under an earlier secrets
/// key cannot be shown again, and is replaced (that is what rotating the key does to feeds).
pub async fn get(svc: &Service, caller: &Principal) -> ServiceResult<FeedView> {
    match current(svc, caller).await? {
        Some(feed) => Ok(feed),
        None => issue(svc, caller).await,
    }
}

/// The caller's feed if they have one (one sealed under an earlier key counts as none).
pub async fn current(svc: &Service, caller: &Principal) -> ServiceResult<Option<FeedView>> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let found = stored::of_user(&mut *svc.db.conn().await?, caller.user_id).await?;
    Ok(found.and_then(|feed| {
        svc.secrets.open(&feed.token_sealed).map(|token| FeedView {
            url: url_of(svc, &token),
            created_at: feed.created_at,
        })
    }))
}

/// A new address for the caller's feed; the old one stops working at once.
pub async fn regenerate(svc: &Service, caller: &Principal) -> ServiceResult<FeedView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    issue(svc, caller).await
}

/// Revokes the caller's feed: its address stops working. A later `get` makes a new one.
pub async fn revoke(svc: &Service, caller: &Principal) -> ServiceResult<()> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    stored::remove(&mut tx, caller.user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// A feed's calendar, and its entity tag (a digest of the calendar) for conditional requests.
pub struct Feed {
    pub calendar: String,
    pub etag: String,
}

/// The calendar at a feed's address: the user's appointments from 90 days back to 400 ahead
/// (at most 2,000), cancelled ones marked so. Not found for an unknown or revoked address, or
/// a user no longer active.
pub async fn serve(svc: &Service, token: &str) -> ServiceResult<Feed> {
    if token.len() > 100 {
        return Err(ServiceError::not_found(NOT_FOUND));
    }
    let mut conn = svc.db.conn().await?;
    let feed = stored::by_token(&mut conn, SecretHash::of(token))
        .await?
        .ok_or_else(|| ServiceError::not_found(NOT_FOUND))?;
    let user = users::find_any(&mut conn, feed.user_id)
        .await?
        .filter(|u| u.removed_at.is_none() && u.deactivated_at.is_none())
        .ok_or_else(|| ServiceError::not_found(NOT_FOUND))?;
    let now = svc.now();
    let filter = ListFilter {
        company: Some(user.company_id),
        host: Some(user.id),
        start_from: Some(now - SignedDuration::from_hours(24 * FEED_PAST_DAYS)),
        start_before: Some(now + SignedDuration::from_hours(24 * FEED_FUTURE_DAYS)),
        limit: FEED_MAX_EVENTS,
        ..ListFilter::default()
    };
    let (records, _) = stored_appointments::list(&mut conn, &filter).await?;
    let views: Vec<_> = load_many(&mut conn, records)
        .await?
        .into_iter()
        .map(Loaded::view)
        .collect();
    let calendar = ics_feed(&views, &format!("{} (termin)", user.full_name()));
    let etag = format!("\"{}\"", &SecretHash::of(&calendar).to_hex()[..32]);
    Ok(Feed { calendar, etag })
}
