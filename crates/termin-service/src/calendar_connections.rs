//! Users' own calendars: CalDAV accounts and ICS feeds, whose events make the user busy, and
//! one calendar that receives the user's bookings.
//!
//! - **Connecting** runs discovery (CalDAV) or a first fetch (ICS) before anything is stored,
//!   so a wrong password or an unreachable server is a 400 that says which. The first sync
//!   follows at once.
//! - **Sync** runs in the background on every node (`jobs::calendars`): a connection is claimed
//!   by one node at a time, read, and its busy time replaced in termin's database, so bookable
//!   times never wait on a calendar server and every node sees the same busy time. A calendar
//!   whose change tag did not move is not read again (for at most [`REREAD_AFTER`], after
//!   which its recurring events are expanded for the window that moved on); an ICS feed is
//!   fetched conditionally. A connection that fails keeps its last good busy time and is
//!   retried with a growing pause.
//! - **Write-back** is an outbox ([`write_due`]): booking, moving and cancelling ask for the
//!   appointment's event to be brought into the host's chosen calendar, in the same transaction.
//!   The worker writes the appointment as it stands at that moment (PUT of one resource named by
//!   the appointment, or DELETE), so a write repeated after a crash leaves one event.
//!
//! Who may do what: the owner lists, connects, changes, syncs and removes their connections;
//! an admin may list and sync a member's (`userId`), never change them, since a connection
//! holds the member's own password. Scope: scheduling.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use termin_calendar::caldav::{self, Feed, RemoteCalendar};
use termin_calendar::http::{CalendarError, Client, Login};
use termin_calendar::{busy_spans, BusyOptions};
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::{CompanyId, ConnectionId, UserId};
use termin_storage::calendars::{self as stored, CalendarRecord, ConnectionRecord};
use termin_storage::meeting_types;
use termin_storage::users::{self, UserRecord};
use url::Url;

use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// A calendar whose tag did not change is still read again after this long: the busy window
/// moves on, and recurring events must be expanded into it.
pub const REREAD_AFTER: SignedDuration = SignedDuration::from_hours(6);
/// At most this many connections a user.
pub const MAX_CONNECTIONS: i64 = 10;
/// How far ahead busy time is kept when no meeting type of the user says (and at most).
const DEFAULT_HORIZON_DAYS: i64 = 60;
const MAX_HORIZON_DAYS: i64 = 366;
/// The longest pause between attempts of a failing connection.
const MAX_BACKOFF: SignedDuration = SignedDuration::from_hours(1);

const NOT_FOUND: &str = "Calendar connection not found";

/// How calendars are reached, and how fresh their busy time is kept.
#[derive(Clone)]
pub struct CalendarSettings {
    pub client: Client,
    /// The staleness bound: each connection is synced at least this often.
    pub sync_every: Duration,
    /// The first pause after a failed write into a calendar (doubling with each failure, at
    /// most an hour).
    pub retry_base: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    CalDav,
    Ics,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::CalDav => "caldav",
            Provider::Ics => "ics",
        }
    }
}

