//! Personal Access Tokens. Only the SHA-256 of a token is stored.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::credential::{Scopes, SecretHash};
use termin_domain::tenancy::{Plan, Role};
use termin_domain::{CompanyId, TokenId, UserId};

use crate::{ms, ms_opt, parse_col, ts, ts_opt, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub hint: String,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

const COLUMNS: &str =
    "t.id, t.user_id, t.name, t.hint, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

fn from_row(row: &AnyRow) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: parse_col(row, "id")?,
        user_id: parse_col(row, "user_id")?,
        name: row.try_get("name")?,
        hint: row.try_get("hint")?,
        scopes: Scopes::from_storage(&row.try_get::<String, _>("scopes")?),
        created_at: ts(row.try_get("created_at")?),
        expires_at: ts_opt(row.try_get("expires_at")?),
        last_used_at: ts_opt(row.try_get("last_used_at")?),
        revoked_at: ts_opt(row.try_get("revoked_at")?),
    })
}

pub async fn insert(tx: &mut Tx, token: &TokenRecord, hash: SecretHash) -> Result<()> {
    insert_for(tx, token, hash, None).await
}

/// Inserts a token an OAuth grant handed out (its access token; see `oauth`). Such tokens are
/// not the user's own: their list and count leave them out.
pub async fn insert_for_grant(
    tx: &mut Tx,
    token: &TokenRecord,
    hash: SecretHash,
    grant: termin_domain::GrantId,
) -> Result<()> {
    insert_for(tx, token, hash, Some(grant)).await
}

async fn insert_for(
    tx: &mut Tx,
    token: &TokenRecord,
    hash: SecretHash,
    grant: Option<termin_domain::GrantId>,
) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO personal_access_tokens (id, user_id, name, token_hash, hint, scopes, \
         created_at, expires_at, last_used_at, revoked_at, oauth_grant_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(token.id.to_string())
    .bind(token.user_id.to_string())
    .bind(&token.name)
    .bind(hash.to_hex())
    .bind(&token.hint)
    .bind(token.scopes.to_storage())
    .bind(ms(token.created_at))
    .bind(ms_opt(token.expires_at))
    .bind(ms_opt(token.last_used_at))
    .bind(ms_opt(token.revoked_at))
    .bind(grant.map(|g| g.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

/// A token with everything authentication needs to judge it, read in one query so that a
/// revocation, expiry, removal or plan change is seen by the very next request.
#[derive(Debug, Clone)]
pub struct TokenForAuth {
    pub token: TokenRecord,
    /// The token's owner, read in the same query.
    pub user: crate::users::UserRecord,
    pub company_id: CompanyId,
    pub role: Role,
    pub plan: Plan,
    pub user_deactivated: bool,
    pub user_removed: bool,
    /// An OAuth grant's access token (see `oauth`): for `/mcp` only.
    pub for_mcp: bool,
}

pub async fn find_for_auth(
    conn: &mut AnyConnection,
    hash: SecretHash,
) -> Result<Option<TokenForAuth>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {}, c.plan, \
         CASE WHEN t.oauth_grant_id IS NULL THEN 0 ELSE 1 END AS for_mcp \
         FROM personal_access_tokens t \
         JOIN users u ON u.id = t.user_id \
         JOIN companies c ON c.id = u.company_id \
         WHERE t.token_hash = $1",
        crate::users::JOINED_COLUMNS
    )))
    .bind(hash.to_hex())
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let user = crate::users::from_row_prefixed(&row, "u_")?;
        Ok(TokenForAuth {
            token: from_row(&row)?,
            company_id: user.company_id,
            role: user.role,
            plan: parse_col(&row, "plan")?,
            user_deactivated: user.deactivated_at.is_some(),
            user_removed: user.removed_at.is_some(),
            for_mcp: row.try_get::<i64, _>("for_mcp")? == 1,
            user,
        })
    })
    .transpose()
}

/// Records a use. Written at most once a minute per token so that reads stay reads.
pub async fn touch(tx: &mut Tx, id: TokenId, now: Timestamp) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE personal_access_tokens SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .bind(ms(now) - 60_000)
    .execute(conn)
    .await?;
    Ok(())
}

/// A user's own tokens (not those of OAuth grants): those that work at `now` first, then the others; newest first within each;
/// at most `LIST_LIMIT` (no one holds more that work, see `count_live_for_user`).
pub async fn list_for_user(
    conn: &mut AnyConnection,
    user: UserId,
    now: Timestamp,
) -> Result<Vec<TokenRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM personal_access_tokens t \
         WHERE t.user_id = $1 AND t.oauth_grant_id IS NULL \
         ORDER BY CASE WHEN t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
         THEN 0 ELSE 1 END, t.created_at DESC, t.id LIMIT {LIST_LIMIT}"
    )))
    .bind(user.to_string())
    .bind(ms(now))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(conn: &mut AnyConnection, id: TokenId) -> Result<Option<TokenRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM personal_access_tokens t WHERE t.id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Revokes a token; revoking twice keeps the first time. Returns whether the token exists.
pub async fn revoke(tx: &mut Tx, id: TokenId, now: Timestamp) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE personal_access_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many credentials a list shows at most; no one may hold more live ones than this.
pub const LIST_LIMIT: i64 = 100;

/// How many of a user's own tokens are neither revoked nor expired at `now`.
pub async fn count_live_for_user(
    conn: &mut AnyConnection,
    user: UserId,
    now: Timestamp,
) -> Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM personal_access_tokens WHERE user_id = $1 AND revoked_at IS NULL \
         AND oauth_grant_id IS NULL AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(user.to_string())
    .bind(ms(now))
    .fetch_one(conn)
    .await?;
    Ok(n)
}
