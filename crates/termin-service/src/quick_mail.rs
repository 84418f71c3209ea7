//! `POST /v4/attendee/quick-mail`: a one-off message from a host to an attendee, through the
//! mail outbox.

use jiff::SignedDuration;
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::{AttendeeId, MailId};
use termin_storage::mail::{self as stored, MailRecord};
use termin_storage::Batch;

use crate::error::{ServiceError, ServiceResult};
use crate::mail::{language, MailKind, MailPayload, MailView, Person};
use crate::Service;

/// The most quick mails one sender may send in [`QUICK_MAIL_WINDOW_MINUTES`].
pub const QUICK_MAILS_PER_WINDOW: i64 = 5;
pub const QUICK_MAIL_WINDOW_MINUTES: i64 = 5;
pub const MAX_QUICK_MAIL_TITLE_CHARS: usize = 200;
pub const MAX_QUICK_MAIL_CONTENT_CHARS: usize = 10_000;

/// A validated quick mail.
pub struct QuickMail {
    pub attendee: AttendeeId,
    pub title: String,
    pub content: String,
}

/// Sends a one-off message to an attendee of an appointment the caller may see. At most
/// [`QUICK_MAILS_PER_WINDOW`] per sender in [`QUICK_MAIL_WINDOW_MINUTES`].
pub async fn send(svc: &Service, caller: &Principal, m: &QuickMail) -> ServiceResult<MailView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut v = crate::Validator::new();
    let title = m.title.trim();
    if title.is_empty() || title.chars().count() > MAX_QUICK_MAIL_TITLE_CHARS {
        v.fail(
            "title",
            format!("must be 1 to {MAX_QUICK_MAIL_TITLE_CHARS} characters"),
        );
    }
    let content = m.content.trim();
    if content.is_empty() || content.chars().count() > MAX_QUICK_MAIL_CONTENT_CHARS {
        v.fail(
            "content",
            format!("must be 1 to {MAX_QUICK_MAIL_CONTENT_CHARS} characters"),
        );
    }
    v.finish()?;
    let mut tx = svc.db.begin_write().await?;
    // Parallel sends by one sender on PostgreSQL take turns, so the bound is exact.
    termin_storage::users::lock(&mut tx, caller.user_id).await?;
    let appointment = termin_storage::appointments::appointment_of_attendee(&mut tx, m.attendee)
        .await?
        .ok_or_else(|| ServiceError::not_found("Attendee not found"))?;
    let loaded = crate::appointments::load_visible(&mut tx, caller, appointment)
        .await
        .map_err(|_| ServiceError::not_found("Attendee not found"))?;
    let attendee = loaded
        .attendees
        .iter()
        .find(|a| a.id == m.attendee)
        .ok_or_else(|| ServiceError::not_found("Attendee not found"))?
        .clone();
    let at = svc.now();
    let since = at - SignedDuration::from_mins(QUICK_MAIL_WINDOW_MINUTES);
    if stored::count_sent_by(&mut tx, caller.user_id, since).await? >= QUICK_MAILS_PER_WINDOW {
        return Err(ServiceError::Throttled {
            message: format!(
                "At most {QUICK_MAILS_PER_WINDOW} quick mails per {QUICK_MAIL_WINDOW_MINUTES} minutes"
            )
            .into(),
            retry_after_secs: (QUICK_MAIL_WINDOW_MINUTES * 60) as u64,
        });
    }
    let sender = termin_storage::users::find_present(&mut tx, caller.company_id, caller.user_id)
        .await?
        .ok_or_else(|| ServiceError::unauthorized("The acting user no longer exists"))?;
    let to = Person {
        name: attendee
            .fullname
            .clone()
            .unwrap_or_else(|| attendee.email.clone()),
        email: attendee.email.clone(),
    };
    let payload = MailPayload {
        kind: MailKind::QuickMail,
        to,
        timezone: attendee
            .timezone
            .clone()
            .unwrap_or_else(|| sender.timezone.clone()),
        meeting: None,
        manage_url: None,
        previous_start: None,
        reason: None,
        from: Some(Person {
            name: sender.full_name(),
            email: sender.email.clone(),
        }),
        answers: Vec::new(),
        title: Some(title.to_owned()),
        content: Some(content.to_owned()),
        link: None,
    };
    let record = MailRecord {
        id: MailId::new(),
        company_id: caller.company_id,
        appointment_id: Some(appointment),
        kind: MailKind::QuickMail.as_str().into(),
        recipient: attendee.email.clone(),
        language: language(attendee.language.as_deref(), &sender.language),
        payload: serde_json::to_string(&payload).map_err(ServiceError::internal)?,
        sender_id: Some(caller.user_id),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: at,
        last_error: None,
        created_at: at,
        updated_at: at,
        sent_at: None,
    };
    let view = MailView::from(&record);
    let mut batch = Batch::new();
    stored::insert(&mut batch, &record);
    tx.commit_with(batch).await?;
    Ok(view)
}
