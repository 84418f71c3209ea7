//! Contacts: a company's address book. Booking upserts the attendee's contact by email.

use jiff::Timestamp;
use sqlx::any::AnyRow;
use sqlx::AssertSqlSafe;
use sqlx::{AnyConnection, Row};
use termin_domain::{AttendeeId, CompanyId, ContactId, UserId};

use crate::appointments::{self, AppointmentRecord};
use crate::{ms, parse_col, ts, Batch, Result, Tx};

/// What a booking knows about its attendee.
pub struct BookingContact<'a> {
    pub company_id: CompanyId,
    pub owner: UserId,
    pub email: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub language: Option<&'a str>,
}

/// Creates the company's contact for this email, or fills in what the booking adds to an
/// existing one (names and phone are updated when the booking carries them). One statement, so
/// two bookings by the same attendee at once cannot create two contacts.
/// Added to `batch`, which the caller runs inside its transaction.
pub fn upsert_for_booking(batch: &mut Batch, c: &BookingContact<'_>, now: Timestamp) {
    batch.push(
        "INSERT INTO contacts (id, company_id, account_owner_id, email, first_name, last_name, phone_number, \
         language, tags, notes, additional_data, no_show_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', NULL, '{}', 0, $9, $9) \
         ON CONFLICT (company_id, email) WHERE email IS NOT NULL DO UPDATE SET \
           first_name = COALESCE(excluded.first_name, contacts.first_name), \
           last_name = COALESCE(excluded.last_name, contacts.last_name), \
           phone_number = COALESCE(excluded.phone_number, contacts.phone_number), \
           language = COALESCE(contacts.language, excluded.language), \
           updated_at = excluded.updated_at",
        vec![
            ContactId::new().to_string().into(),
            c.company_id.to_string().into(),
            c.owner.to_string().into(),
            c.email.into(),
            c.first_name.into(),
            c.last_name.into(),
            c.phone.into(),
            c.language.into(),
            ms(now).into(),
        ],
    );
}

pub async fn count_for_company(conn: &mut AnyConnection, company: CompanyId) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE company_id = $1")
            .bind(company.to_string())
            .fetch_one(conn)
            .await?,
    )
}

/// A contact as stored. `tags` is a JSON array of strings, `additional_data` a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRecord {
    pub id: ContactId,
    pub company_id: CompanyId,
    pub account_owner_id: Option<UserId>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub language: Option<String>,
    pub tags: String,
    pub notes: Option<String>,
    pub additional_data: String,
    pub no_show_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const COLUMNS: &str =
    "c.id, c.company_id, c.account_owner_id, c.email, c.first_name, c.last_name, c.phone_number, \
     c.language, c.tags, c.notes, c.additional_data, c.no_show_count, c.created_at, c.updated_at";

fn from_row(row: &AnyRow) -> Result<ContactRecord> {
    let owner: Option<String> = row.try_get("account_owner_id")?;
    Ok(ContactRecord {
        id: parse_col(row, "id")?,
        company_id: parse_col(row, "company_id")?,
        account_owner_id: owner.and_then(|o| o.parse().ok()),
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        phone_number: row.try_get("phone_number")?,
        language: row.try_get("language")?,
        tags: row.try_get("tags")?,
        notes: row.try_get("notes")?,
        additional_data: row.try_get("additional_data")?,
        no_show_count: row.try_get("no_show_count")?,
        created_at: ts(row.try_get("created_at")?),
        updated_at: ts(row.try_get("updated_at")?),
    })
}

