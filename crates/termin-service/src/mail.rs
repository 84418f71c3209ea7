//! E-mail, as the use cases produce it: who is told what about a change, written to the mail
//! outbox in the change's own transaction (the outbox is as durable as the webhooks'). A
//! message is stored as what it says ([`MailPayload`]); the server renders and sends it, so
//! `termin mail show` prints exactly what the recipient gets.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::{AppointmentId, CompanyId, MailId, UserId};
use termin_storage::appointments::HostRow;
use termin_storage::mail::{self as stored, MailFilter};
use termin_storage::{Batch, Tx};

use crate::error::{ServiceError, ServiceResult};
use crate::Service;

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// To the attendee who booked: the invitation and their manage link.
    Confirmation,
    /// To a guest an attendee brings: the invitation.
    Invitation,
    /// To the host: someone booked.
    HostBooked,
    /// To everyone invited: the meeting moved (an updated invitation).
    Updated,
    /// To everyone invited: the meeting is cancelled.
    Cancelled,
    /// To the host: one attendee of a group meeting cancelled their seat.
    SeatCancelled,
    /// To an attendee: the meeting is soon.
    Reminder,
    /// A one-off message from a host to an attendee.
    QuickMail,
    /// To a new member: you were added, choose a password.
    Welcome,
    /// To a user who asked: choose a new password.
    PasswordReset,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::Invitation => "invitation",
            Self::HostBooked => "host_booked",
            Self::Updated => "updated",
            Self::Cancelled => "cancelled",
            Self::SeatCancelled => "seat_cancelled",
            Self::Reminder => "reminder",
            Self::QuickMail => "quick_mail",
            Self::Welcome => "welcome",
            Self::PasswordReset => "password_reset",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

/// A person as a message names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// The meeting a message is about, as it stood when the message was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub id: AppointmentId,
    pub title: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub channel: String,
    pub location: Option<String>,
    pub organizer: Person,
    pub host_timezone: String,
    /// Everyone invited: attendees and the guests they bring.
    pub invited: Vec<Person>,
    /// Increases with every change (the calendar file's SEQUENCE).
    pub sequence: i64,
}

/// What a message says; the server renders it in the recipient's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailPayload {
    pub kind: MailKind,
    pub to: Person,
    /// The zone times are shown in.
    pub timezone: String,
    pub meeting: Option<Meeting>,
    /// The attendee's own link to see, move and cancel.
    pub manage_url: Option<String>,
    pub previous_start: Option<Timestamp>,
    pub reason: Option<String>,
    /// Who booked or cancelled (host notifications), or who writes (quick mail).
    pub from: Option<Person>,
    /// The attendee's answers to the booking questions, by question label (to the host).
    #[serde(default)]
    pub answers: Vec<(String, String)>,
    pub title: Option<String>,
    pub content: Option<String>,
    /// A one-time link into the account (welcome and password reset messages).
    #[serde(default)]
    pub link: Option<String>,
}

/// Someone a message about a meeting goes to: an attendee, with the guests they bring.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub person: Person,
    pub timezone: Option<String>,
    pub language: Option<String>,
    pub guests: Vec<String>,
    pub receive_reminders: bool,
}

impl Recipient {
    /// This recipient and their guests, as their invitation names them.
    pub fn invited(&self) -> Vec<Person> {
        std::iter::once(self.person.clone())
            .chain(self.guests.iter().map(|g| Person {
                name: g.clone(),
                email: g.clone(),
            }))
            .collect()
    }
}

/// A host as the messages name them.
pub fn host_person(h: &HostRow) -> Person {
    Person {
        name: h.full_name(),
        email: h.email.clone(),
    }
}

/// Languages the messages are written in; others read English.
pub(crate) fn language(preferred: Option<&str>, fallback: &str) -> String {
    let pick = |l: &str| {
        let l = l.to_ascii_lowercase();
        (l == "de" || l.starts_with("de-")).then_some("de")
    };
    preferred
        .and_then(pick)
        .or_else(|| pick(fallback))
        .unwrap_or("en")
        .to_owned()
}

