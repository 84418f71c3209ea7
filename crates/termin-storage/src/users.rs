use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::tenancy::{Plan, Role, UserType};
use termin_domain::{CompanyId, UserId};

use crate::{ms, ms_opt, parse_col, ts, ts_opt, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub company_id: CompanyId,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub slug: String,
    pub timezone: String,
    pub language: String,
    pub role: Role,
    pub user_type: UserType,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deactivated_at: Option<Timestamp>,
    pub removed_at: Option<Timestamp>,
    /// Counts every change to the user's appointments as host (a trigger keeps it): bookable
    /// times use a kept copy of the user's busy time only while this is unchanged.
    pub busy_version: i64,
}

/// "Given Family", or the one that is set.
pub fn full_name(given: &str, family: &str) -> String {
    format!("{given} {family}").trim().to_owned()
}

impl UserRecord {
    pub fn full_name(&self) -> String {
        full_name(&self.given_name, &self.family_name)
    }
}

const COLUMNS: &str = "id, company_id, email, given_name, family_name, slug, timezone, language, \
                       role, user_type, created_at, updated_at, deactivated_at, removed_at, busy_version";

fn from_row(row: &AnyRow) -> Result<UserRecord> {
    from_row_prefixed(row, "")
}

/// The user columns of table alias `u`, renamed `u_*`, for queries that join users to another
/// table with columns of the same names.
pub(crate) const JOINED_COLUMNS: &str = "u.id AS u_id, u.company_id AS u_company_id, u.email AS u_email, \
     u.given_name AS u_given_name, u.family_name AS u_family_name, u.slug AS u_slug, u.timezone AS u_timezone, \
     u.language AS u_language, u.role AS u_role, u.user_type AS u_user_type, u.created_at AS u_created_at, \
     u.updated_at AS u_updated_at, u.deactivated_at AS u_deactivated_at, u.removed_at AS u_removed_at, \
     u.busy_version AS u_busy_version";

/// Reads a user from columns named `{prefix}id`, `{prefix}email`, ... (`prefix` is `""` or
/// `"u_"`). The names are spelled out, not formatted: authentication reads a user on nearly
/// every request, and fifteen formatted names were fifteen allocations each time.
pub(crate) fn from_row_prefixed(row: &AnyRow, p: &str) -> Result<UserRecord> {
    const PLAIN: [&str; 15] = [
        "id",
        "company_id",
        "email",
        "given_name",
        "family_name",
        "slug",
        "timezone",
        "language",
        "role",
        "user_type",
        "created_at",
        "updated_at",
        "deactivated_at",
        "removed_at",
        "busy_version",
    ];
    const JOINED: [&str; 15] = [
        "u_id",
        "u_company_id",
        "u_email",
        "u_given_name",
        "u_family_name",
        "u_slug",
        "u_timezone",
        "u_language",
        "u_role",
        "u_user_type",
        "u_created_at",
        "u_updated_at",
        "u_deactivated_at",
        "u_removed_at",
        "u_busy_version",
    ];
    debug_assert!(p.is_empty() || p == "u_", "no other prefix is spelled out");
    let c = if p.is_empty() { &PLAIN } else { &JOINED };
    Ok(UserRecord {
        id: parse_col(row, c[0])?,
        company_id: parse_col(row, c[1])?,
        email: row.try_get(c[2])?,
        given_name: row.try_get(c[3])?,
        family_name: row.try_get(c[4])?,
        slug: row.try_get(c[5])?,
        timezone: row.try_get(c[6])?,
        language: row.try_get(c[7])?,
        role: parse_col(row, c[8])?,
        user_type: parse_col(row, c[9])?,
        created_at: ts(row.try_get(c[10])?),
        updated_at: ts(row.try_get(c[11])?),
        deactivated_at: ts_opt(row.try_get(c[12])?),
        removed_at: ts_opt(row.try_get(c[13])?),
        busy_version: row.try_get(c[14])?,
    })
}

