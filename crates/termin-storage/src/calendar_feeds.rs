//! Users' outgoing calendar feeds (see the migration `0013_calendar_feeds.sql`).

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};
use termin_domain::credential::SecretHash;
use termin_domain::UserId;

use crate::{ms, parse_col, ts, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRecord {
    pub user_id: UserId,
    /// The token, sealed under the server's key.
    pub token_sealed: String,
    pub created_at: Timestamp,
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<FeedRecord> {
    Ok(FeedRecord {
        user_id: parse_col(row, "user_id")?,
        token_sealed: row.try_get("token_sealed")?,
        created_at: ts(row.try_get("created_at")?),
    })
}

/// The user's feed, if they have one.
pub async fn of_user(conn: &mut AnyConnection, user: UserId) -> Result<Option<FeedRecord>> {
    let row = sqlx::query("SELECT * FROM calendar_feeds WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The feed with this token, if any.
pub async fn by_token(conn: &mut AnyConnection, token: SecretHash) -> Result<Option<FeedRecord>> {
    let row = sqlx::query("SELECT * FROM calendar_feeds WHERE token_hash = $1")
        .bind(token.to_hex())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Gives the user a feed with this token. With `replace`, one they had is replaced (its
/// address stops working); without, one they have is kept and this one is dropped (two first
/// requests at once make one feed). One statement either way, so racing requests on PostgreSQL
/// cannot both insert.
pub async fn put(tx: &mut Tx, feed: &FeedRecord, token: SecretHash, replace: bool) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    let on_conflict = if replace {
        "DO UPDATE SET token_hash = excluded.token_hash, token_sealed = excluded.token_sealed, \
         created_at = excluded.created_at"
    } else {
        "DO NOTHING"
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO calendar_feeds (user_id, token_hash, token_sealed, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) {on_conflict}"
    )))
    .bind(feed.user_id.to_string())
    .bind(token.to_hex())
    .bind(&feed.token_sealed)
    .bind(ms(feed.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the user's feed; `false` when they had none.
pub async fn remove(tx: &mut Tx, user: UserId) -> Result<bool> {
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(user.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every feed's user and sealed token (for sealing them again under a new key).
pub async fn all_sealed(conn: &mut AnyConnection) -> Result<Vec<(UserId, String)>> {
    let rows = sqlx::query("SELECT user_id, token_sealed FROM calendar_feeds")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((parse_col(r, "user_id")?, r.try_get("token_sealed")?)))
        .collect()
}

pub async fn set_sealed(tx: &mut Tx, user: UserId, sealed: &str) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE calendar_feeds SET token_sealed = $1 WHERE user_id = $2")
        .bind(sealed)
        .bind(user.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
