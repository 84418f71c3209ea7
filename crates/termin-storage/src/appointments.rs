//! Appointments, their hosts and their attendees.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::credential::SecretHash;
use termin_domain::limits::MAX_APPOINTMENT_MS;
use termin_domain::{AppointmentId, AttendeeId, CompanyId, ContactId, MeetingTypeId, UserId};

use crate::{ms, ms_opt, parse_col, ts, ts_opt, Batch, Result, StorageError, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRecord {
    pub id: AppointmentId,
    pub company_id: CompanyId,
    pub meeting_type_id: MeetingTypeId,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub meeting_name: String,
    pub channel: String,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub spots: i64,
    pub taken_spots: i64,
    pub cancelled_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
    pub cancel_source: Option<String>,
    pub cancelled_by: Option<String>,
    pub rescheduled_at: Option<Timestamp>,
    pub reschedule_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub(crate) const COLUMNS: &str = "a.id, a.company_id, a.meeting_type_id, a.start_at, a.end_at, a.meeting_name, a.channel, \
     a.location, a.notes, a.spots, a.taken_spots, a.cancelled_at, a.cancel_reason, a.cancel_source, a.cancelled_by, \
     a.rescheduled_at, a.reschedule_count, a.created_at, a.updated_at";

pub(crate) fn from_row(row: &AnyRow) -> Result<AppointmentRecord> {
    Ok(AppointmentRecord {
        id: parse_col(row, "id")?,
        company_id: parse_col(row, "company_id")?,
        meeting_type_id: parse_col(row, "meeting_type_id")?,
        start_at: ts(row.try_get("start_at")?),
        end_at: ts(row.try_get("end_at")?),
        meeting_name: row.try_get("meeting_name")?,
        channel: row.try_get("channel")?,
        location: row.try_get("location")?,
        notes: row.try_get("notes")?,
        spots: row.try_get("spots")?,
        taken_spots: row.try_get("taken_spots")?,
        cancelled_at: ts_opt(row.try_get("cancelled_at")?),
        cancel_reason: row.try_get("cancel_reason")?,
        cancel_source: row.try_get("cancel_source")?,
        cancelled_by: row.try_get("cancelled_by")?,
        rescheduled_at: ts_opt(row.try_get("rescheduled_at")?),
        reschedule_count: row.try_get("reschedule_count")?,
        created_at: ts(row.try_get("created_at")?),
        updated_at: ts(row.try_get("updated_at")?),
    })
}

/// Adds a new appointment to `batch`.
pub fn insert(batch: &mut Batch, a: &AppointmentRecord) {
    batch.push(
        "INSERT INTO appointments (id, company_id, meeting_type_id, start_at, end_at, meeting_name, channel, location, \
         notes, spots, taken_spots, cancelled_at, cancel_reason, cancel_source, cancelled_by, \
         rescheduled_at, reschedule_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, NULL, NULL, NULL, 0, $12, $12)",
        vec![
            a.id.to_string().into(),
            a.company_id.to_string().into(),
            a.meeting_type_id.to_string().into(),
            ms(a.start_at).into(),
            ms(a.end_at).into(),
            a.meeting_name.as_str().into(),
            a.channel.as_str().into(),
            a.location.as_deref().into(),
            a.notes.as_deref().into(),
            a.spots.into(),
            a.taken_spots.into(),
            ms(a.created_at).into(),
        ],
    );
}

/// Adds a host row of a new appointment to `batch`; the overlap triggers (SQLite) and the
/// exclusion constraint (PostgreSQL) check it.
pub fn insert_host(batch: &mut Batch, a: &AppointmentRecord, host: UserId) {
    batch.push(
        "INSERT INTO appointment_hosts (appointment_id, user_id, start_at, end_at, active) VALUES ($1, $2, $3, $4, 1)",
        vec![
            a.id.to_string().into(),
            host.to_string().into(),
            ms(a.start_at).into(),
            ms(a.end_at).into(),
        ],
    );
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendeeRecord {
    pub id: AttendeeId,
    pub appointment_id: AppointmentId,
    pub contact_id: Option<ContactId>,
    pub email: String,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub fullname: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub language: Option<String>,
    pub receive_reminders: bool,
    /// JSON object.
    pub notes: String,
    /// JSON array of strings.
    pub bringalong_emails: String,
    pub cancelled_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

fn attendee_from_row(row: &AnyRow) -> Result<AttendeeRecord> {
    let contact: Option<String> = row.try_get("contact_id")?;
    Ok(AttendeeRecord {
        id: parse_col(row, "id")?,
        appointment_id: parse_col(row, "appointment_id")?,
        contact_id: contact.and_then(|c| c.parse().ok()),
        email: row.try_get("email")?,
        firstname: row.try_get("firstname")?,
        lastname: row.try_get("lastname")?,
        fullname: row.try_get("fullname")?,
        phone: row.try_get("phone")?,
        timezone: row.try_get("timezone")?,
        language: row.try_get("language")?,
        receive_reminders: row.try_get::<i64, _>("receive_reminders")? != 0,
        notes: row.try_get("notes")?,
        bringalong_emails: row.try_get("bringalong_emails")?,
        cancelled_at: ts_opt(row.try_get("cancelled_at")?),
        created_at: ts(row.try_get("created_at")?),
    })
}

/// Adds an attendee to `batch`. Without a `contact_id` the attendee is linked to the
/// company's contact with their email, if there is one (a booking upserts it earlier in the
/// same batch).
pub fn insert_attendee(
    batch: &mut Batch,
    company: CompanyId,
    a: &AttendeeRecord,
    secret: SecretHash,
) {
    batch.push(
        "INSERT INTO attendees (id, appointment_id, contact_id, email, firstname, lastname, fullname, phone, timezone, \
         language, receive_reminders, notes, bringalong_emails, secret_hash, cancelled_at, created_at) \
         VALUES ($1, $2, COALESCE($3, (SELECT id FROM contacts WHERE company_id = $16 AND email = $4)), \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, $15)",
        vec![
            a.id.to_string().into(),
            a.appointment_id.to_string().into(),
            a.contact_id.map(|c| c.to_string()).into(),
            a.email.as_str().into(),
            a.firstname.as_deref().into(),
            a.lastname.as_deref().into(),
            a.fullname.as_deref().into(),
            a.phone.as_deref().into(),
            a.timezone.as_deref().into(),
            a.language.as_deref().into(),
            i64::from(a.receive_reminders).into(),
            a.notes.as_str().into(),
            a.bringalong_emails.as_str().into(),
            secret.to_hex().into(),
            ms(a.created_at).into(),
            company.to_string().into(),
        ],
    );
}

/// Adds (or with a negative delta removes) seats taken. The CHECK constraint refuses overbooking.
pub async fn add_taken_spots(
    tx: &mut Tx,
    id: AppointmentId,
    delta: i64,
    now: Timestamp,
) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE appointments SET taken_spots = taken_spots + $1, updated_at = $2 WHERE id = $3",
    )
    .bind(delta)
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// An active appointment occupying one of `hosts` between `from` and `to`.
#[derive(Debug, Clone)]
pub struct BusyRow {
    pub host: UserId,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    /// Set when the appointment is a group appointment of the meeting type asked about, with
    /// seats not all taken: one more attendee may join it.
    pub open_group: Option<OpenGroup>,
    /// Busy time from the host's own calendar, not an appointment.
    pub from_calendar: bool,
}

/// A group appointment with free seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenGroup {
    pub appointment_id: AppointmentId,
    pub spots: i64,
    pub taken_spots: i64,
}

/// The hosts' busy intervals touching `[from, to)` (in no promised order), optionally
/// ignoring one appointment (the one being rescheduled). With `groups_of`, the open group
/// appointments of that meeting type are marked as such.
pub async fn busy_for_hosts(
    conn: &mut AnyConnection,
    hosts: &[UserId],
    from: Timestamp,
    to: Timestamp,
    ignore: Option<AppointmentId>,
    groups_of: Option<MeetingTypeId>,
) -> Result<Vec<BusyRow>> {
    let mut busy = busy_intervals(conn, hosts, from, to, ignore, false).await?;
    if let Some(meeting_type) = groups_of {
        mark_open_groups(conn, &mut busy, hosts, from, to, ignore, meeting_type).await?;
    }
    Ok(busy)
}

/// The hosts' busy intervals touching `[from, to)`, none marked as an open group. With
/// `calendars`, the busy time read from the hosts' own calendars comes along in the same query
/// (marked `from_calendar`, so never taken for a group appointment).
///
/// One row per host comes back, its intervals folded by `string_agg` (spelled the same in
/// SQLite 3.44+ and PostgreSQL): sqlx hands every row from SQLite's thread to the runtime
/// separately, and a team's month is thousands of intervals. The intervals come from the
/// `appointment_hosts_busy` and `calendar_busy_user` indexes alone.
pub async fn busy_intervals(
    conn: &mut AnyConnection,
    hosts: &[UserId],
    from: Timestamp,
    to: Timestamp,
    ignore: Option<AppointmentId>,
    calendars: bool,
) -> Result<Vec<BusyRow>> {
    if hosts.is_empty() {
        return Ok(Vec::new());
    }
    // On PostgreSQL the overlap is also stated as ranges, which the exclusion constraint's GiST
    // index answers exactly; without it the planner walks that index by host alone, and every
    // booking slowed as the host's calendar grew (2.8 ms at 4,000 rows, 0.03 ms with it).
    let overlap = if conn.backend_name() == "PostgreSQL" {
        " AND int8range(start_at, end_at) && int8range($2, $1)"
    } else {
        ""
    };
    let ids = crate::placeholders(6, hosts.len());
    // Calendar pieces are at most a day long (`calendars::MAX_PIECE_MS`), which bounds their
    // index range the same way; they are marked with a third field.
    let calendar_rows = if calendars {
        format!(
            " UNION ALL SELECT user_id, start_at || ',' || end_at || ',c' \
             FROM calendar_busy WHERE start_at < $1 AND end_at > $2 AND start_at > $5 \
             AND user_id IN ({ids})"
        )
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT user_id, string_agg(item, ';') AS busy FROM (\
         SELECT user_id, start_at || ',' || end_at AS item FROM appointment_hosts \
         WHERE active = 1 AND start_at < $1 AND end_at > $2 AND start_at > $4 \
         AND appointment_id <> $3 AND user_id IN ({ids}){overlap}{calendar_rows}\
         ) busy GROUP BY user_id"
    );
    let ignore = ignore.map(|i| i.to_string()).unwrap_or_default();
    // No appointment is longer than this, so the index range on start_at can be bounded.
    let lower = ms(from) - MAX_APPOINTMENT_MS;
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(ms(to))
        .bind(ms(from))
        .bind(&ignore)
        .bind(lower)
        .bind(ms(from) - crate::calendars::MAX_PIECE_MS);
    for h in hosts {
        q = q.bind(h.to_string());
    }
    let mut busy = Vec::new();
    for row in q.fetch_all(&mut *conn).await? {
        let host: UserId = parse_col(&row, "user_id")?;
        let folded: String = row.try_get("busy")?;
        for item in folded.split(';') {
            let bad = || StorageError::Corrupt(format!("busy time {item:?}"));
            let mut fields = item.split(',');
            let (Some(start), Some(end)) = (fields.next(), fields.next()) else {
                return Err(bad());
            };
            busy.push(BusyRow {
                host,
                start_at: ts(start.parse().map_err(|_| bad())?),
                end_at: ts(end.parse().map_err(|_| bad())?),
                open_group: None,
                from_calendar: fields.next() == Some("c"),
            });
        }
    }
    Ok(busy)
}

/// Marks the busy rows that are open group appointments of `meeting_type`, which one more
/// attendee may join.
pub async fn mark_open_groups(
    conn: &mut AnyConnection,
    busy: &mut [BusyRow],
    hosts: &[UserId],
    from: Timestamp,
    to: Timestamp,
    ignore: Option<AppointmentId>,
    meeting_type: MeetingTypeId,
) -> Result<()> {
    if hosts.is_empty() {
        return Ok(());
    }
    let ignore = ignore.map(|i| i.to_string()).unwrap_or_default();
    let lower = ms(from) - MAX_APPOINTMENT_MS;
    // Open group appointments are few (a group meeting type's own): read them on their own.
    let sql = format!(
        "SELECT h.user_id, a.id, a.start_at, a.spots, a.taken_spots \
         FROM appointments a JOIN appointment_hosts h ON h.appointment_id = a.id \
         WHERE a.meeting_type_id = $1 AND a.spots > 1 AND a.taken_spots < a.spots \
         AND a.cancelled_at IS NULL AND h.active = 1 AND a.start_at < $2 AND a.end_at > $3 \
         AND a.start_at > $5 AND a.id <> $4 AND h.user_id IN ({})",
        crate::placeholders(6, hosts.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql))
        .bind(meeting_type.to_string())
        .bind(ms(to))
        .bind(ms(from))
        .bind(&ignore)
        .bind(lower);
    for h in hosts {
        q = q.bind(h.to_string());
    }
    for row in q.fetch_all(conn).await? {
        let host: UserId = parse_col(&row, "user_id")?;
        let start = ts(row.try_get("start_at")?);
        let group = OpenGroup {
            appointment_id: parse_col(&row, "id")?,
            spots: row.try_get("spots")?,
            taken_spots: row.try_get("taken_spots")?,
        };
        if let Some(b) = busy
            .iter_mut()
            .find(|b| b.host == host && b.start_at == start && !b.from_calendar)
        {
            b.open_group = Some(group);
        }
    }
    Ok(())
}

/// Locks an appointment's row until the transaction ends (PostgreSQL; SQLite's write lock
/// already serialises writers), before a read-modify-write of its attendees.
pub async fn lock(tx: &mut Tx, id: AppointmentId) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM appointments WHERE id = $1 FOR UPDATE")
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

pub async fn find(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: AppointmentId,
) -> Result<Option<AppointmentRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM appointments a WHERE a.id = $1 AND a.company_id = $2"
    )))
    .bind(id.to_string())
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// An appointment's company and its attendees' secret hashes (hex), for a manage link: the
/// caller compares them in constant time.
pub async fn attendee_secrets(
    conn: &mut AnyConnection,
    id: AppointmentId,
) -> Result<Vec<(CompanyId, AttendeeId, String)>> {
    let rows = sqlx::query(
        "SELECT a.company_id, t.id, t.secret_hash FROM attendees t \
         JOIN appointments a ON a.id = t.appointment_id WHERE t.appointment_id = $1",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                parse_col(r, "company_id")?,
                parse_col(r, "id")?,
                r.try_get("secret_hash")?,
            ))
        })
        .collect()
}

