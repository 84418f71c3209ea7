//! An appointment's transcript and summary (markdown), in a table of their own.

use jiff::Timestamp;
use sqlx::{AnyConnection, Row};
use termin_domain::AppointmentId;

use crate::{ms, Result, Tx};

/// The stored transcript and summary of an appointment (each absent when never set or cleared).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    pub transcription: Option<String>,
    pub summary: Option<String>,
}

pub async fn find(conn: &mut AnyConnection, id: AppointmentId) -> Result<Transcript> {
    let row = sqlx::query(
        "SELECT transcription, summary FROM appointment_transcripts WHERE appointment_id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(row) => Transcript {
            transcription: row.try_get("transcription")?,
            summary: row.try_get("summary")?,
        },
        None => Transcript::default(),
    })
}

/// Stores `transcript` for the appointment, replacing what was there.
pub async fn store(
    tx: &mut Tx,
    id: AppointmentId,
    transcript: &Transcript,
    now: Timestamp,
) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO appointment_transcripts (appointment_id, transcription, summary, updated_at) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (appointment_id) DO UPDATE SET transcription = excluded.transcription, \
         summary = excluded.summary, updated_at = excluded.updated_at",
    )
    .bind(id.to_string())
    .bind(transcript.transcription.as_deref())
    .bind(transcript.summary.as_deref())
    .bind(ms(now))
    .execute(conn)
    .await?;
    Ok(())
}
