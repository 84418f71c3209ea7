//! Dashboard login sessions. Only the hash of the cookie value is stored.

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};
use termin_domain::credential::SecretHash;
use termin_domain::tenancy::{Plan, Role};
use termin_domain::{CompanyId, SessionId, UserId};

use crate::{ms, parse_col, ts, Result, Tx};

pub struct NewSession {
    pub id: SessionId,
    pub user_id: UserId,
    pub secret_hash: SecretHash,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert(tx: &mut Tx, s: &NewSession) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, secret_hash, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(s.id.to_string())
    .bind(s.user_id.to_string())
    .bind(s.secret_hash.to_hex())
    .bind(ms(s.created_at))
    .bind(ms(s.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SessionForAuth {
    pub id: SessionId,
    pub user_id: UserId,
    pub company_id: CompanyId,
    pub role: Role,
    pub plan: Plan,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_active: bool,
}

pub async fn find_for_auth(
    conn: &mut AnyConnection,
    secret: SecretHash,
) -> Result<Option<SessionForAuth>> {
    let row = sqlx::query(
        "SELECT s.id, s.user_id, s.last_seen_at, s.expires_at, u.company_id, u.role, \
         u.deactivated_at, u.removed_at, c.plan \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN companies c ON c.id = u.company_id \
         WHERE s.secret_hash = $1",
    )
    .bind(secret.to_hex())
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(SessionForAuth {
            id: parse_col(&row, "id")?,
            user_id: parse_col(&row, "user_id")?,
            company_id: parse_col(&row, "company_id")?,
            role: parse_col(&row, "role")?,
            plan: parse_col(&row, "plan")?,
            last_seen_at: ts(row.try_get("last_seen_at")?),
            expires_at: ts(row.try_get("expires_at")?),
            user_active: row.try_get::<Option<i64>, _>("deactivated_at")?.is_none()
                && row.try_get::<Option<i64>, _>("removed_at")?.is_none(),
        })
    })
    .transpose()
}

/// Extends the idle timeout; written at most once a minute per session.
pub async fn touch(tx: &mut Tx, id: SessionId, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $3")
        .bind(ms(now))
        .bind(id.to_string())
        .bind(ms(now) - 60_000)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: SessionId) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (on removal or deactivation).
pub async fn delete_for_user(tx: &mut Tx, user: UserId) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