/// The messages a change writes, gathered and then added to its batch together.
pub struct Outbox<'a> {
    company: CompanyId,
    at: Timestamp,
    meeting: &'a Meeting,
    rows: Vec<MailRecord>,
}

impl<'a> Outbox<'a> {
    pub fn new(company: CompanyId, meeting: &'a Meeting, at: Timestamp) -> Self {
        Self {
            company,
            at,
            meeting,
            rows: Vec::new(),
        }
    }

    /// A message about this meeting, due at `due` (now, or a reminder's time).
    fn push(&mut self, payload: MailPayload, lang: String, due: Timestamp) -> ServiceResult<()> {
        self.rows.push(MailRecord {
            id: MailId::new(),
            company_id: self.company,
            appointment_id: Some(self.meeting.id),
            kind: payload.kind.as_str().to_owned(),
            recipient: payload.to.email.clone(),
            language: lang,
            payload: serde_json::to_string(&payload).map_err(ServiceError::internal)?,
            sender_id: None,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: due,
            last_error: None,
            created_at: self.at,
            updated_at: self.at,
            sent_at: None,
        });
        Ok(())
    }

    fn payload(&self, kind: MailKind, to: Person, timezone: &str) -> MailPayload {
        MailPayload {
            kind,
            to,
            timezone: timezone.to_owned(),
            meeting: Some(self.meeting.clone()),
            manage_url: None,
            previous_start: None,
            reason: None,
            from: None,
            answers: Vec::new(),
            title: None,
            content: None,
            link: None,
        }
    }

    /// `kind` to the attendee (with their link, if known) and to the guests they bring.
    pub fn to_attendee(
        &mut self,
        kind: MailKind,
        a: &Recipient,
        host: &HostRow,
        manage_url: Option<&str>,
        edit: impl Fn(&mut MailPayload),
    ) -> ServiceResult<()> {
        let zone = a.timezone.clone().unwrap_or_else(|| host.timezone.clone());
        let lang = language(a.language.as_deref(), &host.language);
        let mut p = self.payload(kind, a.person.clone(), &zone);
        p.manage_url = manage_url.map(str::to_owned);
        // An attendee's invitation names them and their guests: never the other attendees of
        // a group meeting.
        if let Some(m) = &mut p.meeting {
            m.invited = a.invited();
        }
        edit(&mut p);
        self.push(p.clone(), lang.clone(), self.at)?;
        let guest_kind = match kind {
            MailKind::Confirmation => Some(MailKind::Invitation),
            MailKind::Updated | MailKind::Cancelled => Some(kind),
            _ => None,
        };
        if let Some(guest_kind) = guest_kind {
            for guest in &a.guests {
                let mut g = p.clone();
                g.kind = guest_kind;
                g.to = Person {
                    name: guest.clone(),
                    email: guest.clone(),
                };
                g.manage_url = None;
                self.push(g, lang.clone(), self.at)?;
            }
        }
        Ok(())
    }

    /// `kind` to each host.
    pub fn to_hosts(
        &mut self,
        kind: MailKind,
        hosts: &[HostRow],
        edit: impl Fn(&mut MailPayload),
    ) -> ServiceResult<()> {
        for h in hosts {
            let mut p = self.payload(kind, host_person(h), &h.timezone);
            edit(&mut p);
            self.push(p, language(Some(&h.language), "en"), self.at)?;
        }
        Ok(())
    }

    /// The attendee's reminder, `minutes` before the start, unless that has passed or they
    /// asked for none.
    pub fn reminder(
        &mut self,
        a: &Recipient,
        host: &HostRow,
        manage_url: Option<&str>,
        minutes: Option<i64>,
    ) -> ServiceResult<()> {
        let Some(minutes) = minutes.filter(|_| a.receive_reminders) else {
            return Ok(());
        };
        let due = self.meeting.start - SignedDuration::from_mins(minutes);
        if due <= self.at {
            return Ok(());
        }
        let zone = a.timezone.clone().unwrap_or_else(|| host.timezone.clone());
        let mut p = self.payload(MailKind::Reminder, a.person.clone(), &zone);
        p.manage_url = manage_url.map(str::to_owned);
        if let Some(m) = &mut p.meeting {
            m.invited = a.invited();
        }
        self.push(p, language(a.language.as_deref(), &host.language), due)
    }

