//! Calendar connections, their calendars, the busy time read from them, and the outbox of
//! bookings written into them (see the migration `0015_calendar_connections.sql`).

use jiff::Timestamp;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use termin_domain::{AppointmentId, CompanyId, ConnectionId, UserId};

use crate::batch::Value;
use crate::{ms, parse_col, Backend, Batch, Result, Tx};

/// Busy time is stored in pieces of at most this long, so a window's rows are found by their
/// start alone (`start_at > from - MAX_PIECE_MS`).
pub const MAX_PIECE_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRecord {
    /// Short and stable within the connection (the API's calendar id).
    pub id: String,
    pub url: String,
    pub name: String,
    pub color: Option<String>,
    pub read_for_conflicts: bool,
    pub write_bookings: bool,
    pub tag: Option<String>,
    pub read_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    pub id: ConnectionId,
    pub user_id: UserId,
    pub company_id: CompanyId,
    /// `caldav` or `ics`.
    pub provider: String,
    /// What the user knows the account by: the user name, or the feed's host.
    pub account: String,
    pub server_url: Option<String>,
    pub home_url: Option<String>,
    pub username: Option<String>,
    /// The password (CalDAV) or the whole feed URL (ICS), sealed under the server's key.
    pub secret_sealed: String,
    pub feed_etag: Option<String>,
    pub feed_last_modified: Option<String>,
    pub created_at: Timestamp,
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub next_sync_at: Timestamp,
    pub calendars: Vec<CalendarRecord>,
}

fn opt_ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(crate::ts)
}

fn connection_from_row(row: &sqlx::any::AnyRow) -> Result<ConnectionRecord> {
    Ok(ConnectionRecord {
        id: parse_col(row, "id")?,
        user_id: parse_col(row, "user_id")?,
        company_id: parse_col(row, "company_id")?,
        provider: row.try_get("provider")?,
        account: row.try_get("account")?,
        server_url: row.try_get("server_url")?,
        home_url: row.try_get("home_url")?,
        username: row.try_get("username")?,
        secret_sealed: row.try_get("secret_sealed")?,
        feed_etag: row.try_get("feed_etag")?,
        feed_last_modified: row.try_get("feed_last_modified")?,
        created_at: crate::ts(row.try_get("created_at")?),
        last_attempt_at: opt_ts(row.try_get("last_attempt_at")?),
        last_success_at: opt_ts(row.try_get("last_success_at")?),
        last_error: row.try_get("last_error")?,
        failures: row.try_get("failures")?,
        next_sync_at: crate::ts(row.try_get("next_sync_at")?),
        calendars: Vec::new(),
    })
}

fn calendar_from_row(row: &sqlx::any::AnyRow) -> Result<CalendarRecord> {
    Ok(CalendarRecord {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        name: row.try_get("name")?,
        color: row.try_get("color")?,
        read_for_conflicts: row.try_get::<i64, _>("read_for_conflicts")? == 1,
        write_bookings: row.try_get::<i64, _>("write_bookings")? == 1,
        tag: row.try_get("tag")?,
        read_at: opt_ts(row.try_get("read_at")?),
    })
}