/// How many attendees with this e-mail booked with the company since `since` (the public
/// pages' bound per e-mail).
pub async fn count_recent_bookings_by_email(
    conn: &mut AnyConnection,
    company: CompanyId,
    email: &str,
    since: Timestamp,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM attendees t JOIN appointments a ON a.id = t.appointment_id \
         WHERE a.company_id = $1 AND t.email = $2 AND t.created_at >= $3",
    )
    .bind(company.to_string())
    .bind(email)
    .bind(ms(since))
    .fetch_one(conn)
    .await?)
}

/// A host of an appointment, with what the appointment object shows of them.
#[derive(Debug, Clone)]
pub struct HostRow {
    pub appointment_id: AppointmentId,
    pub user_id: UserId,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub slug: String,
    pub timezone: String,
    pub language: String,
}

impl HostRow {
    pub fn full_name(&self) -> String {
        crate::users::full_name(&self.given_name, &self.family_name)
    }
}

pub async fn hosts_of(conn: &mut AnyConnection, ids: &[AppointmentId]) -> Result<Vec<HostRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT h.appointment_id, u.id, u.email, u.given_name, u.family_name, u.slug, u.timezone, u.language \
         FROM appointment_hosts h JOIN users u ON u.id = h.user_id WHERE h.appointment_id IN ({}) ORDER BY u.id",
        crate::placeholders(1, ids.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id.to_string());
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(HostRow {
                appointment_id: parse_col(r, "appointment_id")?,
                user_id: parse_col(r, "id")?,
                email: r.try_get("email")?,
                given_name: r.try_get("given_name")?,
                family_name: r.try_get("family_name")?,
                slug: r.try_get("slug")?,
                timezone: r.try_get("timezone")?,
                language: r.try_get("language")?,
            })
        })
        .collect()
}

