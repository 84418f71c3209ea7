//! Stored answers of POSTs made with an `Idempotency-Key`.

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};

use crate::{ms, Batch, Result};

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

/// Adds the stored answer to `batch`, which the caller runs in the transaction that made it.
pub fn insert(batch: &mut Batch, scope: &str, key: &str, answer: &StoredAnswer, now: Timestamp) {
    batch.push(
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            scope.into(),
            key.into(),
            answer.request_hash.as_str().into(),
            i64::from(answer.status).into(),
            answer.body.as_str().into(),
            ms(now).into(),
        ],
    );
}