async fn with_calendars(
    conn: &mut AnyConnection,
    mut found: Vec<ConnectionRecord>,
) -> Result<Vec<ConnectionRecord>> {
    if found.is_empty() {
        return Ok(found);
    }
    let sql = format!(
        "SELECT * FROM connection_calendars WHERE connection_id IN ({}) ORDER BY connection_id, name, id",
        crate::placeholders(1, found.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for c in &found {
        q = q.bind(c.id.to_string());
    }
    for row in q.fetch_all(&mut *conn).await? {
        let owner: ConnectionId = parse_col(&row, "connection_id")?;
        if let Some(c) = found.iter_mut().find(|c| c.id == owner) {
            c.calendars.push(calendar_from_row(&row)?);
        }
    }
    Ok(found)
}

/// The user's connections, oldest first, with their calendars.
pub async fn of_user(conn: &mut AnyConnection, user: UserId) -> Result<Vec<ConnectionRecord>> {
    let rows = sqlx::query(
        "SELECT * FROM calendar_connections WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let found = rows
        .iter()
        .map(connection_from_row)
        .collect::<Result<Vec<_>>>()?;
    with_calendars(conn, found).await
}

/// One connection with its calendars.
pub async fn get(conn: &mut AnyConnection, id: ConnectionId) -> Result<Option<ConnectionRecord>> {
    let row = sqlx::query("SELECT * FROM calendar_connections WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let found = row.as_ref().map(connection_from_row).transpose()?;
    Ok(with_calendars(conn, found.into_iter().collect())
        .await?
        .pop())
}

/// How many connections the user has.
pub async fn count_of_user(conn: &mut AnyConnection, user: UserId) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM calendar_connections WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_one(conn)
            .await?,
    )
}

pub async fn insert(tx: &mut Tx, c: &ConnectionRecord) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO calendar_connections (id, user_id, company_id, provider, account, server_url, home_url, \
         username, secret_sealed, feed_etag, feed_last_modified, created_at, failures, next_sync_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13)",
    )
    .bind(c.id.to_string())
    .bind(c.user_id.to_string())
    .bind(c.company_id.to_string())
    .bind(&c.provider)
    .bind(&c.account)
    .bind(&c.server_url)
    .bind(&c.home_url)
    .bind(&c.username)
    .bind(&c.secret_sealed)
    .bind(&c.feed_etag)
    .bind(&c.feed_last_modified)
    .bind(ms(c.created_at))
    .bind(ms(c.next_sync_at))
    .execute(&mut *conn)
    .await?;
    for cal in &c.calendars {
        insert_calendar(conn, c.id, cal).await?;
    }
    Ok(())
}