pub async fn attendees_of(
    conn: &mut AnyConnection,
    ids: &[AppointmentId],
) -> Result<Vec<AttendeeRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, appointment_id, contact_id, email, firstname, lastname, fullname, phone, timezone, language, \
         receive_reminders, notes, bringalong_emails, cancelled_at, created_at FROM attendees WHERE appointment_id IN ({}) ORDER BY created_at, id",
        crate::placeholders(1, ids.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id.to_string());
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(attendee_from_row).collect()
}

/// Which appointments a listing returns.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub company: Option<CompanyId>,
    pub host: Option<UserId>,
    pub start_from: Option<Timestamp>,
    pub start_before: Option<Timestamp>,
    /// `upcoming`, `past` or `cancelled`, judged at `now`.
    pub status: Option<Status>,
    pub now: Option<Timestamp>,
    pub meeting_type: Option<MeetingTypeId>,
    pub search: Option<String>,
    pub updated_since: Option<Timestamp>,
    pub sort_by_created: bool,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Upcoming,
    Past,
    Cancelled,
}

enum Bind {
    Int(i64),
    Text(String),
}

pub async fn list(
    conn: &mut AnyConnection,
    f: &ListFilter,
) -> Result<(Vec<AppointmentRecord>, i64)> {
    let mut clauses: Vec<String> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    // Adds a bound value and returns its placeholder.
    let mut bind = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(c) = f.company {
        clauses.push(format!(
            "a.company_id = {}",
            bind(Bind::Text(c.to_string()))
        ));
    }
    if let Some(h) = f.host {
        clauses.push(format!(
            "EXISTS (SELECT 1 FROM appointment_hosts h WHERE h.appointment_id = a.id AND h.user_id = {})",
            bind(Bind::Text(h.to_string()))
        ));
    }
    if let Some(t) = f.start_from {
        clauses.push(format!("a.start_at >= {}", bind(Bind::Int(ms(t)))));
    }
    if let Some(t) = f.start_before {
        clauses.push(format!("a.start_at < {}", bind(Bind::Int(ms(t)))));
    }
    let now = ms_opt(f.now).unwrap_or(0);
    match f.status {
        Some(Status::Upcoming) => clauses.push(format!(
            "a.cancelled_at IS NULL AND a.end_at >= {}",
            bind(Bind::Int(now))
        )),
        Some(Status::Past) => clauses.push(format!(
            "a.cancelled_at IS NULL AND a.end_at < {}",
            bind(Bind::Int(now))
        )),
        Some(Status::Cancelled) => clauses.push("a.cancelled_at IS NOT NULL".into()),
        None => {}
    }
    if let Some(m) = f.meeting_type {
        clauses.push(format!(
            "a.meeting_type_id = {}",
            bind(Bind::Text(m.to_string()))
        ));
    }
    if let Some(t) = f.updated_since {
        clauses.push(format!("a.updated_at >= {}", bind(Bind::Int(ms(t)))));
    }
    if let Some(s) = &f.search {
        let escaped = s
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let p = bind(Bind::Text(format!("%{escaped}%")));
        clauses.push(format!(
            "(LOWER(a.meeting_name) LIKE {p} ESCAPE '\\' OR EXISTS (SELECT 1 FROM attendees t WHERE t.appointment_id = a.id \
             AND (LOWER(t.email) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(t.fullname, '')) LIKE {p} ESCAPE '\\')))"
        ));
    }
    let filter = if clauses.is_empty() {
        "1 = 1".to_owned()
    } else {
        clauses.join(" AND ")
    };
    let order = format!(
        "{} {}, a.id {}",
        if f.sort_by_created {
            "a.created_at"
        } else {
            "a.start_at"
        },
        if f.descending { "DESC" } else { "ASC" },
        if f.descending { "DESC" } else { "ASC" },
    );
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments a WHERE {filter} ORDER BY {order} LIMIT {} OFFSET {}",
        f.limit.max(0),
        f.offset.max(0)
    );
    let count_sql = format!("SELECT COUNT(*) FROM appointments a WHERE {filter}");
    let mut q = sqlx::query(AssertSqlSafe(sql));
    let mut cq = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
    for b in &binds {
        match b {
            Bind::Int(i) => {
                q = q.bind(*i);
                cq = cq.bind(*i);
            }
            Bind::Text(s) => {
                q = q.bind(s.clone());
                cq = cq.bind(s.clone());
            }
        }
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let total = cq.fetch_one(conn).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

pub struct Cancellation<'a> {
    pub reason: Option<&'a str>,
    pub source: &'a str,
    pub by: Option<&'a str>,
}

