//! Counts of failed logins per key (an account or a client address); see migration 7.

use jiff::Timestamp;
use sqlx::AnyConnection;

use crate::{ms, ts, Result, Tx};

/// The latest instant until which any of `keys` is blocked, if one is blocked at all.
pub async fn blocked_until(conn: &mut AnyConnection, keys: &[&str]) -> Result<Option<Timestamp>> {
    if keys.is_empty() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT MAX(blocked_until) FROM login_throttle WHERE key IN ({})",
        crate::placeholders(1, keys.len())
    );
    let mut q = sqlx::query_scalar::<_, Option<i64>>(sqlx::AssertSqlSafe(sql));
    for k in keys {
        q = q.bind(*k);
    }
    Ok(q.fetch_one(conn).await?.map(ts))
}

/// Counts one more failure for `key` (starting over when the last one is older than
/// `forget_before`) and answers the count. Atomic on both backends: parallel failures all count.
pub async fn record_failure(
    tx: &mut Tx,
    key: &str,
    now: Timestamp,
    forget_before: Timestamp,
) -> Result<i64> {
    let conn: &mut AnyConnection = tx;
    let failures = sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, last_failure_at, blocked_until) \
         VALUES ($1, 1, $2, 0) \
         ON CONFLICT (key) DO UPDATE SET \
         failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 \
                    ELSE login_throttle.failures + 1 END, \
         last_failure_at = $2 \
         RETURNING failures",
    )
    .bind(key)
    .bind(ms(now))
    .bind(ms(forget_before))
    .fetch_one(conn)
    .await?;
    Ok(failures)
}

/// Deletes the rows whose failures are forgotten and whose block is over: the table holds only
/// what still counts, however many keys an attacker makes up.
pub async fn prune(tx: &mut Tx, forget_before: Timestamp, now: Timestamp) -> Result<u64> {
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "DELETE FROM login_throttle WHERE last_failure_at < $1 AND blocked_until <= $2",
    )
    .bind(ms(forget_before))
    .bind(ms(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Blocks `key` until `until` (never shortening a block already longer).
pub async fn block(tx: &mut Tx, key: &str, until: Timestamp) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE login_throttle SET blocked_until = $2 WHERE key = $1 AND blocked_until < $2",
    )
    .bind(key)
    .bind(ms(until))
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets the failures of `key` (a successful login to the account).
pub async fn clear(tx: &mut Tx, key: &str) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}