async fn insert_calendar(
    conn: &mut AnyConnection,
    id: ConnectionId,
    cal: &CalendarRecord,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO connection_calendars (connection_id, id, url, name, color, read_for_conflicts, write_bookings, tag, read_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(&cal.id)
    .bind(&cal.url)
    .bind(&cal.name)
    .bind(&cal.color)
    .bind(i64::from(cal.read_for_conflicts))
    .bind(i64::from(cal.write_bookings))
    .bind(&cal.tag)
    .bind(cal.read_at.map(ms))
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes the connection's calendars `calendars` (after a sync found some added, renamed or
/// gone): new ones are added, gone ones removed with their busy time, the others renamed.
/// Choices (read, write) and tags of calendars that stay are kept.
pub async fn set_calendars(
    tx: &mut Tx,
    c: &ConnectionRecord,
    calendars: &[CalendarRecord],
) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    for old in &c.calendars {
        if !calendars.iter().any(|n| n.id == old.id) {
            sqlx::query("DELETE FROM connection_calendars WHERE connection_id = $1 AND id = $2")
                .bind(c.id.to_string())
                .bind(&old.id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM calendar_busy WHERE connection_id = $1 AND calendar_id = $2")
                .bind(c.id.to_string())
                .bind(&old.id)
                .execute(&mut *conn)
                .await?;
        }
    }
    for new in calendars {
        match c.calendars.iter().find(|o| o.id == new.id) {
            Some(old) if old.name != new.name || old.color != new.color || old.url != new.url => {
                sqlx::query("UPDATE connection_calendars SET name = $1, color = $2, url = $3 WHERE connection_id = $4 AND id = $5")
                    .bind(&new.name)
                    .bind(&new.color)
                    .bind(&new.url)
                    .bind(c.id.to_string())
                    .bind(&new.id)
                    .execute(&mut *conn)
                    .await?;
            }
            Some(_) => {}
            None => insert_calendar(conn, c.id, new).await?,
        }
    }
    bump_busy_version(conn, c.user_id).await
}

/// Sets which calendars are read for conflicts and which one receives bookings.
pub async fn set_choices(
    tx: &mut Tx,
    id: ConnectionId,
    choices: &[(String, bool, bool)],
) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    for (calendar, read, write) in choices {
        sqlx::query(
            "UPDATE connection_calendars SET read_for_conflicts = $1, write_bookings = $2 WHERE connection_id = $3 AND id = $4",
        )
        .bind(i64::from(*read))
        .bind(i64::from(*write))
        .bind(id.to_string())
        .bind(calendar)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Clears `write_bookings` on every calendar of the user's other connections (one calendar of
/// all a user's connections receives bookings).
pub async fn clear_other_write_targets(
    tx: &mut Tx,
    user: UserId,
    keep: ConnectionId,
) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE connection_calendars SET write_bookings = 0 WHERE connection_id <> $1 AND connection_id IN \
         (SELECT id FROM calendar_connections WHERE user_id = $2)",
    )
    .bind(keep.to_string())
    .bind(user.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a connection, its calendars and busy time.
pub async fn remove(tx: &mut Tx, c: &ConnectionRecord) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    for sql in [
        "DELETE FROM calendar_busy WHERE connection_id = $1",
        "DELETE FROM connection_calendars WHERE connection_id = $1",
        "DELETE FROM calendar_connections WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(c.id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    bump_busy_version(conn, c.user_id).await
}

/// Busy time changed: copies of the user's busy time kept by any node are stale.
async fn bump_busy_version(conn: &mut AnyConnection, user: UserId) -> Result<()> {
    sqlx::query("UPDATE users SET busy_version = busy_version + 1 WHERE id = $1")
        .bind(user.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces the busy time read from one calendar, and records its tag. Nothing is stored for a
/// calendar that is gone (its connection removed meanwhile) or no longer read for conflicts
/// (switched off while this sync ran): its rows are removed instead.
pub async fn replace_busy(
    tx: &mut Tx,
    c: &ConnectionRecord,
    calendar: &str,
    spans: &[(Timestamp, Timestamp)],
    tag: Option<&str>,
    at: Timestamp,
) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    // Two syncs of one calendar at once (a node's and a "sync now") take turns here: the second
    // deletes what the first inserted, instead of adding beside it.
    let locked = sqlx::query(
        "UPDATE connection_calendars SET read_at = read_at WHERE connection_id = $1 AND id = $2",
    )
    .bind(c.id.to_string())
    .bind(calendar)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM calendar_busy WHERE connection_id = $1 AND calendar_id = $2")
        .bind(c.id.to_string())
        .bind(calendar)
        .execute(&mut *conn)
        .await?;
    let read: Option<i64> = if locked.rows_affected() == 1 {
        sqlx::query_scalar(
            "SELECT read_for_conflicts FROM connection_calendars WHERE connection_id = $1 AND id = $2",
        )
        .bind(c.id.to_string())
        .bind(calendar)
        .fetch_optional(&mut *conn)
        .await?
    } else {
        None
    };
    if read != Some(1) {
        return bump_busy_version(conn, c.user_id).await;
    }
    let mut pieces = Vec::new();
    for &(start, end) in spans {
        let (mut s, e) = (ms(start), ms(end));
        while s < e {
            let next = (s + MAX_PIECE_MS).min(e);
            pieces.push((s, next));
            s = next;
        }
    }
    const ROWS: usize = 400;
    for chunk in pieces.chunks(ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, $2, $3, ${}, ${})", 4 + 2 * i, 5 + 2 * i))
            .collect();
        let sql = format!(
            "INSERT INTO calendar_busy (user_id, connection_id, calendar_id, start_at, end_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(c.user_id.to_string())
            .bind(c.id.to_string())
            .bind(calendar);
        for (s, e) in chunk {
            q = q.bind(*s).bind(*e);
        }
        q.execute(&mut *conn).await?;
    }
    sqlx::query(
        "UPDATE connection_calendars SET tag = $1, read_at = $2 WHERE connection_id = $3 AND id = $4",
    )
    .bind(tag)
    .bind(ms(at))
    .bind(c.id.to_string())
    .bind(calendar)
    .execute(&mut *conn)
    .await?;
    bump_busy_version(conn, c.user_id).await
}

/// Stops a calendar counting: its busy time goes, and so does what says it was read (its tag,
/// and a feed's ETag), so that reading it again later starts from nothing.
pub async fn clear_busy(tx: &mut Tx, c: &ConnectionRecord, calendar: &str) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM calendar_busy WHERE connection_id = $1 AND calendar_id = $2")
        .bind(c.id.to_string())
        .bind(calendar)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE connection_calendars SET tag = NULL, read_at = NULL WHERE connection_id = $1 AND id = $2",
    )
    .bind(c.id.to_string())
    .bind(calendar)
    .execute(&mut *conn)
    .await?;
    if c.provider == "ics" {
        sqlx::query(
            "UPDATE calendar_connections SET feed_etag = NULL, feed_last_modified = NULL WHERE id = $1",
        )
        .bind(c.id.to_string())
        .execute(&mut *conn)
        .await?;
    }
    bump_busy_version(conn, c.user_id).await
}

/// The ids of the appointments `user` hosts that touch `[from, to)` (their events in the
/// user's calendars are termin's own).
pub async fn hosted_ids(
    conn: &mut AnyConnection,
    user: UserId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<AppointmentId>> {
    let rows = sqlx::query(
        "SELECT appointment_id FROM appointment_hosts WHERE user_id = $1 AND start_at < $2 AND end_at > $3",
    )
    .bind(user.to_string())
    .bind(ms(to))
    .bind(ms(from))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| parse_col(r, "appointment_id"))
        .collect()
}

/// Marks a calendar read at `at` without a change (its tag was the same).
pub async fn touch_calendar(
    tx: &mut Tx,
    id: ConnectionId,
    calendar: &str,
    at: Timestamp,
) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE connection_calendars SET read_at = $1 WHERE connection_id = $2 AND id = $3",
    )
    .bind(ms(at))
    .bind(id.to_string())
    .bind(calendar)
    .execute(conn)
    .await?;
    Ok(())
}

