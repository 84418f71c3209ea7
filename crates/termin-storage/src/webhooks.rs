//! Webhook subscriptions and the delivery outbox.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::{CompanyId, DeliveryId, EventId, WebhookId};

use crate::{ms, ms_opt, parse_col, ts, ts_opt, Backend, Batch, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: WebhookId,
    pub company_id: CompanyId,
    pub endpoint: String,
    /// JSON array of event type names.
    pub event_types: String,
    pub description: Option<String>,
    pub secret: String,
    pub consecutive_failures: i64,
    pub disabled_at: Option<Timestamp>,
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn webhook_from_row(row: &AnyRow) -> Result<WebhookRecord> {
    Ok(WebhookRecord {
        id: parse_col(row, "id")?,
        company_id: parse_col(row, "company_id")?,
        endpoint: row.try_get("endpoint")?,
        event_types: row.try_get("event_types")?,
        description: row.try_get("description")?,
        secret: row.try_get("secret")?,
        consecutive_failures: row.try_get("consecutive_failures")?,
        disabled_at: ts_opt(row.try_get("disabled_at")?),
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: ts(row.try_get("created_at")?),
        updated_at: ts(row.try_get("updated_at")?),
    })
}

const WEBHOOK_COLUMNS: &str =
    "id, company_id, endpoint, event_types, description, secret, consecutive_failures, \
     disabled_at, disabled_reason, created_at, updated_at";

pub async fn insert(tx: &mut Tx, w: &WebhookRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO webhooks (id, company_id, endpoint, event_types, description, secret, consecutive_failures, \
         disabled_at, disabled_reason, created_at, updated_at, deleted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)",
    )
    .bind(w.id.to_string())
    .bind(w.company_id.to_string())
    .bind(&w.endpoint)
    .bind(&w.event_types)
    .bind(w.description.as_deref())
    .bind(&w.secret)
    .bind(w.consecutive_failures)
    .bind(ms_opt(w.disabled_at))
    .bind(w.disabled_reason.as_deref())
    .bind(ms(w.created_at))
    .bind(ms(w.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(tx: &mut Tx, w: &WebhookRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE webhooks SET endpoint = $1, event_types = $2, description = $3, secret = $4, \
         consecutive_failures = $5, disabled_at = $6, disabled_reason = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&w.endpoint)
    .bind(&w.event_types)
    .bind(w.description.as_deref())
    .bind(&w.secret)
    .bind(w.consecutive_failures)
    .bind(ms_opt(w.disabled_at))
    .bind(w.disabled_reason.as_deref())
    .bind(ms(w.updated_at))
    .bind(w.id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: WebhookId,
) -> Result<Option<WebhookRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND company_id = $2 AND deleted_at IS NULL"
    )))
    .bind(id.to_string())
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(webhook_from_row).transpose()
}

pub async fn list(conn: &mut AnyConnection, company: CompanyId) -> Result<Vec<WebhookRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE company_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
    )))
    .bind(company.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(webhook_from_row).collect()
}

pub async fn soft_delete(tx: &mut Tx, id: WebhookId, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE webhooks SET deleted_at = $1, updated_at = $1 WHERE id = $2")
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'webhook deleted', updated_at = $1 \
         WHERE webhook_id = $2 AND status = 'pending'",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// The active webhooks of the company subscribed to `event_type`.
pub async fn subscribers(
    conn: &mut AnyConnection,
    company: CompanyId,
    event_type: &str,
) -> Result<Vec<String>> {
    // A company has at most a handful of webhooks, so they are filtered here: a LIKE with a
    // bound pattern makes SQLite re-prepare the statement on every call (the pattern can change
    // the plan), and this runs on every booking.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, event_types FROM webhooks WHERE company_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
    )
    .bind(company.to_string())
    .fetch_all(conn)
    .await?;
    let quoted = format!("\"{event_type}\"");
    Ok(rows
        .into_iter()
        .filter(|(_, types)| types.contains(&quoted))
        .map(|(id, _)| id)
        .collect())
}

