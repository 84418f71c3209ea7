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

/// Where a feed's sealed token belongs: it opens only in this user's row.
pub(crate) fn context(user: termin_domain::UserId) -> String {
    format!("calendar_feed:{user}")
}

/// A user's feed as the dashboard sees it.
pub enum FeedState {
    None,
    Readable(FeedView),
    /// The feed exists and its address still works, but it was sealed under another secrets
    /// key, so it cannot be shown: turn it off or make a new one.
    Unreadable,
}

/// The caller's feed, without making one.
pub async fn current(svc: &Service, caller: &Principal) -> ServiceResult<FeedState> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let found = stored::of_user(&mut *svc.db.conn().await?, caller.user_id).await?;
    Ok(match found {
        None => FeedState::None,
        Some(feed) => match svc
            .secrets
            .open(&context(caller.user_id), &feed.token_sealed)
        {
            Some(token) => FeedState::Readable(FeedView {
                url: url_of(svc, &token),
                created_at: feed.created_at,
            }),
            None => {
                tracing::warn!(user = %caller.user_id, "a calendar feed sealed under another secrets key");
                FeedState::Unreadable
            }
        },
    })
}

/// Stores a new token for the caller (replacing theirs, or only where they have none) and
/// answers with the feed that stands afterwards.
async fn issue(svc: &Service, caller: &Principal, replace: bool) -> ServiceResult<FeedView> {
    let token = random_base62(40);
    let record = FeedRecord {
        user_id: caller.user_id,
        token_sealed: svc.secrets.seal(&context(caller.user_id), &token),
        created_at: svc.now(),
    };
    let mut tx = svc.db.begin_write().await?;
    stored::put(&mut tx, &record, SecretHash::of(&token), replace).await?;
    tx.commit().await?;
    match current(svc, caller).await? {
        FeedState::Readable(feed) => Ok(feed),
        _ => Err(ServiceError::internal(
            "a calendar feed just stored cannot be read",
        )),
    }
}

/// The caller's feed: the one they have, or a new one. One sealed under an earlier secrets key
/// cannot be shown again, and is replaced.
pub async fn get(svc: &Service, caller: &Principal) -> ServiceResult<FeedView> {
    match current(svc, caller).await? {
        FeedState::Readable(feed) => Ok(feed),
        FeedState::None => issue(svc, caller, false).await,
        FeedState::Unreadable => issue(svc, caller, true).await,
    }
}

/// A new address for the caller's feed; the old one stops working at once.
pub async fn regenerate(svc: &Service, caller: &Principal) -> ServiceResult<FeedView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    issue(svc, caller, true).await
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
    // The coming appointments first, then the past ones from the most recent back: when there
    // are more than the cap, the oldest are the ones left out.
    let now = svc.now();
    let coming = ListFilter {
        company: Some(user.company_id),
        host: Some(user.id),
        start_from: Some(now),
        start_before: Some(now + SignedDuration::from_hours(24 * FEED_FUTURE_DAYS)),
        limit: FEED_MAX_EVENTS,
        ..ListFilter::default()
    };
    let (mut records, _) = stored_appointments::list(&mut conn, &coming).await?;
    let room = FEED_MAX_EVENTS - records.len() as i64;
    if room > 0 {
        let past = ListFilter {
            company: Some(user.company_id),
            host: Some(user.id),
            start_from: Some(now - SignedDuration::from_hours(24 * FEED_PAST_DAYS)),
            start_before: Some(now),
            descending: true,
            limit: room,
            ..ListFilter::default()
        };
        let (mut earlier, _) = stored_appointments::list(&mut conn, &past).await?;
        earlier.reverse();
        earlier.append(&mut records);
        records = earlier;
    }
    let views: Vec<_> = load_many(&mut conn, records)
        .await?
        .into_iter()
        .map(Loaded::view)
        .collect();
    let calendar = ics_feed(&views, &format!("{} (termin)", user.full_name()));
    // Weak: compression on the way may change the bytes, not the calendar.
    let etag = format!("W/\"{}\"", &SecretHash::of(&calendar).to_hex()[..32]);
    Ok(Feed { calendar, etag })
}