/// Cancels a whole appointment: its hosts are free again at once. `false` (and nothing
/// written) when it was cancelled already: the cancel is conditional, so of two racing ones
/// exactly one wins, on PostgreSQL's READ COMMITTED too.
pub async fn cancel(
    tx: &mut Tx,
    id: AppointmentId,
    c: &Cancellation<'_>,
    now: Timestamp,
) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE appointments SET cancelled_at = $1, cancel_reason = $2, cancel_source = $3, cancelled_by = $4, \
         updated_at = $1 WHERE id = $5 AND cancelled_at IS NULL",
    )
    .bind(ms(now))
    .bind(c.reason)
    .bind(c.source)
    .bind(c.by)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE appointment_hosts SET active = 0 WHERE appointment_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE attendees SET cancelled_at = COALESCE(cancelled_at, $1) WHERE appointment_id = $2",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(true)
}

/// Removes one attendee of a group appointment, freeing their seat.
pub async fn cancel_attendee(
    tx: &mut Tx,
    appointment: AppointmentId,
    attendee: AttendeeId,
    now: Timestamp,
) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE attendees SET cancelled_at = $1 WHERE id = $2 AND appointment_id = $3 AND cancelled_at IS NULL",
    )
    .bind(ms(now))
    .bind(attendee.to_string())
    .bind(appointment.to_string())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        add_taken_spots(tx, appointment, -1, now).await?;
    }
    Ok(done.rows_affected() == 1)
}