/// Records an event and one pending delivery per webhook in `subscribers` (as [`subscribers`]
/// found them in the same transaction), inside the caller's transaction, in one batch.
/// Returns how many deliveries were queued.
pub async fn enqueue(
    tx: &mut Tx,
    company: CompanyId,
    event_type: &str,
    subscribers: &[String],
    payload: &str,
    now: Timestamp,
) -> Result<usize> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    if subscribers.is_empty() {
        return Ok(0);
    }
    let event = EventId::new().to_string();
    let mut batch = Batch::new();
    batch.push(
        "INSERT INTO webhook_events (id, company_id, event_type, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            event.as_str().into(),
            company.to_string().into(),
            event_type.into(),
            payload.into(),
            ms(now).into(),
        ],
    );
    for webhook in subscribers {
        batch.push(
            "INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, attempts, next_attempt_at, locked_until, \
             last_status_code, last_error, created_at, updated_at, delivered_at) \
             VALUES ($1, $2, $3, 'pending', 0, $4, NULL, NULL, NULL, $4, $4, NULL)",
            vec![
                DeliveryId::new().to_string().into(),
                webhook.as_str().into(),
                event.as_str().into(),
                ms(now).into(),
            ],
        );
    }
    batch.execute(conn).await?;
    Ok(subscribers.len())
}

/// A delivery a worker has claimed, with everything needed to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub company_id: CompanyId,
    pub endpoint: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
    pub webhook_active: bool,
}

/// Claims up to `limit` due deliveries until `lease_until`. On PostgreSQL concurrent workers skip
/// rows another worker is claiming (`FOR UPDATE SKIP LOCKED`); on SQLite the single writer
/// serialises claims. Either way a delivery is claimed by one worker at a time.
pub async fn claim_due(
    tx: &mut Tx,
    backend: Backend,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<ClaimedDelivery>> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let ids: Vec<String> = sqlx::query_scalar(AssertSqlSafe(crate::claim_statement(
        backend,
        "webhook_deliveries",
        "status = 'pending' AND next_attempt_at <= $2",
        "next_attempt_at",
        "id",
    )))
    .bind(ms(lease_until))
    .bind(ms(now))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query(
            "SELECT d.id, d.webhook_id, d.attempts, w.company_id, w.endpoint, w.secret, w.deleted_at, w.disabled_at, e.payload \
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.id = $1",
        )
        .bind(&id)
        .fetch_one(&mut *conn)
        .await?;
        claimed.push(ClaimedDelivery {
            id: parse_col(&row, "id")?,
            webhook_id: parse_col(&row, "webhook_id")?,
            company_id: parse_col(&row, "company_id")?,
            endpoint: row.try_get("endpoint")?,
            secret: row.try_get("secret")?,
            payload: row.try_get("payload")?,
            attempts: row.try_get("attempts")?,
            webhook_active: row.try_get::<Option<i64>, _>("deleted_at")?.is_none()
                && row.try_get::<Option<i64>, _>("disabled_at")?.is_none(),
        });
    }
    Ok(claimed)
}

/// What one attempt achieved.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub at: Timestamp,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// `None` after a success; else when to try again, or `None` in `give_up` to stop for good.
    pub succeeded: bool,
    pub retry_at: Option<Timestamp>,
}

/// Records an attempt and moves the delivery on: delivered, scheduled again, or failed.
/// Returns the webhook's consecutive failed deliveries after this one (0 after a success).
pub async fn record_attempt(tx: &mut Tx, d: &ClaimedDelivery, o: &AttemptOutcome) -> Result<i64> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(d.id.to_string())
    .bind(ms(o.at))
    .bind(o.status_code.map(i64::from))
    .bind(o.error.as_deref())
    .bind(o.duration_ms)
    .execute(&mut *conn)
    .await?;
    let (status, next, delivered) = match (o.succeeded, o.retry_at) {
        (true, _) => ("succeeded", ms(o.at), Some(ms(o.at))),
        (false, Some(retry)) => ("pending", ms(retry), None),
        (false, None) => ("failed", ms(o.at), None),
    };
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, locked_until = NULL, \
         last_status_code = $3, last_error = $4, updated_at = $5, delivered_at = $6 WHERE id = $7",
    )
    .bind(status)
    .bind(next)
    .bind(o.status_code.map(i64::from))
    .bind(o.error.as_deref())
    .bind(ms(o.at))
    .bind(delivered)
    .bind(d.id.to_string())
    .execute(&mut *conn)
    .await?;
    let change = match status {
        "succeeded" => "consecutive_failures = 0",
        "failed" => "consecutive_failures = consecutive_failures + 1",
        _ => "consecutive_failures = consecutive_failures",
    };
    let failures: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "UPDATE webhooks SET {change} WHERE id = $1 RETURNING consecutive_failures"
    )))
    .bind(d.webhook_id.to_string())
    .fetch_one(conn)
    .await?;
    Ok(failures)
}

