//! OAuth clients, grants, authorization codes and refresh tokens (see migration 16). Access
//! tokens are personal access tokens with `oauth_grant_id` set (`tokens`). Secrets (codes,
//! refresh tokens) are stored as their SHA-256 only.

use jiff::Timestamp;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use termin_domain::credential::{Scopes, SecretHash};
use termin_domain::{GrantId, OAuthClientId, UserId};

use crate::{ms, parse_col, ts, ts_opt, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub id: OAuthClientId,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub created_at: Timestamp,
}

pub async fn insert_client(tx: &mut Tx, c: &ClientRecord) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO oauth_clients (id, name, redirect_uris, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(c.id.to_string())
    .bind(&c.name)
    // One per line: a redirect URI holds no line break (the service refuses one).
    .bind(c.redirect_uris.join("\n"))
    .bind(ms(c.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_client(
    conn: &mut AnyConnection,
    id: OAuthClientId,
) -> Result<Option<ClientRecord>> {
    let row =
        sqlx::query("SELECT id, name, redirect_uris, created_at FROM oauth_clients WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        let uris: String = r.try_get("redirect_uris")?;
        Ok(ClientRecord {
            id: parse_col(&r, "id")?,
            name: r.try_get("name")?,
            redirect_uris: uris.lines().map(str::to_owned).collect(),
            created_at: ts(r.try_get("created_at")?),
        })
    })
    .transpose()
}

/// An authorization code's contents.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub client_id: OAuthClientId,
    pub user_id: UserId,
    pub scopes: Scopes,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub resource: String,
    pub expires_at: Timestamp,
    /// Set once the code was exchanged: the grant it made.
    pub grant_id: Option<GrantId>,
}

pub async fn insert_code(tx: &mut Tx, hash: SecretHash, c: &CodeRecord) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, client_id, user_id, scopes, redirect_uri, \
         code_challenge, resource, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(hash.to_hex())
    .bind(c.client_id.to_string())
    .bind(c.user_id.to_string())
    .bind(c.scopes.to_storage())
    .bind(&c.redirect_uri)
    .bind(&c.code_challenge)
    .bind(&c.resource)
    .bind(ms(c.expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The code, read for its exchange (in the write transaction that exchanges it).
pub async fn find_code(tx: &mut Tx, hash: SecretHash) -> Result<Option<CodeRecord>> {
    let conn: &mut AnyConnection = tx;
    let row = sqlx::query(
        "SELECT client_id, user_id, scopes, redirect_uri, code_challenge, resource, expires_at, \
         grant_id FROM oauth_codes WHERE code_hash = $1",
    )
    .bind(hash.to_hex())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let grant: Option<String> = r.try_get("grant_id")?;
        Ok(CodeRecord {
            client_id: parse_col(&r, "client_id")?,
            user_id: parse_col(&r, "user_id")?,
            scopes: Scopes::from_storage(&r.try_get::<String, _>("scopes")?),
            redirect_uri: r.try_get("redirect_uri")?,
            code_challenge: r.try_get("code_challenge")?,
            resource: r.try_get("resource")?,
            expires_at: ts(r.try_get("expires_at")?),
            grant_id: grant
                .map(|g| g.parse())
                .transpose()
                .map_err(|_| crate::StorageError::Corrupt("grant_id".into()))?,
        })
    })
    .transpose()
}

/// Marks the code exchanged, for `grant`. Answers false when it already was: of two parallel
/// exchanges (PostgreSQL), the row count lets exactly one through.
pub async fn use_code(tx: &mut Tx, hash: SecretHash, grant: GrantId) -> Result<bool> {
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE oauth_codes SET grant_id = $1 WHERE code_hash = $2 AND grant_id IS NULL",
    )
    .bind(grant.to_string())
    .bind(hash.to_hex())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes codes that expired before `before` (used or not: a used one's grant stands alone).
pub async fn prune_codes(tx: &mut Tx, before: Timestamp) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM oauth_codes WHERE expires_at < $1")
        .bind(ms(before))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes clients registered before `before` that no user ever consented to (registration is
/// open, so the table would otherwise only grow).
pub async fn prune_clients(tx: &mut Tx, before: Timestamp) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "DELETE FROM oauth_clients WHERE created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = oauth_clients.id)",
    )
    .bind(ms(before))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct GrantRecord {
    pub id: GrantId,
    pub client_id: OAuthClientId,
    pub user_id: UserId,
    pub scopes: Scopes,
    pub resource: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

pub async fn insert_grant(tx: &mut Tx, g: &GrantRecord) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO oauth_grants (id, client_id, user_id, scopes, resource, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(g.id.to_string())
    .bind(g.client_id.to_string())
    .bind(g.user_id.to_string())
    .bind(g.scopes.to_storage())
    .bind(&g.resource)
    .bind(ms(g.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

fn grant_from_row(r: &sqlx::any::AnyRow) -> Result<GrantRecord> {
    Ok(GrantRecord {
        id: parse_col(r, "id")?,
        client_id: parse_col(r, "client_id")?,
        user_id: parse_col(r, "user_id")?,
        scopes: Scopes::from_storage(&r.try_get::<String, _>("scopes")?),
        resource: r.try_get("resource")?,
        created_at: ts(r.try_get("created_at")?),
        revoked_at: ts_opt(r.try_get("revoked_at")?),
    })
}

/// The grant, its row locked until the transaction ends (PostgreSQL; SQLite's write lock
/// already serialises writers): a refresh and a revocation of one grant happen one after the
/// other, so no token a refresh makes can escape the revocation.
pub async fn lock_grant(tx: &mut Tx, id: GrantId) -> Result<Option<GrantRecord>> {
    let conn: &mut AnyConnection = tx;
    let lock = if conn.backend_name() == "PostgreSQL" {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, client_id, user_id, scopes, resource, created_at, revoked_at \
         FROM oauth_grants WHERE id = $1{lock}"
    )))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(grant_from_row).transpose()
}

/// A user's grant with what the dashboard shows of it.
#[derive(Debug, Clone)]
pub struct ConnectedApp {
    pub grant: GrantRecord,
    pub client_name: String,
    /// The last use of any of its access tokens.
    pub last_used_at: Option<Timestamp>,
}

/// The user's grants that are not revoked, newest first.
pub async fn connected_apps(conn: &mut AnyConnection, user: UserId) -> Result<Vec<ConnectedApp>> {
    let rows = sqlx::query(
        "SELECT g.id, g.client_id, g.user_id, g.scopes, g.resource, g.created_at, g.revoked_at, \
         c.name AS client_name, \
         (SELECT MAX(t.last_used_at) FROM personal_access_tokens t WHERE t.oauth_grant_id = g.id) \
         AS last_used_at \
         FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_id \
         WHERE g.user_id = $1 AND g.revoked_at IS NULL ORDER BY g.created_at DESC, g.id",
    )
    .bind(user.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ConnectedApp {
                grant: grant_from_row(r)?,
                client_name: r.try_get("client_name")?,
                last_used_at: ts_opt(r.try_get("last_used_at")?),
            })
        })
        .collect()
}

/// Revokes the grant and everything it gave: its access tokens (personal access tokens, so the
/// next request with one is refused on every node) and its refresh tokens.
pub async fn revoke_grant(tx: &mut Tx, id: GrantId, now: Timestamp) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE oauth_grants SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE personal_access_tokens SET revoked_at = COALESCE(revoked_at, $1) \
         WHERE oauth_grant_id = $2",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE oauth_refresh_tokens SET used_at = COALESCE(used_at, $1) WHERE grant_id = $2",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// A refresh token's record.
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub grant_id: GrantId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

pub async fn insert_refresh(
    tx: &mut Tx,
    hash: SecretHash,
    grant: GrantId,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(hash.to_hex())
    .bind(grant.to_string())
    .bind(ms(now))
    .bind(ms(expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find_refresh(tx: &mut Tx, hash: SecretHash) -> Result<Option<RefreshRecord>> {
    let conn: &mut AnyConnection = tx;
    let row = sqlx::query(
        "SELECT grant_id, expires_at, used_at FROM oauth_refresh_tokens WHERE token_hash = $1",
    )
    .bind(hash.to_hex())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(RefreshRecord {
            grant_id: parse_col(&r, "grant_id")?,
            expires_at: ts(r.try_get("expires_at")?),
            used_at: ts_opt(r.try_get("used_at")?),
        })
    })
    .transpose()
}

/// Marks a refresh token used. Answers false when it already was (a concurrent use won).
pub async fn use_refresh(tx: &mut Tx, hash: SecretHash, now: Timestamp) -> Result<bool> {
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE oauth_refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(ms(now))
    .bind(hash.to_hex())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes what of the grant expired before `now`: access tokens (each refresh makes one) and
/// refresh tokens (a used one is kept while it could still be presented, for reuse detection).
pub async fn prune_grant(tx: &mut Tx, grant: GrantId, now: Timestamp) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query("DELETE FROM personal_access_tokens WHERE oauth_grant_id = $1 AND expires_at < $2")
        .bind(grant.to_string())
        .bind(ms(now))
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM oauth_refresh_tokens WHERE grant_id = $1 AND expires_at < $2")
        .bind(grant.to_string())
        .bind(ms(now))
        .execute(conn)
        .await?;
    Ok(())
}
