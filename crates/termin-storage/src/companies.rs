use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use termin_domain::tenancy::Plan;
use termin_domain::CompanyId;

use crate::{ms, parse_col, ts, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyRecord {
    pub id: CompanyId,
    pub name: String,
    pub plan: Plan,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn from_row(row: &AnyRow) -> Result<CompanyRecord> {
    Ok(CompanyRecord {
        id: parse_col(row, "id")?,
        name: row.try_get("name")?,
        plan: parse_col(row, "plan")?,
        created_at: ts(row.try_get("created_at")?),
        updated_at: ts(row.try_get("updated_at")?),
    })
}

pub async fn insert(tx: &mut Tx, company: &CompanyRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO companies (id, name, plan, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(company.id.to_string())
    .bind(&company.name)
    .bind(company.plan.as_str())
    .bind(ms(company.created_at))
    .bind(ms(company.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(conn: &mut AnyConnection, id: CompanyId) -> Result<Option<CompanyRecord>> {
    let row = sqlx::query("SELECT * FROM companies WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<CompanyRecord>> {
    let rows = sqlx::query("SELECT * FROM companies ORDER BY created_at")
        .fetch_all(conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Returns whether the company exists.
pub async fn set_plan(tx: &mut Tx, id: CompanyId, plan: Plan, now: Timestamp) -> Result<bool> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    let done = sqlx::query("UPDATE companies SET plan = $1, updated_at = $2 WHERE id = $3")
        .bind(plan.as_str())
        .bind(ms(now))
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM companies")
        .fetch_one(conn)
        .await?)
}