/// A connection to make.
pub struct NewConnection {
    pub provider: Provider,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// One calendar's choices in an update; what is left out stays as it is.
pub struct CalendarChoice {
    pub id: String,
    pub read_for_conflicts: Option<bool>,
    pub write_bookings: Option<bool>,
}

/// A connection as shown: never its password or (for a feed) its address.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub id: ConnectionId,
    pub user_id: UserId,
    pub provider: &'static str,
    pub account: String,
    pub server_url: Option<String>,
    pub calendars: Vec<CalendarView>,
    pub sync: SyncView,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarView {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
    pub read_for_conflicts: bool,
    pub write_bookings: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    /// `pending` (never synced), `ok`, or `failing` (the last attempt failed; the last good busy
    /// time still counts).
    pub state: &'static str,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub last_attempt_at: Option<Timestamp>,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub last_success_at: Option<Timestamp>,
    pub error: Option<String>,
    pub consecutive_failures: i64,
}

pub(crate) fn view(c: ConnectionRecord) -> ConnectionView {
    let state = if c.last_error.is_some() {
        "failing"
    } else if c.last_success_at.is_none() {
        "pending"
    } else {
        "ok"
    };
    ConnectionView {
        id: c.id,
        user_id: c.user_id,
        provider: if c.provider == "ics" { "ics" } else { "caldav" },
        account: c.account,
        server_url: c.server_url,
        calendars: c
            .calendars
            .into_iter()
            .map(|k| CalendarView {
                id: k.id,
                name: k.name,
                color: k.color,
                read_for_conflicts: k.read_for_conflicts,
                write_bookings: k.write_bookings,
            })
            .collect(),
        sync: SyncView {
            state,
            last_attempt_at: c.last_attempt_at,
            last_success_at: c.last_success_at,
            error: c.last_error,
            consecutive_failures: c.failures,
        },
        created_at: c.created_at,
    }
}

/// Where a sealed secret belongs: it opens only in this connection's row.
pub(crate) fn context(id: ConnectionId) -> String {
    format!("calendar_connection:{id}")
}

/// The user whose connections a request is about: the caller, or (admins) a member.
async fn subject(svc: &Service, caller: &Principal, user: Option<UserId>) -> ServiceResult<UserId> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let Some(user) = user.filter(|u| *u != caller.user_id) else {
        return Ok(caller.user_id);
    };
    if !caller.is_admin() {
        return Err(ServiceError::forbidden(
            "Only an admin may see another member's calendar connections",
        ));
    }
    let found = users::find_present(&mut *svc.db.conn().await?, caller.company_id, user).await?;
    if found.is_none() {
        return Err(ServiceError::not_found("User not found"));
    }
    Ok(user)
}

/// A connection the caller may see: their own, or (admins) a member's.
async fn visible(
    svc: &Service,
    caller: &Principal,
    id: ConnectionId,
) -> ServiceResult<ConnectionRecord> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let found = stored::get(&mut *svc.db.conn().await?, id).await?;
    match found {
        Some(c) if c.company_id == caller.company_id && caller.may_access_user(c.user_id) => Ok(c),
        _ => Err(ServiceError::not_found(NOT_FOUND)),
    }
}

/// A connection the caller owns; an admin looking at a member's is refused.
async fn owned(
    svc: &Service,
    caller: &Principal,
    id: ConnectionId,
) -> ServiceResult<ConnectionRecord> {
    let c = visible(svc, caller, id).await?;
    if c.user_id != caller.user_id {
        return Err(ServiceError::forbidden(
            "Only its owner may change a calendar connection: it holds their own password",
        ));
    }
    Ok(c)
}

pub async fn list(
    svc: &Service,
    caller: &Principal,
    user: Option<UserId>,
) -> ServiceResult<Vec<ConnectionView>> {
    let user = subject(svc, caller, user).await?;
    let found = stored::of_user(&mut *svc.db.conn().await?, user).await?;
    Ok(found.into_iter().map(view).collect())
}

pub async fn get(
    svc: &Service,
    caller: &Principal,
    id: ConnectionId,
) -> ServiceResult<ConnectionView> {
    Ok(view(visible(svc, caller, id).await?))
}

/// The address a user gave, checked: `webcal://` is read as `https://`, and the host must pass
/// the SSRF guard.
async fn checked_url(svc: &Service, raw: &str) -> ServiceResult<Url> {
    let raw = raw.trim();
    let raw = match raw.get(..9) {
        Some(p) if p.eq_ignore_ascii_case("webcal://") => format!("https://{}", &raw[9..]),
        _ => raw.to_owned(),
    };
    svc.guard
        .check_endpoint(&raw)
        .await
        .map_err(|e| ServiceError::field("url", e))
}