/// How a sync ended.
pub struct SyncOutcome<'a> {
    pub at: Timestamp,
    pub error: Option<&'a str>,
    pub next_sync_at: Timestamp,
    pub home_url: Option<&'a str>,
    pub feed_etag: Option<&'a str>,
    pub feed_last_modified: Option<&'a str>,
}

pub async fn record_sync(tx: &mut Tx, id: ConnectionId, o: &SyncOutcome<'_>) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    let sql = if o.error.is_none() {
        "UPDATE calendar_connections SET last_attempt_at = $1, last_success_at = $1, last_error = $2, failures = 0, \
         next_sync_at = $3, locked_until = NULL, home_url = COALESCE($4, home_url), feed_etag = $5, \
         feed_last_modified = $6 WHERE id = $7"
    } else {
        "UPDATE calendar_connections SET last_attempt_at = $1, last_error = $2, failures = failures + 1, \
         next_sync_at = $3, locked_until = NULL, home_url = COALESCE($4, home_url), \
         feed_etag = COALESCE($5, feed_etag), feed_last_modified = COALESCE($6, feed_last_modified) WHERE id = $7"
    };
    sqlx::query(sql)
        .bind(ms(o.at))
        .bind(o.error)
        .bind(ms(o.next_sync_at))
        .bind(o.home_url)
        .bind(o.feed_etag)
        .bind(o.feed_last_modified)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Claims up to `limit` connections due for a sync until `lease_until`; another node skips them.
