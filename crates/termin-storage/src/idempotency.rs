//! Stored answers of POSTs made with an `Idempotency-Key`.

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};

use crate::{ms, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

pub async fn find(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
) -> Result<Option<StoredAnswer>> {
    let row = sqlx::query("SELECT request_hash, status, body FROM idempotency_keys WHERE scope = $1 AND idem_key = $2")
        .bind(scope)
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(StoredAnswer {
            request_hash: r.try_get("request_hash")?,
            status: u16::try_from(r.try_get::<i64, _>("status")?).unwrap_or(500),
            body: r.try_get("body")?,
        })
    })
    .transpose()
}

pub async fn insert(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    answer: &StoredAnswer,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(scope)
    .bind(key)
    .bind(&answer.request_hash)
    .bind(i64::from(answer.status))
    .bind(&answer.body)
    .bind(ms(now))
    .execute(conn)
    .await?;
    Ok(())
}