/// What a calendar server said, as a 400 on the field it is about (a feed has no password: a
/// refusal there is about its address).
fn rejected(e: CalendarError) -> ServiceError {
    match e {
        CalendarError::Unauthorized => ServiceError::field(
            "password",
            "the calendar server refused the user name or password (many providers need an app password)",
        ),
        other => ServiceError::field("url", other.to_string()),
    }
}

/// A calendar's id within its connection: the last segment of its address.
fn calendar_id(url: &Url) -> String {
    url.path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()).map(str::to_owned))
        .unwrap_or_else(|| "calendar".into())
}

/// Connects a calendar account or feed for the caller. Every calendar it has is read for
/// conflicts at first; none receives bookings until the user picks one.
pub async fn create(
    svc: &Service,
    caller: &Principal,
    input: NewConnection,
) -> ServiceResult<ConnectionView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let url = checked_url(svc, &input.url).await?;
    let count = stored::count_of_user(&mut *svc.db.conn().await?, caller.user_id).await?;
    if count >= MAX_CONNECTIONS {
        return Err(ServiceError::LimitReached(
            format!("A user may have at most {MAX_CONNECTIONS} calendar connections").into(),
        ));
    }
    let id = ConnectionId::new();
    let now = svc.now();
    let client = &svc.calendars.client;
    // A connection not synced yet: due now.
    let fresh =
        |provider: Provider, account: String, secret_sealed: String, calendars| ConnectionRecord {
            id,
            user_id: caller.user_id,
            company_id: caller.company_id,
            provider: provider.as_str().into(),
            account,
            server_url: None,
            home_url: None,
            username: None,
            secret_sealed,
            feed_etag: None,
            feed_last_modified: None,
            created_at: now,
            last_attempt_at: None,
            last_success_at: None,
            last_error: None,
            failures: 0,
            next_sync_at: now,
            calendars,
        };
    let record = match input.provider {
        Provider::CalDav => {
            let mut v = crate::Validator::new();
            let username = v
                .require("username", input.username.as_deref().map(str::trim))
                .map(str::to_owned);
            let password = v
                .require("password", input.password.as_deref())
                .map(str::to_owned);
            v.finish()?;
            let (username, password) = (username.expect("validated"), password.expect("validated"));
            let login = Login {
                username: &username,
                password: &password,
            };
            let account = caldav::discover(client, &url, login)
                .await
                .map_err(rejected)?;
            ConnectionRecord {
                server_url: Some(url.to_string()),
                home_url: Some(account.home.to_string()),
                username: Some(username.clone()),
                ..fresh(
                    Provider::CalDav,
                    username,
                    svc.secrets.seal(&context(id), &password),
                    merged(&[], &account.calendars),
                )
            }
        }
        Provider::Ics => {
            if input.username.is_some() || input.password.is_some() {
                return Err(ServiceError::field(
                    "password",
                    "an ICS feed takes only its address; its secret is in the URL",
                ));
            }
            // The first fetch is the check: it must answer calendar data.
            match caldav::fetch_feed(client, &url, None, None)
                .await
                .map_err(rejected)?
            {
                Feed::Changed { body, .. } => {
                    // Read whole (on a blocking thread), as a sync will.
                    let probe = Reading {
                        zone: jiff::tz::TimeZone::UTC,
                        owners: Vec::new(),
                        own: Default::default(),
                        from: now,
                        to: now,
                    };
                    probe.spans(vec![body]).await.map_err(|_| {
                        ServiceError::field("url", "the address does not answer an iCalendar feed")
                    })?;
                }
                Feed::NotModified => {}
            }
            fresh(
                Provider::Ics,
                url.host_str().unwrap_or("feed").to_owned(),
                svc.secrets.seal(&context(id), url.as_str()),
                vec![CalendarRecord {
                    id: "feed".into(),
                    url: String::new(),
                    name: url.host_str().unwrap_or("ICS feed").to_owned(),
                    color: None,
                    read_for_conflicts: true,
                    write_bookings: false,
                    tag: None,
                    read_at: None,
                }],
            )
        }
    };
    let mut tx = svc.db.begin_write().await?;
    stored::insert(&mut tx, &record).await?;
    tx.commit().await?;
    sync(svc, id).await?;
    get(svc, caller, id).await
}