pub async fn claim_due(
    tx: &mut Tx,
    backend: Backend,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<ConnectionId>> {
    let conn: &mut AnyConnection = tx;
    let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(crate::claim_statement(
        backend,
        "calendar_connections",
        "next_sync_at <= $2",
        "next_sync_at",
        "id",
    )))
    .bind(ms(lease_until))
    .bind(ms(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    ids.iter()
        .map(|s| {
            s.parse()
                .map_err(|_| crate::StorageError::Corrupt(format!("connection id {s:?}")))
        })
        .collect()
}

/// The hosts' busy time from their calendars in `[from, to)`, as `(host, start, end)` pieces:
/// one query for any number of hosts.
pub async fn busy_of(
    conn: &mut AnyConnection,
    hosts: &[UserId],
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(UserId, Timestamp, Timestamp)>> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT user_id, start_at, end_at FROM calendar_busy WHERE start_at < $1 AND end_at > $2 \
         AND start_at > $3 AND user_id IN ({}) ORDER BY start_at",
        crate::placeholders(4, hosts.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(ms(to))
        .bind(ms(from))
        .bind(ms(from) - MAX_PIECE_MS);
    for h in hosts {
        q = q.bind(h.to_string());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                parse_col(r, "user_id")?,
                crate::ts(r.try_get("start_at")?),
                crate::ts(r.try_get("end_at")?),
            ))
        })
        .collect()
}

/// Asks for the appointment's event to be brought into each host's calendar: a write already
/// known for the appointment and host is woken (also when no calendar receives bookings any
/// more, so that the event written earlier is removed or moved), and a new one is added for a
/// host with a calendar receiving bookings.
///
/// `fresh`: the appointment was just made, so no write of it exists yet (one statement less in
/// the booking's transaction). `writers`: the hosts known to have a calendar receiving bookings
/// (from `lock_users`); a fresh appointment asks nothing for the others.
pub fn enqueue_writes(
    batch: &mut Batch,
    appointment: AppointmentId,
    hosts: &[UserId],
    at: Timestamp,
    fresh: bool,
    writers: Option<&[UserId]>,
) {
    for host in hosts {
        if fresh && writers.is_some_and(|w| !w.contains(host)) {
            continue;
        }
        if !fresh {
            batch.push(
                "UPDATE calendar_writes SET status = 'pending', version = version + 1, attempts = 0, \
                 next_attempt_at = $1, updated_at = $1 WHERE appointment_id = $2 AND user_id = $3",
                vec![
                    Value::from(ms(at)),
                    Value::from(appointment.to_string()),
                    Value::from(host.to_string()),
                ],
            );
        }
        batch.push(
            "INSERT INTO calendar_writes (id, appointment_id, user_id, status, version, attempts, next_attempt_at, created_at, updated_at) \
             SELECT $1, $2, $3, 'pending', 1, 0, $4, $4, $4 WHERE EXISTS (SELECT 1 FROM connection_calendars cc \
             JOIN calendar_connections c ON c.id = cc.connection_id WHERE c.user_id = $3 AND cc.write_bookings = 1) \
             ON CONFLICT (appointment_id, user_id) DO NOTHING",
            vec![
                Value::from(uuid::Uuid::now_v7().to_string()),
                Value::from(appointment.to_string()),
                Value::from(host.to_string()),
                Value::from(ms(at)),
            ],
        );
    }
}

/// A write claimed by this node.
#[derive(Debug, Clone)]
pub struct ClaimedWrite {
    pub id: String,
    pub appointment_id: AppointmentId,
    pub user_id: UserId,
    pub version: i64,
    pub attempts: i64,
    pub written_url: Option<String>,
}

pub async fn claim_writes(
    tx: &mut Tx,
    backend: Backend,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<ClaimedWrite>> {
    let conn: &mut AnyConnection = tx;
    let rows = sqlx::query(AssertSqlSafe(crate::claim_statement(
        backend,
        "calendar_writes",
        "status = 'pending' AND next_attempt_at <= $2",
        "next_attempt_at",
        "id, appointment_id, user_id, version, attempts, written_url",
    )))
    .bind(ms(lease_until))
    .bind(ms(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ClaimedWrite {
                id: r.try_get("id")?,
                appointment_id: parse_col(r, "appointment_id")?,
                user_id: parse_col(r, "user_id")?,
                version: r.try_get("version")?,
                attempts: r.try_get("attempts")?,
                written_url: r.try_get("written_url")?,
            })
        })
        .collect()
}

