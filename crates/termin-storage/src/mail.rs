//! The mail outbox (see the migration `0010_mail.sql`).

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::{AppointmentId, CompanyId, MailId, UserId};

use crate::{ms, parse_col, ts, ts_opt, Backend, Batch, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    pub id: MailId,
    pub company_id: CompanyId,
    pub appointment_id: Option<AppointmentId>,
    pub kind: String,
    pub recipient: String,
    pub language: String,
    pub payload: String,
    pub sender_id: Option<UserId>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, company_id, appointment_id, kind, recipient, language, payload, sender_id, \
                       status, attempts, next_attempt_at, last_error, created_at, updated_at, sent_at";

fn from_row(row: &AnyRow) -> Result<MailRecord> {
    let appointment: Option<String> = row.try_get("appointment_id")?;
    let sender: Option<String> = row.try_get("sender_id")?;
    Ok(MailRecord {
        id: parse_col(row, "id")?,
        company_id: parse_col(row, "company_id")?,
        appointment_id: appointment.and_then(|a| a.parse().ok()),
        kind: row.try_get("kind")?,
        recipient: row.try_get("recipient")?,
        language: row.try_get("language")?,
        payload: row.try_get("payload")?,
        sender_id: sender.and_then(|s| s.parse().ok()),
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: ts(row.try_get("next_attempt_at")?),
        last_error: row.try_get("last_error")?,
        created_at: ts(row.try_get("created_at")?),
        updated_at: ts(row.try_get("updated_at")?),
        sent_at: ts_opt(row.try_get("sent_at")?),
    })
}

/// Adds a pending message to `batch` (the change's own transaction writes it).
pub fn insert(batch: &mut Batch, m: &MailRecord) {
    batch.push(
        "INSERT INTO mail_outbox (id, company_id, appointment_id, kind, recipient, language, payload, sender_id, \
         status, attempts, next_attempt_at, locked_until, last_error, created_at, updated_at, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, $12, $12, NULL)",
        vec![
            m.id.to_string().into(),
            m.company_id.to_string().into(),
            m.appointment_id.map(|a| a.to_string()).into(),
            m.kind.as_str().into(),
            m.recipient.as_str().into(),
            m.language.as_str().into(),
            m.payload.as_str().into(),
            m.sender_id.map(|s| s.to_string()).into(),
            m.status.as_str().into(),
            m.attempts.into(),
            ms(m.next_attempt_at).into(),
            ms(m.created_at).into(),
        ],
    );
}

/// Withdraws an appointment's reminders not yet sent (it moved or was cancelled).
pub async fn cancel_pending_reminders(
    tx: &mut Tx,
    appointment: AppointmentId,
    recipient: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE mail_outbox SET status = 'cancelled', updated_at = $1 \
         WHERE appointment_id = $2 AND kind = 'reminder' AND status = 'pending' \
         AND ($3 = '' OR recipient = $3)",
    )
    .bind(ms(now))
    .bind(appointment.to_string())
    .bind(recipient.unwrap_or(""))
    .execute(conn)
    .await?;
    Ok(())
}

/// The messages about an appointment of the given kinds, oldest first (a later message reuses
/// what an earlier one said, such as an attendee's manage link).
pub async fn of_appointment(
    conn: &mut AnyConnection,
    appointment: AppointmentId,
    kind: &str,
) -> Result<Vec<MailRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE appointment_id = $1 AND kind = $2 ORDER BY created_at, id"
    )))
    .bind(appointment.to_string())
    .bind(kind)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Claims up to `limit` due messages until `lease_until`, as webhook deliveries are claimed:
/// one worker at a time per message, on either backend.
pub async fn claim_due(
    tx: &mut Tx,
    backend: Backend,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<MailRecord>> {
    let conn: &mut AnyConnection = tx;
    let rows = sqlx::query(AssertSqlSafe(crate::claim_statement(
        backend,
        "mail_outbox",
        "status = 'pending' AND next_attempt_at <= $2",
        "next_attempt_at",
        COLUMNS,
    )))
    .bind(ms(lease_until))
    .bind(ms(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// What became of one attempt to send a message.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent,
    /// Try again at this time.
    Retry(Timestamp, String),
    /// Give up: `failed`, or `unsent` when no server was configured to send it.
    Stop(&'static str, String),
}

/// Records what became of a claimed message. Only the claim's holder records, and only while
/// the message is pending: one whose claim ran out and was taken by another worker is left to
/// that one, and a reminder withdrawn meanwhile stays withdrawn.
pub async fn record(
    tx: &mut Tx,
    id: MailId,
    claimed_until: Timestamp,
    outcome: &Outcome,
    at: Timestamp,
) -> Result<bool> {
    let conn: &mut AnyConnection = tx;
    let (status, next, error, sent) = match outcome {
        Outcome::Sent => ("sent", at, None, Some(ms(at))),
        Outcome::Retry(next, error) => ("pending", *next, Some(error.as_str()), None),
        Outcome::Stop(status, error) => (*status, at, Some(error.as_str()), None),
    };
    let changed = sqlx::query(
        "UPDATE mail_outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, locked_until = NULL, \
         last_error = $3, updated_at = $4, sent_at = $5 WHERE id = $6 AND locked_until = $7 \
         AND status = 'pending'",
    )
    .bind(status)
    .bind(ms(next))
    .bind(error)
    .bind(ms(at))
    .bind(sent)
    .bind(id.to_string())
    .bind(ms(claimed_until))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Which messages a listing returns, newest first.
#[derive(Debug, Clone, Default)]
pub struct MailFilter {
    pub company: Option<CompanyId>,
    /// Messages about appointments this user hosts, or that they sent.
    pub involving: Option<UserId>,
    pub status: Option<String>,
    pub appointment: Option<AppointmentId>,
    /// Messages to this address (any case).
    pub recipient: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(conn: &mut AnyConnection, f: &MailFilter) -> Result<(Vec<MailRecord>, i64)> {
    let mut clauses = vec!["1 = 1".to_owned()];
    let mut binds: Vec<String> = Vec::new();
    let bind = |clause: &str, value: String, binds: &mut Vec<String>| {
        binds.push(value);
        clause.replace('?', &format!("${}", binds.len()))
    };
    if let Some(c) = f.company {
        clauses.push(bind("company_id = ?", c.to_string(), &mut binds));
    }
    if let Some(u) = f.involving {
        let user = u.to_string();
        let a = bind("(sender_id = ?", user.clone(), &mut binds);
        let b = bind(
            "appointment_id IN (SELECT appointment_id FROM appointment_hosts WHERE user_id = ?))",
            user,
            &mut binds,
        );
        clauses.push(format!("{a} OR {b}"));
    }
    if let Some(s) = &f.status {
        clauses.push(bind("status = ?", s.clone(), &mut binds));
    }
    if let Some(a) = f.appointment {
        clauses.push(bind("appointment_id = ?", a.to_string(), &mut binds));
    }
    if let Some(r) = &f.recipient {
        clauses.push(bind("LOWER(recipient) = LOWER(?)", r.clone(), &mut binds));
    }
    let filter = clauses.join(" AND ");
    let count_sql = format!("SELECT COUNT(*) FROM mail_outbox WHERE {filter}");
    let mut count = sqlx::query_scalar(AssertSqlSafe(count_sql));
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total: i64 = count.fetch_one(&mut *conn).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
        f.limit.max(0),
        f.offset.max(0)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in &binds {
        q = q.bind(b.clone());
    }
    let rows = q.fetch_all(conn).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

pub async fn find(conn: &mut AnyConnection, id: MailId) -> Result<Option<MailRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM mail_outbox WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// How many messages `sender` has written since `since` (the quick-mail bound).
pub async fn count_sent_by(
    conn: &mut AnyConnection,
    sender: UserId,
    since: Timestamp,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_outbox WHERE sender_id = $1 AND created_at > $2",
    )
    .bind(sender.to_string())
    .bind(ms(since))
    .fetch_one(conn)
    .await?)
}

/// Replaces a message's stored payload (a sent message's account link is not kept).
pub async fn set_payload(tx: &mut Tx, id: MailId, payload: &str) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE mail_outbox SET payload = $1 WHERE id = $2")
        .bind(payload)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
