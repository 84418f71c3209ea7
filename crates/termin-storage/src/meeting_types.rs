//! Meeting types. Settings that are never filtered on are stored as one JSON document.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use termin_domain::{AvailabilityId, CompanyId, MeetingTypeId, UserId};

use crate::availabilities::{self, AvailabilityRecord};
use crate::{ms, ms_opt, parse_col, ts, ts_opt, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingTypeRecord {
    pub id: MeetingTypeId,
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub slug: String,
    pub enabled: bool,
    pub availability_id: Option<AvailabilityId>,
    pub settings: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

fn from_row(row: &AnyRow) -> Result<MeetingTypeRecord> {
    let availability: Option<String> = row.try_get("availability_id")?;
    Ok(MeetingTypeRecord {
        id: parse_col(row, "id")?,
        company_id: parse_col(row, "company_id")?,
        user_id: parse_col(row, "user_id")?,
        slug: row.try_get("slug")?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        availability_id: availability.and_then(|a| a.parse().ok()),
        settings: row.try_get("settings")?,
        created_at: ts(row.try_get("created_at")?),
        updated_at: ts(row.try_get("updated_at")?),
        deleted_at: ts_opt(row.try_get("deleted_at")?),
    })
}

pub async fn insert(tx: &mut Tx, m: &MeetingTypeRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO meeting_types (id, company_id, user_id, slug, enabled, availability_id, settings, \
         created_at, updated_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(m.id.to_string())
    .bind(m.company_id.to_string())
    .bind(m.user_id.to_string())
    .bind(&m.slug)
    .bind(i64::from(m.enabled))
    .bind(m.availability_id.map(|a| a.to_string()))
    .bind(&m.settings)
    .bind(ms(m.created_at))
    .bind(ms(m.updated_at))
    .bind(ms_opt(m.deleted_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn update(tx: &mut Tx, m: &MeetingTypeRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE meeting_types SET slug = $1, enabled = $2, availability_id = $3, settings = $4, \
         updated_at = $5, deleted_at = $6 WHERE id = $7",
    )
    .bind(&m.slug)
    .bind(i64::from(m.enabled))
    .bind(m.availability_id.map(|a| a.to_string()))
    .bind(&m.settings)
    .bind(ms(m.updated_at))
    .bind(ms_opt(m.deleted_at))
    .bind(m.id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// A meeting type of the company, deleted ones included (appointments keep pointing at them).
pub async fn find(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: MeetingTypeId,
) -> Result<Option<MeetingTypeRecord>> {
    let row = sqlx::query("SELECT * FROM meeting_types WHERE id = $1 AND company_id = $2")
        .bind(id.to_string())
        .bind(company.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A meeting type with its own availability (if it names one that exists), in one query: the
/// two are read together on every booking and every bookable-times request.
pub async fn find_with_availability(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: MeetingTypeId,
) -> Result<Option<(MeetingTypeRecord, Option<AvailabilityRecord>)>> {
    let row = sqlx::query(
        "SELECT m.*, a.id AS a_id, a.company_id AS a_company_id, a.user_id AS a_user_id, a.name AS a_name, \
         a.timezone AS a_timezone, a.schedule AS a_schedule, a.exceptions AS a_exceptions, \
         a.created_at AS a_created_at, a.updated_at AS a_updated_at \
         FROM meeting_types m \
         LEFT JOIN availabilities a ON a.id = m.availability_id AND a.company_id = m.company_id \
         WHERE m.id = $1 AND m.company_id = $2",
    )
    .bind(id.to_string())
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let availability = match row.try_get::<Option<String>, _>("a_id")? {
        Some(_) => Some(availabilities::from_row_prefixed(&row, "a_")?),
        None => None,
    };
    Ok(Some((from_row(&row)?, availability)))
}

pub async fn list_for_user(
    conn: &mut AnyConnection,
    user: UserId,
) -> Result<Vec<MeetingTypeRecord>> {
    let rows = sqlx::query("SELECT * FROM meeting_types WHERE user_id = $1 AND deleted_at IS NULL ORDER BY created_at, id")
        .bind(user.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn slug_taken(
    conn: &mut AnyConnection,
    user: UserId,
    slug: &str,
    except: Option<MeetingTypeId>,
) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_types WHERE user_id = $1 AND slug = $2 AND deleted_at IS NULL AND id <> $3",
    )
    .bind(user.to_string())
    .bind(slug)
    .bind(except.map(|e| e.to_string()).unwrap_or_default())
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// What a public booking page shows, in one query: the present user at `/{user_slug}`, their
/// meeting type at `/{user_slug}/{slug}` (if it exists and is not deleted) with its own
/// availability, and the user's personal page settings document. `None` when no present user
/// has the slug.
#[allow(clippy::type_complexity)]
pub async fn find_public(
    conn: &mut AnyConnection,
    user_slug: &str,
    slug: &str,
) -> Result<
    Option<(
        crate::users::UserRecord,
        Option<(MeetingTypeRecord, Option<AvailabilityRecord>)>,
        Option<String>,
    )>,
> {
    let sql = format!(
        "SELECT {users}, m.*, a.id AS a_id, a.company_id AS a_company_id, a.user_id AS a_user_id, \
         a.name AS a_name, a.timezone AS a_timezone, a.schedule AS a_schedule, \
         a.exceptions AS a_exceptions, a.created_at AS a_created_at, a.updated_at AS a_updated_at, \
         p.settings AS page_settings \
         FROM users u \
         LEFT JOIN meeting_types m ON m.user_id = u.id AND m.slug = $2 AND m.deleted_at IS NULL \
         LEFT JOIN availabilities a ON a.id = m.availability_id AND a.company_id = m.company_id \
         LEFT JOIN personal_pages p ON p.user_id = u.id \
         WHERE u.slug = $1 AND u.removed_at IS NULL",
        users = crate::users::JOINED_COLUMNS
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_slug)
        .bind(slug)
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let user = crate::users::from_row_prefixed(&row, "u_")?;
    let meeting_type = match row.try_get::<Option<String>, _>("id")? {
        Some(_) => {
            let availability = match row.try_get::<Option<String>, _>("a_id")? {
                Some(_) => Some(availabilities::from_row_prefixed(&row, "a_")?),
                None => None,
            };
            Some((from_row(&row)?, availability))
        }
        None => None,
    };
    Ok(Some((user, meeting_type, row.try_get("page_settings")?)))
}

/// How many the user has.
pub async fn count_for_user(conn: &mut AnyConnection, user: UserId) -> Result<i64> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM meeting_types WHERE user_id = $1 AND deleted_at IS NULL",
    )
    .bind(user.to_string())
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// The company's meeting types (any of them may book any of its users, through `hostIds`).
pub async fn list_for_company(
    conn: &mut AnyConnection,
    company: CompanyId,
) -> Result<Vec<MeetingTypeRecord>> {
    let rows = sqlx::query(
        "SELECT * FROM meeting_types WHERE company_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
    )
    .bind(company.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