pub async fn insert(tx: &mut Tx, user: &UserRecord, password_hash: Option<&str>) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO users (id, company_id, email, given_name, family_name, slug, timezone, \
         language, role, user_type, password_hash, created_at, updated_at, deactivated_at, removed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(user.id.to_string())
    .bind(user.company_id.to_string())
    .bind(&user.email)
    .bind(&user.given_name)
    .bind(&user.family_name)
    .bind(&user.slug)
    .bind(&user.timezone)
    .bind(&user.language)
    .bind(user.role.as_str())
    .bind(user.user_type.as_str())
    .bind(password_hash)
    .bind(ms(user.created_at))
    .bind(ms(user.updated_at))
    .bind(ms_opt(user.deactivated_at))
    .bind(ms_opt(user.removed_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// A user of the company who has not been removed (deactivated users are included).
pub async fn find_present(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: UserId,
) -> Result<Option<UserRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1 AND company_id = $2 AND removed_at IS NULL"
    )))
    .bind(id.to_string())
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The present (not removed) users of the company among `ids`, in one query; absent ids are
/// left out, and the order is not `ids`'.
pub async fn find_present_many(
    conn: &mut AnyConnection,
    company: CompanyId,
    ids: &[UserId],
) -> Result<Vec<UserRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND removed_at IS NULL AND id IN ({})",
        crate::placeholders(2, ids.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(company.to_string());
    for id in ids {
        q = q.bind(id.to_string());
    }
    q.fetch_all(conn).await?.iter().map(from_row).collect()
}

/// The present (not removed) user whose page is at `/{slug}` (slugs are unique among present
/// users).
pub async fn find_present_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<Option<UserRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE slug = $1 AND removed_at IS NULL"
    )))
    .bind(slug)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Any user by id, in any company and state (for the operator CLI and the acting-user check).
pub async fn find_any(conn: &mut AnyConnection, id: UserId) -> Result<Option<UserRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_present_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<UserRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE email = $1 AND removed_at IS NULL"
    )))
    .bind(email)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The stored password hash of a present user, for login.
pub async fn password_hash_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<(UserRecord, Option<String>)>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS}, password_hash FROM users WHERE email = $1 AND removed_at IS NULL"
    )))
    .bind(email)
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((from_row(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

/// The plan of a present user's company.
pub async fn plan_of(conn: &mut AnyConnection, user: UserId) -> Result<Option<Plan>> {
    let row = sqlx::query(
        "SELECT c.plan FROM users u JOIN companies c ON c.id = u.company_id \
         WHERE u.id = $1 AND u.removed_at IS NULL",
    )
    .bind(user.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(|r| parse_col(r, "plan")).transpose()
}

pub async fn owner_of(conn: &mut AnyConnection, company: CompanyId) -> Result<Option<UserRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE company_id = $1 AND role = 'owner' AND removed_at IS NULL"
    )))
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// One page of a company's present users, oldest first, and how many there are in all.
pub async fn list(
    conn: &mut AnyConnection,
    company: CompanyId,
    user_type: Option<UserType>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserRecord>, i64)> {
    let filter = "company_id = $1 AND removed_at IS NULL AND ($2 IS NULL OR user_type = $2)";
    let kind = user_type.map(|t| t.as_str());
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE {filter} ORDER BY created_at, id LIMIT $3 OFFSET $4"
    )))
    .bind(company.to_string())
    .bind(kind)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM users WHERE {filter}"
    )))
    .bind(company.to_string())
    .bind(kind)
    .fetch_one(conn)
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

pub async fn slug_taken(conn: &mut AnyConnection, slug: &str) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE slug = $1 AND removed_at IS NULL")
            .bind(slug)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// Writes the editable profile fields of a user.
pub async fn update_profile(tx: &mut Tx, user: &UserRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE users SET given_name = $1, family_name = $2, slug = $3, timezone = $4, \
         language = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&user.given_name)
    .bind(&user.family_name)
    .bind(&user.slug)
    .bind(&user.timezone)
    .bind(&user.language)
    .bind(ms(user.updated_at))
    .bind(user.id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes a user from the workspace. Their rows stay; they can no longer act or log in.
pub async fn remove(tx: &mut Tx, id: UserId, now: Timestamp) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE users SET removed_at = $1, updated_at = $1 WHERE id = $2 AND removed_at IS NULL",
    )
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deactivates (`Some(now)`) or reactivates (`None`) a present user.
pub async fn set_deactivated(
    tx: &mut Tx,
    id: UserId,
    at: Option<Timestamp>,
    now: Timestamp,
) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE users SET deactivated_at = $1, updated_at = $2 WHERE id = $3 AND removed_at IS NULL",
    )
    .bind(ms_opt(at))
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks a user's row until the transaction ends (PostgreSQL; SQLite's write lock already
/// serialises writers): for a read-modify-write of a document that belongs to the user.
pub async fn lock(tx: &mut crate::Tx, id: UserId) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
    }
    Ok(())
}

/// Sets a present user's password (already hashed).
pub async fn set_password_hash(
    tx: &mut Tx,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND removed_at IS NULL",
    )
    .bind(hash)
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes a present user's role.
pub async fn set_role(tx: &mut Tx, id: UserId, role: Role, now: Timestamp) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query(
        "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND removed_at IS NULL",
    )
    .bind(role.as_str())
    .bind(ms(now))
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