/// Chooses which calendars are read for conflicts and which one receives bookings (at most
/// one across all the user's connections: choosing one here clears the others).
pub async fn update(
    svc: &Service,
    caller: &Principal,
    id: ConnectionId,
    choices: Vec<CalendarChoice>,
) -> ServiceResult<ConnectionView> {
    let c = owned(svc, caller, id).await?;
    let mut v = crate::Validator::new();
    let mut next: Vec<(String, bool, bool)> = c
        .calendars
        .iter()
        .map(|k| (k.id.clone(), k.read_for_conflicts, k.write_bookings))
        .collect();
    for (i, choice) in choices.iter().enumerate() {
        match next.iter_mut().find(|n| n.0 == choice.id) {
            Some(n) => {
                if let Some(r) = choice.read_for_conflicts {
                    n.1 = r;
                }
                if let Some(w) = choice.write_bookings {
                    n.2 = w;
                }
            }
            None => v.fail(
                &format!("calendars[{i}].id"),
                "is not a calendar of this connection",
            ),
        }
    }
    if next.iter().filter(|n| n.2).count() > 1 {
        v.fail("calendars", "at most one calendar may have writeBookings");
    }
    if c.provider == "ics" && next.iter().any(|n| n.2) {
        v.fail(
            "calendars",
            "an ICS feed is read-only: it cannot receive bookings",
        );
    }
    v.finish()?;
    let mut tx = svc.db.begin_write().await?;
    stored::set_choices(&mut tx, id, &next).await?;
    if next.iter().any(|n| n.2) {
        stored::clear_other_write_targets(&mut tx, c.user_id, id).await?;
    }
    // A calendar no longer read stops counting now; one read again counts from its next read,
    // which starts from nothing (no tag, no ETag).
    for (cal, read, _) in &next {
        if !read {
            stored::clear_busy(&mut tx, &c, cal).await?;
        }
    }
    tx.commit().await?;
    if next.iter().any(|(cal, read, _)| {
        *read
            && c.calendars
                .iter()
                .any(|k| &k.id == cal && !k.read_for_conflicts)
    }) {
        sync(svc, id).await?;
    }
    get(svc, caller, id).await
}

pub async fn remove(svc: &Service, caller: &Principal, id: ConnectionId) -> ServiceResult<()> {
    let c = owned(svc, caller, id).await?;
    let mut tx = svc.db.begin_write().await?;
    stored::remove(&mut tx, &c).await?;
    tx.commit().await?;
    Ok(())
}

/// Syncs one connection now and answers it as it stands afterwards (a failed sync is shown in
/// its state, not as an error of this request).
pub async fn sync_now(
    svc: &Service,
    caller: &Principal,
    id: ConnectionId,
) -> ServiceResult<ConnectionView> {
    visible(svc, caller, id).await?;
    sync(svc, id).await?;
    get(svc, caller, id).await
}

/// The window busy time is kept for: from a day ago to the longest booking window of the
/// company's meeting types (any of them may book the user, through `hostIds`).
async fn window(svc: &Service, company: CompanyId) -> ServiceResult<(Timestamp, Timestamp)> {
    let types = meeting_types::list_for_company(&mut *svc.db.conn().await?, company).await?;
    let mut days = DEFAULT_HORIZON_DAYS;
    for t in types {
        let mt = crate::meeting_types::MeetingType::from_record(t)?;
        days = days.max(
            mt.settings
                .days_into_future
                .booking_limit
                .unwrap_or(MAX_HORIZON_DAYS),
        );
    }
    let now = svc.now();
    let from = now - SignedDuration::from_hours(24);
    let to = now + SignedDuration::from_hours(24 * (days.min(MAX_HORIZON_DAYS) + 1));
    Ok((from, to))
}

