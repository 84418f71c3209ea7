//! Platform API Keys. The key's id is part of the key, so lookup is by id and the stored hash is
//! compared in constant time.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::credential::SecretHash;
use termin_domain::tenancy::Plan;
use termin_domain::{ApiKeyId, CompanyId, UserId};

use crate::{ms, ms_opt, parse_col, ts, ts_opt, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub company_id: CompanyId,
    pub created_by: UserId,
    pub name: String,
    pub hint: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub deactivated_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const COLUMNS: &str = "k.id, k.company_id, k.created_by, k.name, k.hint, k.created_at, \
                       k.expires_at, k.last_used_at, k.deactivated_at, k.revoked_at";

fn from_row(row: &AnyRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: parse_col(row, "id")?,
        company_id: parse_col(row, "company_id")?,
        created_by: parse_col(row, "created_by")?,
        name: row.try_get("name")?,
        hint: row.try_get("hint")?,
        created_at: ts(row.try_get("created_at")?),
        expires_at: ts(row.try_get("expires_at")?),
        last_used_at: ts_opt(row.try_get("last_used_at")?),
        deactivated_at: ts_opt(row.try_get("deactivated_at")?),
        revoked_at: ts_opt(row.try_get("revoked_at")?),
    })
}

pub async fn insert(tx: &mut Tx, key: &ApiKeyRecord, hash: SecretHash) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO api_keys (id, company_id, created_by, name, key_hash, hint, created_at, \
         expires_at, last_used_at, deactivated_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(key.id.to_string())
    .bind(key.company_id.to_string())
    .bind(key.created_by.to_string())
    .bind(&key.name)
    .bind(hash.to_hex())
    .bind(&key.hint)
    .bind(ms(key.created_at))
    .bind(ms(key.expires_at))
    .bind(ms_opt(key.last_used_at))
    .bind(ms_opt(key.deactivated_at))
    .bind(ms_opt(key.revoked_at))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ApiKeyForAuth {
    pub key: ApiKeyRecord,
    pub key_hash_hex: String,
    pub plan: Plan,
}

pub async fn find_for_auth(
    conn: &mut AnyConnection,
    id: ApiKeyId,
) -> Result<Option<ApiKeyForAuth>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, k.key_hash, c.plan FROM api_keys k \
         JOIN companies c ON c.id = k.company_id WHERE k.id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(ApiKeyForAuth {
            key: from_row(&row)?,
            key_hash_hex: row.try_get("key_hash")?,
            plan: parse_col(&row, "plan")?,
        })
    })
    .transpose()
}

pub async fn touch(tx: &mut Tx, id: ApiKeyId, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .bind(ms(now) - 60_000)
    .execute(conn)
    .await?;
    Ok(())
}

/// A company's keys: those live at `now` (not revoked or expired; a deactivated one may come back) first, then
/// the others; newest first within each; at most [`crate::tokens::LIST_LIMIT`].
pub async fn list_for_company(
    conn: &mut AnyConnection,
    company: CompanyId,
    now: Timestamp,
) -> Result<Vec<ApiKeyRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys k WHERE k.company_id = $1 \
         ORDER BY CASE WHEN k.revoked_at IS NULL AND k.expires_at > $2 THEN 0 ELSE 1 END, \
         k.created_at DESC, k.id LIMIT {}",
        crate::tokens::LIST_LIMIT
    )))
    .bind(company.to_string())
    .bind(ms(now))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: ApiKeyId,
) -> Result<Option<ApiKeyRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys k WHERE k.id = $1 AND k.company_id = $2"
    )))
    .bind(id.to_string())
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Deactivates (`Some`) or reactivates (`None`) a key that is not revoked.
pub async fn set_deactivated(tx: &mut Tx, id: ApiKeyId, at: Option<Timestamp>) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done =
        sqlx::query("UPDATE api_keys SET deactivated_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(ms_opt(at))
            .bind(id.to_string())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn revoke(tx: &mut Tx, id: ApiKeyId, now: Timestamp) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// How many of a company's keys are neither revoked nor expired at `now`.
pub async fn count_live_for_company(
    conn: &mut AnyConnection,
    company: CompanyId,
    now: Timestamp,
) -> Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE company_id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(company.to_string())
    .bind(ms(now))
    .fetch_one(conn)
    .await?;
    Ok(n)
}
