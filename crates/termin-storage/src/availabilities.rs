//! Weekly availability schedules. The schedule and exceptions are stored as their API JSON.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::{AvailabilityId, CompanyId, UserId};

use crate::{ms, parse_col, ts, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvailabilityRecord {
    pub id: AvailabilityId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub name: String,
    pub timezone: String,
    pub schedule: String,
    pub exceptions: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn from_row(row: &AnyRow) -> Result<AvailabilityRecord> {
    from_row_prefixed(row, "")
}

/// Reads an availability whose columns carry a prefix (`a_id`, ...), as a join selects them.
pub(crate) fn from_row_prefixed(row: &AnyRow, p: &str) -> Result<AvailabilityRecord> {
    let c = |name: &str| format!("{p}{name}");
    Ok(AvailabilityRecord {
        id: parse_col(row, &c("id"))?,
        company_id: parse_col(row, &c("company_id"))?,
        user_id: parse_col(row, &c("user_id"))?,
        name: row.try_get(c("name").as_str())?,
        timezone: row.try_get(c("timezone").as_str())?,
        schedule: row.try_get(c("schedule").as_str())?,
        exceptions: row.try_get(c("exceptions").as_str())?,
        created_at: ts(row.try_get(c("created_at").as_str())?),
        updated_at: ts(row.try_get(c("updated_at").as_str())?),
    })
}

pub async fn insert(tx: &mut Tx, a: &AvailabilityRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO availabilities (id, company_id, user_id, name, timezone, schedule, exceptions, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.id.to_string())
    .bind(a.company_id.to_string())
    .bind(a.user_id.to_string())
    .bind(&a.name)
    .bind(&a.timezone)
    .bind(&a.schedule)
    .bind(&a.exceptions)
    .bind(ms(a.created_at))
    .bind(ms(a.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(tx: &mut Tx, a: &AvailabilityRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE availabilities SET name = $1, timezone = $2, schedule = $3, exceptions = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&a.name)
    .bind(&a.timezone)
    .bind(&a.schedule)
    .bind(&a.exceptions)
    .bind(ms(a.updated_at))
    .bind(a.id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: AvailabilityId,
) -> Result<Option<AvailabilityRecord>> {
    let row = sqlx::query("SELECT * FROM availabilities WHERE id = $1 AND company_id = $2")
        .bind(id.to_string())
        .bind(company.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list_for_user(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<Vec<AvailabilityRecord>> {
    let rows =
        sqlx::query("SELECT * FROM availabilities WHERE user_id = $1 ORDER BY created_at, id")
            .bind(user.to_string())
            .fetch_all(conn)
            .await?;
    rows.iter().map(from_row).collect()
}

/// Each user's default (first) availability, for all of `users` in one query; a user without
/// any is left out.
pub async fn defaults_for_users(
    conn: &mut AnyConnection,
    users: &[UserId],
) -> Result<Vec<AvailabilityRecord>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT * FROM availabilities WHERE user_id IN ({}) ORDER BY user_id, created_at, id",
        crate::placeholders(1, users.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for u in users {
        q = q.bind(u.to_string());
    }
    let mut firsts: Vec<AvailabilityRecord> = Vec::with_capacity(users.len());
    for row in q.fetch_all(conn).await? {
        let record = from_row(&row)?;
        if firsts.last().is_none_or(|r| r.user_id != record.user_id) {
            firsts.push(record);
        }
    }
    Ok(firsts)
}

/// How many live meeting types use this availability.
pub async fn usage(conn: &mut AnyConnection, id: AvailabilityId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_types WHERE availability_id = $1 AND deleted_at IS NULL",
    )
    .bind(id.to_string())
    .fetch_one(conn)
    .await?)
}

pub async fn delete(tx: &mut Tx, id: AvailabilityId) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    // Deleted meeting types keep their history but let go of the schedule.
    sqlx::query("UPDATE meeting_types SET availability_id = NULL WHERE availability_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM availabilities WHERE id = $1")
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// How many the user has.
pub async fn count_for_user(conn: &mut AnyConnection, user: UserId) -> Result<i64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM availabilities WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_one(conn)
        .await?;
    Ok(n)
}