    /// Adds the messages to the change's batch.
    pub fn write(self, batch: &mut Batch) {
        for row in &self.rows {
            stored::insert(batch, row);
        }
    }
}

/// Withdraws the reminders of an appointment not yet sent (all, or one recipient's).
pub async fn withdraw_reminders(
    tx: &mut Tx,
    appointment: AppointmentId,
    recipient: Option<&str>,
    at: Timestamp,
) -> ServiceResult<()> {
    Ok(stored::cancel_pending_reminders(tx, appointment, recipient, at).await?)
}

/// The manage link each attendee of an appointment was sent, by address (updates repeat it).
pub async fn manage_urls(
    tx: &mut Tx,
    appointment: AppointmentId,
) -> ServiceResult<BTreeMap<String, String>> {
    let mut urls = BTreeMap::new();
    for row in stored::of_appointment(tx, appointment, MailKind::Confirmation.as_str()).await? {
        if let Ok(p) = serde_json::from_str::<MailPayload>(&row.payload) {
            if let Some(url) = p.manage_url {
                urls.insert(row.recipient, url);
            }
        }
    }
    Ok(urls)
}

/// An attendee's answers to the booking questions, labelled, for the host.
pub fn answers(
    questions: &[termin_domain::questions::BookingQuestion],
    notes: &serde_json::Value,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for q in questions {
        let Some(v) = notes.get(&q.id) else {
            continue;
        };
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(true) => "✓".into(),
            serde_json::Value::Bool(false) => "✗".into(),
            serde_json::Value::Null => continue,
            other => other.to_string(),
        };
        out.push((q.label.clone(), text));
    }
    if let Some(serde_json::Value::String(note)) = notes.get("notes") {
        if !questions.iter().any(|q| q.id == "notes") {
            out.push(("Notes".into(), note.clone()));
        }
    }
    out
}

/// A message as listed (`GET /v4/mail`, `termin mail list`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailView {
    pub id: MailId,
    pub kind: String,
    pub recipient: String,
    pub appointment_id: Option<AppointmentId>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub due_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub sent_at: Option<Timestamp>,
}

