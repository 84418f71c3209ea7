//! Contacts: a company's address book. Booking upserts the attendee's contact by email.

use jiff::Timestamp;
use sqlx::AnyConnection;
use termin_domain::{CompanyId, ContactId, UserId};

use crate::{ms, parse_col, Result};

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
pub async fn upsert_for_booking(
    conn: &mut AnyConnection,
    c: &BookingContact<'_>,
    now: Timestamp,
) -> Result<ContactId> {
    let row = sqlx::query(
        "INSERT INTO contacts (id, company_id, account_owner_id, email, first_name, last_name, phone_number, \
         language, tags, notes, additional_data, no_show_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', NULL, '{}', 0, $9, $9) \
         ON CONFLICT (company_id, email) WHERE email IS NOT NULL DO UPDATE SET \
           first_name = COALESCE(excluded.first_name, contacts.first_name), \
           last_name = COALESCE(excluded.last_name, contacts.last_name), \
           phone_number = COALESCE(excluded.phone_number, contacts.phone_number), \
           language = COALESCE(contacts.language, excluded.language), \
           updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(ContactId::new().to_string())
    .bind(c.company_id.to_string())
    .bind(c.owner.to_string())
    .bind(c.email)
    .bind(c.first_name)
    .bind(c.last_name)
    .bind(c.phone)
    .bind(c.language)
    .bind(ms(now))
    .fetch_one(conn)
    .await?;
    parse_col(&row, "id")
}

pub async fn count_for_company(conn: &mut AnyConnection, company: CompanyId) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE company_id = $1")
            .bind(company.to_string())
            .fetch_one(conn)
            .await?,
    )
}
