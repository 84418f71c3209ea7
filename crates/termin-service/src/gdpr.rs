//! `POST /v4/gdpr/export`: every piece of personal data the company holds about one person, a
//! user or an attendee, as one JSON document.

use serde_json::{json, Value};
use termin_domain::principal::Principal;
use termin_domain::validate::Email;
use termin_domain::UserId;
use termin_storage::{appointments as stored, availabilities, contacts, meeting_types, users};

use crate::appointments::load_many;
use crate::contacts::ContactView;
use crate::error::{ServiceError, ServiceResult};
use crate::meeting_types::MeetingType;
use crate::users::UserView;
use crate::Service;

/// Whom an export is about.
#[derive(Debug, Clone)]
pub enum Subject {
    User(UserId),
    Email(Email),
}

fn value<T: serde::Serialize>(v: &T) -> ServiceResult<Value> {
    serde_json::to_value(v).map_err(ServiceError::internal)
}

/// Everything the caller's company holds about `subject`:
///
/// - for a user of the company (by id, or by their address): their profile, personal page
///   settings, meeting types, availabilities, Personal Access Tokens (never secrets), and the
///   appointments they host;
/// - for the address (the user's, or an attendee's): the appointments they attended, each with
///   their own attendee record only, the contacts with that address, and the e-mail sent to it.
///
/// An address nobody in the company has answers an export with nothing in it: what is held
/// about it is nothing.
pub async fn export(svc: &Service, caller: &Principal, subject: &Subject) -> ServiceResult<Value> {
    caller.require_data_export()?;
    let company = caller.company_id;
    let mut conn = svc.db.conn().await?;
    let (user, email) = match subject {
        Subject::User(id) => {
            let u = users::find_any(&mut conn, *id)
                .await?
                .filter(|u| u.company_id == company)
                .ok_or_else(|| ServiceError::not_found("User not found"))?;
            let email = u.email.clone();
            (Some(u), email)
        }
        Subject::Email(e) => {
            let u = users::find_present_by_email(&mut conn, e.as_str())
                .await?
                .filter(|u| u.company_id == company);
            let email = u
                .as_ref()
                .map_or_else(|| e.as_str().to_owned(), |u| u.email.clone());
            (u, email)
        }
    };
    let mut doc = json!({
        "exportedAt": crate::wire_time::format(svc.now()),
        "companyId": company,
        "email": email,
        "user": Value::Null,
    });
    if let Some(u) = &user {
        let page = crate::personal_pages::of_user(&mut conn, u.id).await?;
        let mut types = Vec::new();
        for record in meeting_types::list_for_user(&mut conn, u.id).await? {
            types.push(value(
                &MeetingType::from_record(record)?.view(&svc.public_url, &u.slug),
            )?);
        }
        let mut schedules = Vec::new();
        for record in availabilities::list_for_user(&mut conn, u.id).await? {
            schedules.push(value(&crate::availability::view(record)?)?);
        }
        let tokens = crate::credentials::list_pats(svc, u.id).await?;
        // That the user has a calendar feed, and since when; never its address (a credential).
        let feed = termin_storage::calendar_feeds::of_user(&mut conn, u.id)
            .await?
            .map(|f| json!({"createdAt": crate::wire_time::format(f.created_at)}));
        // Their calendar connections as the API shows them (no password, no feed address), and
        // the busy times read from them.
        let mut connections = Vec::new();
        for c in termin_storage::calendars::of_user(&mut conn, u.id).await? {
            connections.push(value(&crate::calendar_connections::view(c))?);
        }
        let calendar_busy: Vec<Value> = termin_storage::calendars::busy_of(
            &mut conn,
            &[u.id],
            jiff::Timestamp::MIN,
            jiff::Timestamp::MAX,
        )
        .await?
        .into_iter()
        .map(|(_, start, end)| {
            json!({"start": crate::wire_time::format(start), "end": crate::wire_time::format(end)})
        })
        .collect();
        let hosted = stored::hosted_by(&mut conn, company, u.id).await?;
        let hosted: Vec<Value> = load_many(&mut conn, hosted)
            .await?
            .into_iter()
            .map(|l| value(&l.view()))
            .collect::<ServiceResult<_>>()?;
        doc["user"] = json!({
            "profile": value(&UserView::from(u.clone()))?,
            "personalPage": value(&page)?,
            "meetingTypes": types,
            "availabilities": schedules,
            "personalAccessTokens": value(&tokens)?,
            "calendarFeed": feed,
            "calendarConnections": connections,
            "calendarBusy": calendar_busy,
            "appointmentsHosted": hosted,
        });
    }
    // As an attendee: each appointment with this person's own attendee record only.
    let attended = stored::attended_by(&mut conn, company, &email).await?;
    let attended: Vec<Value> = load_many(&mut conn, attended)
        .await?
        .into_iter()
        .map(|l| {
            let mut view = l.view();
            view.attendees
                .retain(|a| a.email.eq_ignore_ascii_case(&email));
            view.notes = None;
            value(&view)
        })
        .collect::<ServiceResult<_>>()?;
    let contacts: Vec<Value> = contacts::with_email(&mut conn, company, &email)
        .await?
        .into_iter()
        .map(|c| value(&ContactView::from(c)))
        .collect::<ServiceResult<_>>()?;
    doc["appointmentsAttended"] = json!(attended);
    doc["contacts"] = json!(contacts);
    doc["mail"] = value(&crate::mail::to_address(&mut conn, company, &email).await?)?;
    Ok(doc)
}
