//! One-time booking links (see the migration `0011_one_time_links.sql`).

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use termin_domain::credential::SecretHash;
use termin_domain::{AppointmentId, CompanyId, MeetingTypeId, UserId};

use crate::{ms, parse_col, ts, ts_opt, Result, Tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeLinkRecord {
    pub id: uuid::Uuid,
    pub company_id: CompanyId,
    pub meeting_type_id: MeetingTypeId,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub appointment_id: Option<AppointmentId>,
}

fn from_row(row: &AnyRow) -> Result<OneTimeLinkRecord> {
    let appointment: Option<String> = row.try_get("appointment_id")?;
    Ok(OneTimeLinkRecord {
        id: parse_col(row, "id")?,
        company_id: parse_col(row, "company_id")?,
        meeting_type_id: parse_col(row, "meeting_type_id")?,
        created_by: parse_col(row, "created_by")?,
        created_at: ts(row.try_get("created_at")?),
        used_at: ts_opt(row.try_get("used_at")?),
        appointment_id: appointment.and_then(|a| a.parse().ok()),
    })
}

pub async fn insert(tx: &mut Tx, link: &OneTimeLinkRecord, token: SecretHash) -> Result<()> {
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO one_time_links (id, company_id, meeting_type_id, created_by, token_hash, created_at, used_at, appointment_id) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)",
    )
    .bind(link.id.to_string())
    .bind(link.company_id.to_string())
    .bind(link.meeting_type_id.to_string())
    .bind(link.created_by.to_string())
    .bind(token.to_hex())
    .bind(ms(link.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The link with this token, if any.
pub async fn find(
    conn: &mut AnyConnection,
    token: SecretHash,
) -> Result<Option<OneTimeLinkRecord>> {
    let row = sqlx::query("SELECT * FROM one_time_links WHERE token_hash = $1")
        .bind(token.to_hex())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks the link used by `appointment`; `false` when it was used already (or is another
/// meeting type's): the booking must not happen.
pub async fn use_once(
    tx: &mut Tx,
    token: SecretHash,
    meeting_type: MeetingTypeId,
    appointment: AppointmentId,
    at: Timestamp,
) -> Result<bool> {
    let conn: &mut AnyConnection = tx;
    let changed = sqlx::query(
        "UPDATE one_time_links SET used_at = $1, appointment_id = $2 \
         WHERE token_hash = $3 AND meeting_type_id = $4 AND used_at IS NULL",
    )
    .bind(ms(at))
    .bind(appointment.to_string())
    .bind(token.to_hex())
    .bind(meeting_type.to_string())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}