/// What one attempt at a write did.
pub struct WriteOutcome<'a> {
    pub at: Timestamp,
    /// `put`, `delete`, or `none` (nothing to write: no calendar receives bookings).
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub status_code: Option<u16>,
    pub error: Option<&'a str>,
    pub duration_ms: i64,
    /// Where the event is after this attempt (`None` once removed).
    pub written_url: Option<&'a str>,
    /// After a failure: when to try again, or `None` to give up.
    pub retry_at: Option<Timestamp>,
}

/// Records an attempt and moves the write on. A success is final only if the appointment did
/// not change while it ran (the version is the one claimed); otherwise the write stays due.
pub async fn record_write(tx: &mut Tx, w: &ClaimedWrite, o: &WriteOutcome<'_>) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO calendar_write_attempts (write_id, at, action, target, status_code, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&w.id)
    .bind(ms(o.at))
    .bind(o.action)
    .bind(o.target)
    .bind(o.status_code.map(i64::from))
    .bind(o.error)
    .bind(o.duration_ms)
    .execute(&mut *conn)
    .await?;
    let (status, next) = match (o.error, o.retry_at) {
        (None, _) => ("done", o.at),
        (Some(_), Some(retry)) => ("pending", retry),
        (Some(_), None) => ("failed", o.at),
    };
    // A change that came in while this ran keeps the write due, now.
    sqlx::query(
        "UPDATE calendar_writes SET status = CASE WHEN version = $1 THEN $2 ELSE 'pending' END, \
         next_attempt_at = CASE WHEN version = $1 THEN $3 ELSE $4 END, \
         attempts = CASE WHEN version = $1 THEN attempts + $5 ELSE 0 END, \
         written_url = CASE WHEN $6 = 1 THEN $7 ELSE written_url END, last_error = $8, \
         locked_until = NULL, updated_at = $4 WHERE id = $9",
    )
    .bind(w.version)
    .bind(status)
    .bind(ms(next))
    .bind(ms(o.at))
    .bind(i64::from(o.error.is_some()))
    .bind(i64::from(o.error.is_none()))
    .bind(o.written_url)
    .bind(o.error)
    .bind(&w.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One attempt at bringing an appointment into a calendar, for the delivery log.
#[derive(Debug, Clone)]
pub struct WriteAttempt {
    pub appointment_id: AppointmentId,
    pub at: Timestamp,
    pub action: String,
    pub status_code: Option<i64>,
    pub error: Option<String>,
}

/// The user's latest write attempts, newest first.
pub async fn attempts_of_user(
    conn: &mut AnyConnection,
    user: UserId,
    limit: i64,
) -> Result<Vec<WriteAttempt>> {
    let rows = sqlx::query(
        "SELECT w.appointment_id, a.at, a.action, a.status_code, a.error FROM calendar_write_attempts a \
         JOIN calendar_writes w ON w.id = a.write_id WHERE w.user_id = $1 ORDER BY a.at DESC LIMIT $2",
    )
    .bind(user.to_string())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(WriteAttempt {
                appointment_id: parse_col(r, "appointment_id")?,
                at: crate::ts(r.try_get("at")?),
                action: r.try_get("action")?,
                status_code: r.try_get("status_code")?,
                error: r.try_get("error")?,
            })
        })
        .collect()
}

/// Every connection's id and sealed secret (for sealing them again under a new key).
pub async fn all_sealed(conn: &mut AnyConnection) -> Result<Vec<(ConnectionId, String)>> {
    let rows = sqlx::query("SELECT id, secret_sealed FROM calendar_connections")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((parse_col(r, "id")?, r.try_get("secret_sealed")?)))
        .collect()
}

pub async fn set_sealed(tx: &mut Tx, id: ConnectionId, sealed: &str) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE calendar_connections SET secret_sealed = $1 WHERE id = $2")
        .bind(sealed)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