/// Moves an appointment; the hosts' rows move with it (and the overlap rule is checked again).
pub async fn reschedule(
    tx: &mut Tx,
    id: AppointmentId,
    start: Timestamp,
    end: Timestamp,
    now: Timestamp,
) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE appointments SET start_at = $1, end_at = $2, rescheduled_at = $3, reschedule_count = reschedule_count + 1, \
         updated_at = $3 WHERE id = $4",
    )
    .bind(ms(start))
    .bind(ms(end))
    .bind(ms(now))
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE appointment_hosts SET start_at = $1, end_at = $2 WHERE appointment_id = $3",
    )
    .bind(ms(start))
    .bind(ms(end))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that an appointment changed (for `updatedSince`) without changing its row otherwise.
pub async fn touch(tx: &mut Tx, id: AppointmentId, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE appointments SET updated_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_notes(tx: &mut Tx, id: AppointmentId, notes: &str, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE appointments SET notes = $1, updated_at = $2 WHERE id = $3")
        .bind(notes)
        .bind(ms(now))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_bringalong_emails(
    tx: &mut crate::Tx,
    appointment: AppointmentId,
    attendee: AttendeeId,
    emails_json: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE attendees SET bringalong_emails = $1 WHERE id = $2 AND appointment_id = $3",
    )
    .bind(emails_json)
    .bind(attendee.to_string())
    .bind(appointment.to_string())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE appointments SET updated_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(appointment.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Counts for tests and benchmarks: active attendees of one host at one start.
pub async fn count_active_attendees(
    conn: &mut AnyConnection,
    meeting_type: MeetingTypeId,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM attendees t JOIN appointments a ON a.id = t.appointment_id \
         WHERE a.meeting_type_id = $1 AND t.cancelled_at IS NULL AND a.cancelled_at IS NULL",
    )
    .bind(meeting_type.to_string())
    .fetch_one(conn)
    .await?)
}

/// The appointment an attendee belongs to.
pub async fn appointment_of_attendee(
    conn: &mut AnyConnection,
    attendee: AttendeeId,
) -> Result<Option<AppointmentId>> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT appointment_id FROM attendees WHERE id = $1")
            .bind(attendee.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(id.and_then(|i| i.parse().ok()))
}

/// Every appointment of the company that `user` hosts, by start (a data export).
pub async fn hosted_by(
    conn: &mut AnyConnection,
    company: CompanyId,
    user: UserId,
) -> Result<Vec<AppointmentRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM appointments a WHERE a.company_id = $1 AND a.id IN \
         (SELECT appointment_id FROM appointment_hosts WHERE user_id = $2) ORDER BY a.start_at, a.id"
    )))
    .bind(company.to_string())
    .bind(user.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Every appointment of the company with an attendee of this e-mail address (any case), by
/// start (a data export).
pub async fn attended_by(
    conn: &mut AnyConnection,
    company: CompanyId,
    email: &str,
) -> Result<Vec<AppointmentRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM appointments a WHERE a.company_id = $1 AND a.id IN \
         (SELECT appointment_id FROM attendees WHERE LOWER(email) = LOWER($2)) ORDER BY a.start_at, a.id"
    )))
    .bind(company.to_string())
    .bind(email)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