/// Inserts a contact. A second contact with the same email in the company is
/// [`Conflict::ContactEmail`](crate::Conflict::ContactEmail).
pub async fn insert(tx: &mut Tx, c: &ContactRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "INSERT INTO contacts (id, company_id, account_owner_id, email, first_name, last_name, phone_number, \
         language, tags, notes, additional_data, no_show_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(c.id.to_string())
    .bind(c.company_id.to_string())
    .bind(c.account_owner_id.map(|o| o.to_string()))
    .bind(c.email.as_deref())
    .bind(c.first_name.as_deref())
    .bind(c.last_name.as_deref())
    .bind(c.phone_number.as_deref())
    .bind(c.language.as_deref())
    .bind(&c.tags)
    .bind(c.notes.as_deref())
    .bind(&c.additional_data)
    .bind(c.no_show_count)
    .bind(ms(c.created_at))
    .bind(ms(c.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes every field a client may change, and `updated_at`.
pub async fn update(tx: &mut Tx, c: &ContactRecord) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query(
        "UPDATE contacts SET email = $1, first_name = $2, last_name = $3, phone_number = $4, language = $5, \
         tags = $6, notes = $7, additional_data = $8, updated_at = $9 WHERE id = $10 AND company_id = $11",
    )
    .bind(c.email.as_deref())
    .bind(c.first_name.as_deref())
    .bind(c.last_name.as_deref())
    .bind(c.phone_number.as_deref())
    .bind(c.language.as_deref())
    .bind(&c.tags)
    .bind(c.notes.as_deref())
    .bind(&c.additional_data)
    .bind(ms(c.updated_at))
    .bind(c.id.to_string())
    .bind(c.company_id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn find(
    conn: &mut AnyConnection,
    company: CompanyId,
    id: ContactId,
) -> Result<Option<ContactRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contacts c WHERE c.id = $1 AND c.company_id = $2"
    )))
    .bind(id.to_string())
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The contact an attendee of one of the company's appointments is linked to: `None` for an
/// unknown attendee, `Some(None)` for one without a contact.
pub async fn of_attendee(
    conn: &mut AnyConnection,
    company: CompanyId,
    attendee: AttendeeId,
) -> Result<Option<Option<ContactId>>> {
    let row = sqlx::query(
        "SELECT t.contact_id FROM attendees t JOIN appointments a ON a.id = t.appointment_id \
         WHERE t.id = $1 AND a.company_id = $2",
    )
    .bind(attendee.to_string())
    .bind(company.to_string())
    .fetch_optional(conn)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let contact: Option<String> = row.try_get("contact_id")?;
            Ok(Some(contact.and_then(|c| c.parse().ok())))
        }
    }
}

