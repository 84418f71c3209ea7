//! One-time account links: first-run setup, invitations and password resets (see the
//! migration `0012_account_links.sql`).

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use termin_domain::credential::SecretHash;
use termin_domain::UserId;

use crate::{ms, parse_col, ts, ts_opt, Result, Tx};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Creates the first company and its owner; there is no user yet.
    Setup,
    /// Lets a new member choose their first password.
    Invitation,
    /// Lets a user choose a new password.
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::Invitation => "invitation",
            Self::Reset => "reset",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Setup, Self::Invitation, Self::Reset]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLinkRecord {
    pub id: uuid::Uuid,
    pub purpose: Purpose,
    pub user_id: Option<UserId>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

fn from_row(row: &AnyRow) -> Result<AccountLinkRecord> {
    let purpose: String = row.try_get("purpose")?;
    let user: Option<String> = row.try_get("user_id")?;
    Ok(AccountLinkRecord {
        id: parse_col(row, "id")?,
        purpose: Purpose::parse(&purpose).ok_or_else(|| {
            crate::StorageError::Corrupt(format!("unknown account link purpose {purpose:?}"))
        })?,
        user_id: user.and_then(|u| u.parse().ok()),
        created_at: ts(row.try_get("created_at")?),
        expires_at: ts(row.try_get("expires_at")?),
        used_at: ts_opt(row.try_get("used_at")?),
    })
}

/// Stores a new link. Earlier unused links of the same purpose (and user) stop working: only
/// the newest setup link, invitation or reset of a person is good.
pub async fn insert(tx: &mut Tx, link: &AccountLinkRecord, token: SecretHash) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE account_links SET used_at = $1 \
         WHERE purpose = $2 AND used_at IS NULL AND (user_id = $3 OR (user_id IS NULL AND $3 IS NULL))",
    )
    .bind(ms(link.created_at))
    .bind(link.purpose.as_str())
    .bind(link.user_id.map(|u| u.to_string()))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO account_links (id, purpose, user_id, token_hash, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(link.id.to_string())
    .bind(link.purpose.as_str())
    .bind(link.user_id.map(|u| u.to_string()))
    .bind(token.to_hex())
    .bind(ms(link.created_at))
    .bind(ms(link.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The link with this token, if any (used or not).
pub async fn find(
    conn: &mut AnyConnection,
    token: SecretHash,
) -> Result<Option<AccountLinkRecord>> {
    let row = sqlx::query("SELECT * FROM account_links WHERE token_hash = $1")
        .bind(token.to_hex())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks a link used; `false` when it was used already (a second request racing the first).
pub async fn use_once(tx: &mut Tx, id: uuid::Uuid, at: Timestamp) -> Result<bool> {
    let conn: &mut AnyConnection = tx;
    let done =
        sqlx::query("UPDATE account_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(ms(at))
            .bind(id.to_string())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// How many links of `purpose` were made for `user` since `since`.
pub async fn count_since(
    conn: &mut AnyConnection,
    user: UserId,
    purpose: Purpose,
    since: Timestamp,
) -> Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM account_links WHERE user_id = $1 AND purpose = $2 AND created_at >= $3",
    )
    .bind(user.to_string())
    .bind(purpose.as_str())
    .bind(ms(since))
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Marks every unused link of a user used (their password was just set).
pub async fn use_all_of(tx: &mut Tx, user: UserId, at: Timestamp) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(ms(at))
        .bind(user.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