/// Marks a claimed delivery failed without an attempt (its webhook was deleted or disabled).
pub async fn abandon(tx: &mut Tx, id: DeliveryId, reason: &str, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', locked_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(reason)
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Disables a webhook that keeps failing, saying why.
pub async fn disable(tx: &mut Tx, id: WebhookId, reason: &str, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE webhooks SET disabled_at = $1, disabled_reason = $2, updated_at = $1 WHERE id = $3 AND disabled_at IS NULL")
        .bind(ms(now))
        .bind(reason)
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: DeliveryId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub attempt_log: Vec<AttemptRecord>,
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub attempted_at: Timestamp,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// The newest deliveries of a webhook with their attempts.
pub async fn deliveries(
    conn: &mut AnyConnection,
    webhook: WebhookId,
    limit: i64,
) -> Result<Vec<DeliveryRecord>> {
    read_deliveries(conn, webhook, None, limit).await
}

/// One delivery of a webhook, with its attempts.
pub async fn delivery(
    conn: &mut AnyConnection,
    webhook: WebhookId,
    id: DeliveryId,
) -> Result<Option<DeliveryRecord>> {
    Ok(read_deliveries(conn, webhook, Some(id), 1).await?.pop())
}

async fn read_deliveries(
    conn: &mut AnyConnection,
    webhook: WebhookId,
    only: Option<DeliveryId>,
    limit: i64,
) -> Result<Vec<DeliveryRecord>> {
    let rows = sqlx::query(
        "SELECT d.id, d.event_id, e.event_type, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, \
         d.created_at, d.delivered_at FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
         WHERE d.webhook_id = $1 AND ($3 = '' OR d.id = $3) ORDER BY d.created_at DESC, d.id DESC LIMIT $2",
    )
    .bind(webhook.to_string())
    .bind(limit)
    .bind(only.map(|d| d.to_string()).unwrap_or_default())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: DeliveryId = parse_col(&r, "id")?;
        let attempts = sqlx::query(
            "SELECT attempted_at, status_code, error, duration_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempted_at, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|a| {
            Ok(AttemptRecord {
                attempted_at: ts(a.try_get("attempted_at")?),
                status_code: a.try_get("status_code")?,
                error: a.try_get("error")?,
                duration_ms: a.try_get("duration_ms")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        out.push(DeliveryRecord {
            id,
            event_id: parse_col(&r, "event_id")?,
            event_type: r.try_get("event_type")?,
            status: r.try_get("status")?,
            attempts: r.try_get("attempts")?,
            next_attempt_at: ts(r.try_get("next_attempt_at")?),
            last_status_code: r.try_get("last_status_code")?,
            last_error: r.try_get("last_error")?,
            created_at: ts(r.try_get("created_at")?),
            delivered_at: ts_opt(r.try_get("delivered_at")?),
            attempt_log: attempts,
        });
    }
    Ok(out)
}

/// Puts a delivery of this webhook back in the queue, due now. Returns whether it exists.
pub async fn retry(
    tx: &mut Tx,
    webhook: WebhookId,
    id: DeliveryId,
    now: Timestamp,
) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, locked_until = NULL, updated_at = $1 \
         WHERE id = $2 AND webhook_id = $3",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .bind(webhook.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
