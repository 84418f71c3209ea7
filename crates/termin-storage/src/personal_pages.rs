//! Personal page settings: one JSON document per user.

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};
use termin_domain::UserId;

use crate::{ms, Result, Tx};

/// The stored settings document of `user`, if any.
pub async fn find(conn: &mut AnyConnection, user: UserId) -> Result<Option<String>> {
    let row = sqlx::query("SELECT settings FROM personal_pages WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("settings")?),
        None => None,
    })
}

pub async fn store(tx: &mut Tx, user: UserId, settings: &str, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO personal_pages (user_id, settings, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings, \
         updated_at = excluded.updated_at",
    )
    .bind(user.to_string())
    .bind(settings)
    .bind(ms(now))
    .execute(conn)
    .await?;
    Ok(())
}