/// Reads one connection and replaces its busy time; records how it went.
pub async fn sync(svc: &Service, id: ConnectionId) -> ServiceResult<()> {
    let Some(c) = stored::get(&mut *svc.db.conn().await?, id).await? else {
        return Ok(());
    };
    let Some(user) = users::find_any(&mut *svc.db.conn().await?, c.user_id).await? else {
        return Ok(());
    };
    let started = svc.now();
    let result = match svc.secrets.open(&context(id), &c.secret_sealed) {
        None => Err(SyncError::Sealed),
        Some(secret) => read(svc, &c, &user, &secret).await,
    };
    let every =
        SignedDuration::try_from(svc.calendars.sync_every).map_err(ServiceError::internal)?;
    let now = svc.now();
    let mut tx = svc.db.begin_write().await?;
    match result {
        Ok(done) => {
            stored::record_sync(
                &mut tx,
                id,
                &stored::SyncOutcome {
                    at: now,
                    error: None,
                    next_sync_at: now + every,
                    home_url: None,
                    feed_etag: done.etag.as_deref(),
                    feed_last_modified: done.last_modified.as_deref(),
                },
            )
            .await?;
        }
        Err(e) => {
            let text = e.to_string();
            tracing::info!(connection = %id, error = %text, "a calendar sync failed");
            // 1, 2, 4 … times the interval, at most an hour.
            let factor = 1i32 << c.failures.clamp(0, 10);
            let pause = (every * factor).min(MAX_BACKOFF.max(every));
            stored::record_sync(
                &mut tx,
                id,
                &stored::SyncOutcome {
                    at: now,
                    error: Some(&text),
                    next_sync_at: now + pause,
                    home_url: None,
                    feed_etag: None,
                    feed_last_modified: None,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    tracing::debug!(connection = %id, took_ms = now.duration_since(started).as_millis(), "calendar sync");
    Ok(())
}

#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error("{0}")]
    Remote(#[from] CalendarError),
    #[error("the connection's password was sealed under another secrets key: connect it again")]
    Sealed,
    #[error("{0}")]
    Data(String),
    #[error("{0}")]
    Service(#[from] ServiceError),
}

impl From<termin_storage::StorageError> for SyncError {
    fn from(e: termin_storage::StorageError) -> Self {
        SyncError::Service(e.into())
    }
}

#[derive(Default)]
struct Synced {
    etag: Option<String>,
    last_modified: Option<String>,
}

async fn read(
    svc: &Service,
    c: &ConnectionRecord,
    user: &UserRecord,
    secret: &str,
) -> Result<Synced, SyncError> {
    let (from, to) = window(svc, c.company_id).await?;
    let zone = jiff::tz::TimeZone::get(&user.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let mut owners = vec![user.email.to_ascii_lowercase()];
    if let Some(u) = c.username.as_deref().filter(|u| u.contains('@')) {
        owners.push(u.to_ascii_lowercase());
    }
    // The user's own appointments in their calendars (written back, or invitations) are
    // counted from termin's table, not again from the calendar.
    let own: std::collections::HashSet<String> =
        termin_storage::calendars::hosted_ids(&mut *svc.db.conn().await?, c.user_id, from, to)
            .await
            .map_err(ServiceError::from)?
            .into_iter()
            .map(|id| format!("{id}@termin"))
            .collect();
    let reading = Reading {
        zone,
        owners,
        own,
        from,
        to,
    };
    let client = &svc.calendars.client;
    let now = svc.now();
    let fresh = |k: &CalendarRecord| {
        k.read_at
            .is_some_and(|r| now.duration_since(r) < REREAD_AFTER)
    };
    if c.provider == "ics" {
        let Some(feed) = c.calendars.first() else {
            return Ok(Synced::default());
        };
        if !feed.read_for_conflicts {
            return Ok(Synced::default());
        }
        let url = Url::parse(secret)
            .map_err(|_| SyncError::Data("the feed's address is unreadable".into()))?;
        let answer = if fresh(feed) {
            caldav::fetch_feed(
                client,
                &url,
                c.feed_etag.as_deref(),
                c.feed_last_modified.as_deref(),
            )
            .await?
        } else {
            caldav::fetch_feed(client, &url, None, None).await?
        };
        let unchanged = Synced {
            etag: c.feed_etag.clone(),
            last_modified: c.feed_last_modified.clone(),
        };
        return match answer {
            Feed::NotModified => {
                touch(svc, c, &feed.id).await?;
                Ok(unchanged)
            }
            Feed::Changed {
                body,
                etag,
                last_modified,
            } => {
                // Without an ETag the feed's own digest tells a change.
                let tag = etag.clone().unwrap_or_else(|| digest(&body));
                if fresh(feed) && feed.tag.as_deref() == Some(tag.as_str()) {
                    touch(svc, c, &feed.id).await?;
                    return Ok(Synced {
                        etag,
                        last_modified,
                    });
                }
                let spans = reading.spans(vec![body]).await?;
                store(svc, c, &feed.id, &spans, Some(&tag)).await?;
                Ok(Synced {
                    etag,
                    last_modified,
                })
            }
        };
    }
    let username = c.username.as_deref().unwrap_or_default();
    let login = Login {
        username,
        password: secret,
    };
    let given = c
        .server_url
        .as_deref()
        .and_then(|h| Url::parse(h).ok())
        .ok_or_else(|| SyncError::Data("the connection has no server address".into()))?;
    let home = c
        .home_url
        .as_deref()
        .and_then(|h| Url::parse(h).ok())
        .ok_or_else(|| SyncError::Data("the connection has no calendar home".into()))?;
    let found = caldav::calendars(client, &given, &home, login).await?;
    if found.is_empty() && !c.calendars.is_empty() {
        // A passing hiccup (maintenance, a permission change) must not wipe the user's choices.
        return Err(SyncError::Data(
            "the server listed no calendars this time; the ones known are kept".into(),
        ));
    }
    let now_there = merged(&c.calendars, &found);
    if now_there != c.calendars {
        let mut tx = svc.db.begin_write().await.map_err(ServiceError::from)?;
        stored::set_calendars(&mut tx, c, &now_there)
            .await
            .map_err(ServiceError::from)?;
        tx.commit().await.map_err(ServiceError::from)?;
    }
    let mut failed = Vec::new();
    for (remote, mine) in found.iter().zip(&now_there) {
        if !mine.read_for_conflicts {
            continue;
        }
        if remote.tag.is_some() && remote.tag == mine.tag && fresh(mine) {
            continue;
        }
        match caldav::events(client, &remote.url, login, from, to).await {
            Ok(texts) => {
                let spans = reading.spans(texts).await?;
                store(svc, c, &mine.id, &spans, remote.tag.as_deref()).await?;
            }
            // One calendar that cannot be read does not stop the others.
            Err(e) => failed.push(format!("{}: {e}", mine.name)),
        }
    }
    if !failed.is_empty() {
        return Err(SyncError::Data(format!(
            "some calendars could not be read ({})",
            failed.join("; ")
        )));
    }
    Ok(Synced::default())
}

/// What reading a calendar's data needs, owned, so that the work can leave the async runtime.
struct Reading {
    zone: jiff::tz::TimeZone,
    owners: Vec<String>,
    own: std::collections::HashSet<String>,
    from: Timestamp,
    to: Timestamp,
}

impl Reading {
    /// The busy spans of these calendar texts, computed on a blocking thread (a big calendar is
    /// CPU work that must not hold up requests).
    async fn spans(&self, texts: Vec<String>) -> Result<Vec<termin_calendar::BusySpan>, SyncError> {
        let (zone, owners, own, from, to) = (
            self.zone.clone(),
            self.owners.clone(),
            self.own.clone(),
            self.from,
            self.to,
        );
        tokio::task::spawn_blocking(move || {
            let opts = BusyOptions {
                host_zone: &zone,
                owner_emails: &owners,
                from,
                to,
                own_uids: &own,
            };
            let mut spans = Vec::new();
            let mut unreadable = 0;
            for text in &texts {
                match busy_spans(text, &opts) {
                    Ok(s) => spans.extend(s),
                    Err(_) => unreadable += 1,
                }
            }
            if unreadable > 0 && unreadable == texts.len() {
                return Err(SyncError::Data(
                    "the calendar data is not valid iCalendar".into(),
                ));
            }
            spans.sort_unstable();
            spans.dedup();
            Ok(spans)
        })
        .await
        .map_err(|e| SyncError::Data(format!("reading the calendar data failed: {e}")))?
    }
}

/// A digest of a feed's text, to tell a change when the feed gives no ETag.
fn digest(body: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    body.hash(&mut h);
    format!("h{:016x}", h.finish())
}

async fn touch(svc: &Service, c: &ConnectionRecord, calendar: &str) -> Result<(), SyncError> {
    let mut tx = svc.db.begin_write().await.map_err(ServiceError::from)?;
    stored::touch_calendar(&mut tx, c.id, calendar, svc.now())
        .await
        .map_err(ServiceError::from)?;
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(())
}

/// The calendars a sync found, as records in the order found: one known before (by its address)
/// keeps its id, choices, tag and read time; a new one gets an id of its own (its address's last
/// segment, numbered if another calendar has it) and the defaults.
fn merged(known: &[CalendarRecord], found: &[RemoteCalendar]) -> Vec<CalendarRecord> {
    let mut out: Vec<CalendarRecord> = Vec::new();
    let kept: Vec<Option<&CalendarRecord>> = found
        .iter()
        .map(|f| known.iter().find(|k| k.url == f.url.as_str()))
        .collect();
    let taken: Vec<&str> = kept.iter().flatten().map(|k| k.id.as_str()).collect();
    for (f, old) in found.iter().zip(&kept) {
        match old {
            Some(k) => out.push(CalendarRecord {
                name: f.name.clone(),
                color: f.color.clone(),
                ..(*k).clone()
            }),
            None => {
                let base = calendar_id(&f.url);
                let mut id = base.clone();
                let mut n = 1;
                while taken.contains(&id.as_str()) || out.iter().any(|o| o.id == id) {
                    n += 1;
                    id = format!("{base}-{n}");
                }
                out.push(CalendarRecord {
                    id,
                    url: f.url.to_string(),
                    name: f.name.clone(),
                    color: f.color.clone(),
                    read_for_conflicts: true,
                    write_bookings: false,
                    tag: None,
                    read_at: None,
                });
            }
        }
    }
    out
}

async fn store(
    svc: &Service,
    c: &ConnectionRecord,
    calendar: &str,
    spans: &[termin_calendar::BusySpan],
    tag: Option<&str>,
) -> Result<(), SyncError> {
    let pairs: Vec<(Timestamp, Timestamp)> = spans.iter().map(|s| (s.start, s.end)).collect();
    let mut tx = svc.db.begin_write().await.map_err(ServiceError::from)?;
    stored::replace_busy(&mut tx, c, calendar, &pairs, tag, svc.now())
        .await
        .map_err(ServiceError::from)?;
    tx.commit().await.map_err(ServiceError::from)?;
    Ok(())
}

/// Claims the connections due for a sync and syncs them; answers how many.
pub async fn sync_due(svc: &Service, lease: SignedDuration, limit: i64) -> ServiceResult<usize> {
    let now = svc.now();
    let mut tx = svc.db.begin_write().await?;
    let due = stored::claim_due(&mut tx, svc.db.backend(), now, now + lease, limit).await?;
    tx.commit().await?;
    for id in &due {
        sync(svc, *id).await?;
    }
    Ok(due.len())
}