impl From<&MailRecord> for MailView {
    fn from(m: &MailRecord) -> Self {
        Self {
            id: m.id,
            kind: m.kind.clone(),
            recipient: m.recipient.clone(),
            appointment_id: m.appointment_id,
            status: m.status.clone(),
            attempts: m.attempts,
            last_error: m.last_error.clone(),
            due_at: m.next_attempt_at,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

/// Statuses a listing may filter on.
pub const STATUSES: [&str; 5] = ["pending", "sent", "failed", "cancelled", "unsent"];

/// A listing's question.
#[derive(Debug, Clone, Default)]
pub struct MailQuery {
    pub status: Option<String>,
    pub appointment: Option<AppointmentId>,
    /// An admin's view of one user's messages.
    pub user: Option<UserId>,
    pub page: i64,
    pub page_size: i64,
}

/// The messages the caller may see, newest first: an admin the company's (or one user's), a
/// member those about appointments they host and those they sent.
pub async fn list(
    svc: &Service,
    caller: &Principal,
    q: &MailQuery,
) -> ServiceResult<(Vec<MailView>, i64)> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let involving = match q.user {
        Some(user) if user != caller.user_id => {
            caller.require_admin()?;
            Some(user)
        }
        Some(user) => Some(user),
        None if caller.is_admin() => None,
        None => Some(caller.user_id),
    };
    let mut conn = svc.db.conn().await?;
    let (rows, total) = stored::list(
        &mut conn,
        &MailFilter {
            company: Some(caller.company_id),
            involving,
            status: q.status.clone(),
            appointment: q.appointment,
            recipient: None,
            limit: q.page_size,
            offset: q.page.saturating_mul(q.page_size),
        },
    )
    .await?;
    Ok((rows.iter().map(MailView::from).collect(), total))
}

/// Every message (the operator's CLI), newest first.
pub async fn list_all(
    svc: &Service,
    status: Option<&str>,
    limit: i64,
) -> ServiceResult<Vec<MailRecord>> {
    let mut conn = svc.db.conn().await?;
    let filter = MailFilter {
        status: status.map(str::to_owned),
        limit,
        ..MailFilter::default()
    };
    Ok(stored::list(&mut conn, &filter).await?.0)
}

/// Every message to `email` the company sent or holds (a data export), newest first.
pub async fn to_address(
    conn: &mut termin_storage::Connection,
    company: CompanyId,
    email: &str,
) -> ServiceResult<Vec<MailView>> {
    let filter = MailFilter {
        company: Some(company),
        recipient: Some(email.to_owned()),
        limit: 10_000,
        ..MailFilter::default()
    };
    let (rows, _) = stored::list(conn, &filter).await?;
    Ok(rows.iter().map(MailView::from).collect())
}

/// One message by id (the operator's CLI).
pub async fn find(svc: &Service, id: MailId) -> ServiceResult<MailRecord> {
    let mut conn = svc.db.conn().await?;
    stored::find(&mut conn, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Mail not found"))
}

/// A message a sender has claimed, and until when the claim holds.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub record: MailRecord,
    pub until: Timestamp,
}

/// Claims up to `limit` due messages for `lease`.
pub async fn claim_due(
    svc: &Service,
    lease: SignedDuration,
    limit: i64,
) -> ServiceResult<Vec<Claimed>> {
    let now = svc.now();
    let until = now + lease;
    let mut tx = svc.db.begin_write().await?;
    let rows = stored::claim_due(&mut tx, svc.db.backend(), now, until, limit).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|record| Claimed { record, until })
        .collect())
}

/// What the outbox holds and what a send came to, for the doors that render and send.
pub use termin_storage::mail::{MailRecord, Outcome};

/// What happens after a failed attempt: try again on the outbox's schedule (the webhooks'),
/// scaled by `scale`, or give up once it is spent.
pub fn after_failure(
    c: &Claimed,
    error: String,
    permanent: bool,
    scale: f64,
    unit: f64,
    now: Timestamp,
) -> Outcome {
    let retry = termin_domain::webhook::retry_delay(c.record.attempts as usize, scale, unit)
        .filter(|_| !permanent)
        .and_then(|d| SignedDuration::try_from(d).ok());
    match retry {
        Some(delay) => Outcome::Retry(now + delay, error),
        None => Outcome::Stop("failed", error),
    }
}

/// Records what became of a claimed message; `false` when the claim had run out and another
/// sender holds it now.
///
/// A message that carries a link into an account (welcome, password reset) keeps it only until
/// it is sent: then the stored copy says the link was sent instead, so the outbox (and a backup
/// of it) holds no working link.
pub async fn record(svc: &Service, c: &Claimed, outcome: &Outcome) -> ServiceResult<bool> {
    let mut tx = svc.db.begin_write().await?;
    let kept = stored::record(&mut tx, c.record.id, c.until, outcome, svc.now()).await?;
    if kept && matches!(outcome, Outcome::Sent) {
        if let Some(redacted) = without_link(&c.record.payload) {
            stored::set_payload(&mut tx, c.record.id, &redacted).await?;
        }
    }
    tx.commit().await?;
    Ok(kept)
}

/// What a sent message's stored payload says in place of its account link.
pub const LINK_SENT: &str = "(the link was sent and is not kept)";

/// `payload` with its account link replaced by [`LINK_SENT`], if it has one.
fn without_link(payload: &str) -> Option<String> {
    let mut p: MailPayload = serde_json::from_str(payload).ok()?;
    p.link.as_ref()?;
    p.link = Some(LINK_SENT.to_owned());
    serde_json::to_string(&p).ok()
}