/// Deletes a contact; attendees linked to it keep their own data and lose the link.
pub async fn delete(tx: &mut Tx, company: CompanyId, id: ContactId) -> Result<()> {
    // Only a write transaction may write (see `Db::begin_write`).
    let conn: &mut AnyConnection = tx;
    sqlx::query("UPDATE attendees SET contact_id = NULL WHERE contact_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM contacts WHERE id = $1 AND company_id = $2")
        .bind(id.to_string())
        .bind(company.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The order of a contact listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    CreatedAt,
    UpdatedAt,
    FirstName,
    LastName,
    Email,
}

/// Which contacts a listing returns.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub company: CompanyId,
    /// Only this account owner's contacts (a member's view).
    pub owner: Option<UserId>,
    /// Matched case-insensitively against email, names and phone number.
    pub search: Option<String>,
    /// Every one of these tags (case-insensitive).
    pub tags: Vec<String>,
    pub sort_by: SortBy,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// `%text%` for LIKE, with the wildcard characters of `text` escaped (`ESCAPE '\'`).
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub async fn list(conn: &mut AnyConnection, f: &ListFilter) -> Result<(Vec<ContactRecord>, i64)> {
    let mut binds: Vec<String> = vec![f.company.to_string()];
    let mut clauses = vec!["c.company_id = $1".to_owned()];
    if let Some(owner) = f.owner {
        binds.push(owner.to_string());
        clauses.push(format!("c.account_owner_id = ${}", binds.len()));
    }
    if let Some(search) = &f.search {
        binds.push(like_pattern(search));
        let p = format!("${}", binds.len());
        clauses.push(format!(
            "(LOWER(COALESCE(c.email, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(COALESCE(c.first_name, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(COALESCE(c.last_name, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, '')) LIKE {p} ESCAPE '\\' \
             OR LOWER(COALESCE(c.phone_number, '')) LIKE {p} ESCAPE '\\')"
        ));
    }
    for tag in &f.tags {
        // Tags are stored as a JSON array of strings without quotes or backslashes, so the
        // quoted tag is found in the array's text exactly when it is one of its elements.
        binds.push(like_pattern(&format!("\"{tag}\"")));
        clauses.push(format!("LOWER(c.tags) LIKE ${} ESCAPE '\\'", binds.len()));
    }
    let filter = clauses.join(" AND ");
    let dir = if f.descending { "DESC" } else { "ASC" };
    let order = match f.sort_by {
        SortBy::CreatedAt => format!("c.created_at {dir}, c.id {dir}"),
        SortBy::UpdatedAt => format!("c.updated_at {dir}, c.id {dir}"),
        // Missing values last in either direction, on both databases.
        SortBy::FirstName | SortBy::LastName | SortBy::Email => {
            let col = match f.sort_by {
                SortBy::FirstName => "c.first_name",
                SortBy::LastName => "c.last_name",
                _ => "c.email",
            };
            format!("({col} IS NULL), LOWER({col}) {dir}, c.id {dir}")
        }
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts c WHERE {filter} ORDER BY {order} LIMIT {} OFFSET {}",
        f.limit.max(0),
        f.offset.max(0)
    );
    let count_sql = format!("SELECT COUNT(*) FROM contacts c WHERE {filter}");
    let mut q = sqlx::query(AssertSqlSafe(sql));
    let mut cq = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
    for b in &binds {
        q = q.bind(b.clone());
        cq = cq.bind(b.clone());
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let total = cq.fetch_one(conn).await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

/// One appointment a contact was booked into.
#[derive(Debug, Clone)]
pub struct ContactAppointment {
    pub contact_id: ContactId,
    /// False when the contact's seat was cancelled (the appointment may go on without them).
    pub attendee_active: bool,
    pub appointment: AppointmentRecord,
}

/// The appointments the given contacts were booked into, by start; with `host`, only those
/// that user hosts. A contact booked twice into one appointment appears once per booking.
pub async fn appointments_of(
    conn: &mut AnyConnection,
    company: CompanyId,
    contacts: &[ContactId],
    host: Option<UserId>,
) -> Result<Vec<ContactAppointment>> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let mut binds: Vec<String> = vec![company.to_string()];
    let mut host_clause = String::new();
    if let Some(h) = host {
        binds.push(h.to_string());
        host_clause = format!(
            " AND EXISTS (SELECT 1 FROM appointment_hosts h WHERE h.appointment_id = a.id AND h.user_id = ${})",
            binds.len()
        );
    }
    let first = binds.len() + 1;
    let placeholders = (first..first + contacts.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT t.contact_id AS t_contact_id, t.cancelled_at AS t_cancelled_at, {} \
         FROM attendees t JOIN appointments a ON a.id = t.appointment_id \
         WHERE a.company_id = $1{host_clause} AND t.contact_id IN ({placeholders}) \
         ORDER BY a.start_at, a.id",
        appointments::COLUMNS
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b);
    }
    for c in contacts {
        q = q.bind(c.to_string());
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(ContactAppointment {
                contact_id: parse_col(r, "t_contact_id")?,
                attendee_active: r.try_get::<Option<i64>, _>("t_cancelled_at")?.is_none(),
                appointment: appointments::from_row(r)?,
            })
        })
        .collect()
}

/// The company's contacts with this e-mail address, in any case (a data export).
pub async fn with_email(
    conn: &mut AnyConnection,
    company: CompanyId,
    email: &str,
) -> Result<Vec<ContactRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM contacts c WHERE c.company_id = $1 AND LOWER(c.email) = LOWER($2) ORDER BY c.created_at, c.id"
    )))
    .bind(company.to_string())
    .bind(email)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
