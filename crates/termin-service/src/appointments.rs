//! Appointments: booking, the appointment object, listing, cancelling, rescheduling.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use termin_domain::credential::{random_base62, ScopeGroup, SecretHash};
use termin_domain::principal::Principal;
use termin_domain::slots::Method;
use termin_domain::validate::Email;
use termin_domain::webhook::EventType;
use termin_domain::{AppointmentId, AttendeeId, CompanyId, ContactId, MeetingTypeId, UserId};
use termin_storage::appointments::ListFilter;
use termin_storage::appointments::{
    self, AppointmentRecord, AttendeeRecord, Cancellation, HostRow,
};
use termin_storage::contacts::{self, BookingContact};
use termin_storage::{idempotency, meeting_types, users, Batch, Connection, Tx};

use super::booking::{
    load_availabilities, lock_hosts, resolve_hosts, slot_at, why_not_bookable, HostZone,
    SlotRequest,
};
use super::meeting_types::MeetingType;
use crate::error::{ServiceError, ServiceResult};
use crate::events;
use crate::mail::{self, MailKind};
use crate::Service;

pub use crate::error::SLOT_TAKEN;

pub use termin_domain::limits::MAX_GUESTS;

/// The longest cancellation reason.
pub const MAX_REASON_CHARS: usize = 500;
/// The longest host's note on an appointment.
pub const MAX_NOTE_CHARS: usize = 10_000;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostView {
    pub id: UserId,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub full_name: String,
    pub slug: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendeeView {
    pub id: AttendeeId,
    pub email: String,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub fullname: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub language: Option<String>,
    pub receive_reminders: bool,
    pub notes: Value,
    pub bringalong_emails: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelView {
    pub action_source: Option<String>,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub action_at: Option<Timestamp>,
    pub action_by: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentMeetingInfo {
    pub name: String,
    pub duration: i64,
    pub channel: String,
}

/// The appointment object of the API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentView {
    pub id: AppointmentId,
    pub meeting_type_id: MeetingTypeId,
    pub company_id: CompanyId,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub start: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub end: Timestamp,
    pub is_cancelled: bool,
    pub cancel: Option<CancelView>,
    #[serde(serialize_with = "crate::wire_time::serialize_opt")]
    pub rescheduled_at: Option<Timestamp>,
    pub reschedule_count: i64,
    pub host_ids: Vec<UserId>,
    pub hosts: Vec<HostView>,
    pub attendees: Vec<AttendeeView>,
    pub meeting_info: AppointmentMeetingInfo,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub total_spots: i64,
    pub taken_spots: i64,
    /// The meeting's transcript (markdown), on the appointment itself only, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcription: Option<String>,
    /// Its summary (markdown), likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub updated_at: Timestamp,
}

/// An appointment with its hosts and attendees, as read.
pub struct Loaded {
    pub record: AppointmentRecord,
    pub hosts: Vec<HostRow>,
    pub attendees: Vec<AttendeeRecord>,
}

impl Loaded {
    pub fn host_ids(&self) -> Vec<UserId> {
        self.hosts.iter().map(|h| h.user_id).collect()
    }

    pub fn view(self) -> AppointmentView {
        let r = self.record;
        AppointmentView {
            host_ids: self.hosts.iter().map(|h| h.user_id).collect(),
            hosts: self
                .hosts
                .into_iter()
                .map(|h| HostView {
                    full_name: h.full_name(),
                    id: h.user_id,
                    email: h.email,
                    given_name: h.given_name,
                    family_name: h.family_name,
                    slug: h.slug,
                })
                .collect(),
            attendees: self
                .attendees
                .into_iter()
                .filter(|a| r.cancelled_at.is_some() || a.cancelled_at.is_none())
                .map(|a| AttendeeView {
                    id: a.id,
                    email: a.email,
                    firstname: a.firstname,
                    lastname: a.lastname,
                    fullname: a.fullname,
                    phone: a.phone,
                    timezone: a.timezone,
                    language: a.language,
                    receive_reminders: a.receive_reminders,
                    notes: serde_json::from_str(&a.notes).unwrap_or(Value::Null),
                    bringalong_emails: serde_json::from_str(&a.bringalong_emails)
                        .unwrap_or_default(),
                })
                .collect(),
            is_cancelled: r.cancelled_at.is_some(),
            cancel: r.cancelled_at.map(|at| CancelView {
                action_source: r.cancel_source.clone(),
                action_at: Some(at),
                action_by: r.cancelled_by.clone(),
                reason: r.cancel_reason.clone(),
            }),
            meeting_info: AppointmentMeetingInfo {
                name: r.meeting_name,
                duration: r.end_at.duration_since(r.start_at).as_mins(),
                channel: r.channel,
            },
            id: r.id,
            meeting_type_id: r.meeting_type_id,
            company_id: r.company_id,
            start: r.start_at,
            end: r.end_at,
            rescheduled_at: r.rescheduled_at,
            reschedule_count: r.reschedule_count,
            location: r.location,
            notes: r.notes,
            total_spots: r.spots,
            taken_spots: r.taken_spots,
            transcription: None,
            summary: None,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Loads appointments with their hosts and attendees, in the order given.
pub async fn load_many(
    conn: &mut Connection,
    records: Vec<AppointmentRecord>,
) -> ServiceResult<Vec<Loaded>> {
    let ids: Vec<AppointmentId> = records.iter().map(|r| r.id).collect();
    let hosts = appointments::hosts_of(conn, &ids).await?;
    let attendees = appointments::attendees_of(conn, &ids).await?;
    Ok(records
        .into_iter()
        .map(|record| Loaded {
            hosts: hosts
                .iter()
                .filter(|h| h.appointment_id == record.id)
                .cloned()
                .collect(),
            attendees: attendees
                .iter()
                .filter(|a| a.appointment_id == record.id)
                .cloned()
                .collect(),
            record,
        })
        .collect())
}

/// An appointment the caller may see: one they host, or any in the company for an admin.
pub async fn load_visible(
    conn: &mut Connection,
    caller: &Principal,
    id: AppointmentId,
) -> ServiceResult<Loaded> {
    let record = appointments::find(conn, caller.company_id, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Appointment not found"))?;
    let loaded = load_many(conn, vec![record])
        .await?
        .pop()
        .expect("one record in, one out");
    if !caller.is_admin() && !loaded.hosts.iter().any(|h| h.user_id == caller.user_id) {
        return Err(ServiceError::not_found("Appointment not found"));
    }
    Ok(loaded)
}

/// The appointment as the last writer left it, with its hosts locked for the transaction: what
/// a cancel or reschedule starts from. Their writes change the hosts' rows (and busy versions),
/// so the hosts are locked in the one order every writer uses. On PostgreSQL a racing cancel or
/// reschedule has committed or waits at the lock, and the appointment is read again after it;
/// on SQLite the write transaction already holds the database's write lock.
async fn load_locked(
    tx: &mut termin_storage::Tx,
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
) -> ServiceResult<Loaded> {
    let loaded = load_visible(tx, caller, id).await?;
    if svc.db.backend() == termin_storage::Backend::Sqlite {
        return Ok(loaded);
    }
    lock_hosts(tx, svc, &loaded.host_ids()).await?;
    load_visible(tx, caller, id).await
}

pub use termin_storage::appointments::Status;

/// A validated appointment listing (`GET /v4/appointment/paginated`).
#[derive(Debug, Clone, Default)]
pub struct AppointmentQuery {
    /// Whose appointments: the caller's own by default; another user's takes an admin.
    pub user: Option<UserId>,
    pub start_from: Option<Timestamp>,
    pub start_before: Option<Timestamp>,
    pub status: Option<Status>,
    pub meeting_type: Option<MeetingTypeId>,
    pub search: Option<String>,
    pub updated_since: Option<Timestamp>,
    pub sort_by_created: bool,
    pub descending: bool,
    /// 0-based.
    pub page: i64,
    pub page_size: i64,
}

/// A page of appointments and how many match in all.
pub async fn list(
    svc: &Service,
    caller: &Principal,
    q: &AppointmentQuery,
) -> ServiceResult<(Vec<AppointmentView>, i64)> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let host = match q.user {
        Some(u) if u != caller.user_id => {
            caller.require_admin()?;
            u
        }
        _ => caller.user_id,
    };
    let filter = ListFilter {
        company: Some(caller.company_id),
        host: Some(host),
        start_from: q.start_from,
        start_before: q.start_before,
        status: q.status,
        now: Some(svc.now()),
        meeting_type: q.meeting_type,
        search: q.search.clone(),
        updated_since: q.updated_since,
        sort_by_created: q.sort_by_created,
        descending: q.descending,
        limit: q.page_size,
        offset: q.page.saturating_mul(q.page_size),
    };
    let mut conn = svc.db.conn().await?;
    let (records, total) = appointments::list(&mut conn, &filter).await?;
    let views = load_many(&mut conn, records)
        .await?
        .into_iter()
        .map(Loaded::view)
        .collect();
    Ok((views, total))
}

/// The caller's appointments today, in their time zone (at most 500).
pub async fn today(svc: &Service, caller: &Principal) -> ServiceResult<Vec<AppointmentView>> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut conn = svc.db.conn().await?;
    let user = users::find_present(&mut conn, caller.company_id, caller.user_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    let tz = TimeZone::get(&user.timezone).unwrap_or(TimeZone::UTC);
    let (start, end) = today_bounds(&tz, svc.now())?;
    let filter = ListFilter {
        company: Some(caller.company_id),
        host: Some(caller.user_id),
        start_from: Some(start),
        start_before: Some(end),
        limit: 500,
        ..ListFilter::default()
    };
    let (records, _) = appointments::list(&mut conn, &filter).await?;
    Ok(load_many(&mut conn, records)
        .await?
        .into_iter()
        .map(Loaded::view)
        .collect())
}

/// One appointment the caller may see.
pub async fn get(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
) -> ServiceResult<AppointmentView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut conn = svc.db.conn().await?;
    let mut view = load_visible(&mut conn, caller, id).await?.view();
    let transcript = termin_storage::transcripts::find(&mut conn, id).await?;
    view.transcription = transcript.transcription;
    view.summary = transcript.summary;
    Ok(view)
}

/// The longest transcript or summary, in characters.
pub const MAX_TRANSCRIPT_CHARS: usize = 200_000;

/// A change to an appointment's transcript: an absent field stays, null clears it, text sets it.
#[derive(Debug, Clone, Default)]
pub struct TranscriptInput {
    pub transcription: Option<Option<String>>,
    pub summary: Option<Option<String>>,
}

/// Stores a meeting's transcript and summary on the appointment (hosts, owners and admins).
pub async fn set_transcript(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
    input: &TranscriptInput,
) -> ServiceResult<AppointmentView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut v = crate::Validator::new();
    for (field, value) in [
        ("transcription", &input.transcription),
        ("summary", &input.summary),
    ] {
        if let Some(Some(text)) = value {
            if text.chars().count() > MAX_TRANSCRIPT_CHARS {
                v.fail(
                    field,
                    format!("must be at most {MAX_TRANSCRIPT_CHARS} characters"),
                );
            }
        }
    }
    v.finish()?;
    let at = svc.now();
    let mut tx = svc.db.begin_write().await?;
    load_visible(&mut tx, caller, id).await?;
    // Two changes at once on PostgreSQL would each read the other's old text and write it
    // back: the appointment's row lock makes them take turns.
    appointments::lock(&mut tx, id).await?;
    let mut transcript = termin_storage::transcripts::find(&mut tx, id).await?;
    if let Some(value) = &input.transcription {
        transcript.transcription = value.clone();
    }
    if let Some(value) = &input.summary {
        transcript.summary = value.clone();
    }
    termin_storage::transcripts::store(&mut tx, id, &transcript, at).await?;
    appointments::touch(&mut tx, id, at).await?;
    let mut view = load_visible(&mut tx, caller, id).await?.view();
    tx.commit().await?;
    view.transcription = transcript.transcription;
    view.summary = transcript.summary;
    Ok(view)
}

/// A validated attendee of a booking.
#[derive(Debug, Clone, Default)]
pub struct NewAttendee {
    pub email: String,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub fullname: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub language: Option<String>,
    pub receive_reminders: bool,
    pub notes: BTreeMap<String, Value>,
    pub bringalong_emails: Vec<String>,
}

/// A validated booking request.
pub struct BookingRequest {
    pub meeting_type_id: MeetingTypeId,
    pub start: Timestamp,
    pub duration: Option<i64>,
    pub host_ids: Option<Vec<UserId>>,
    pub channel: Option<String>,
    pub location: Option<String>,
    pub attendee: NewAttendee,
    /// The token of the one-time link booked through, used up by this booking.
    pub one_time_link: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Booked {
    pub appointment_id: AppointmentId,
    /// Lets the attendee see, cancel and reschedule without an account. Shown once.
    pub secret: String,
}

/// An `Idempotency-Key` and what it protects.
pub struct Idempotency<'a> {
    pub scope: String,
    pub key: &'a str,
    pub request_hash: String,
}

/// Books a slot. Either everything is written (appointment, host rows, attendee, contact,
/// idempotency record) or nothing is.
pub async fn book(
    svc: &Service,
    caller: &Principal,
    req: &BookingRequest,
    idem: Option<&Idempotency<'_>>,
) -> ServiceResult<Booked> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    // What a booking only reads is read before it takes the write lock, which is held just for
    // the decision that must be serialised: is the slot still free, and taking it. Reading the
    // meeting type, hosts, schedules and webhook subscriptions first is the same as booking a
    // moment before a concurrent edit of them (none of those edits reads appointments).
    let mut conn = svc.db.conn().await?;
    // A retry of a booking already made gets its first answer, whatever changed since (a
    // question added, the slot taken by this very booking). Checked again under the lock below
    // for a retry racing the first request.
    if let Some(idem) = idem {
        if let Some(stored) = idempotency::find(&mut conn, &idem.scope, idem.key).await? {
            return replay(stored, idem);
        }
    }
    let (mt, own_availability) =
        super::meeting_types::get_with_availability(&mut conn, caller, req.meeting_type_id).await?;
    let duration = super::booking::allowed_duration(&mt, req.duration)
        .map_err(|m| ServiceError::field("duration", m))?;
    let unanswered = termin_domain::questions::check_answers(
        &mt.settings.booking_questions,
        &req.attendee.notes,
    );
    if !unanswered.is_empty() {
        return Err(ServiceError::validation(
            unanswered
                .into_iter()
                .map(|(field, message)| crate::FieldError { field, message })
                .collect(),
        ));
    }
    let host_records = resolve_hosts(&mut conn, caller, &mt, req.host_ids.as_deref(), None).await?;
    if let Some(reason) = why_not_bookable(&mt, &host_records) {
        return Err(ServiceError::conflict(reason));
    }
    let hosts: Vec<UserId> = host_records.iter().map(|h| h.id).collect();
    let zones: Vec<HostZone> = host_records.iter().map(HostZone::from).collect();
    let availabilities = load_availabilities(
        &mut conn,
        caller.company_id,
        &mt,
        own_availability.as_ref(),
        &zones,
    )
    .await?;
    let subscribers =
        events::subscribers(&mut conn, caller.company_id, EventType::BookingCreated).await?;
    drop(conn);

    let mut tx = svc.db.begin_write().await?;
    let writers = lock_hosts(&mut tx, svc, &hosts).await?;
    if let Some(idem) = idem {
        if let Some(stored) = idempotency::find(&mut tx, &idem.scope, idem.key).await? {
            return replay(stored, idem);
        }
    }
    let at = svc.now();
    let request = SlotRequest {
        meeting_type: &mt,
        hosts: &hosts,
        availabilities: &availabilities,
        window_start: req.start,
        window_end: req.start,
        duration_minutes: duration,
        method: Method::Anyone,
        ignore: None,
        now: at,
    };
    let slot = slot_at(&mut tx, &request, req.start)
        .await?
        .ok_or_else(|| ServiceError::conflict(SLOT_TAKEN))?;
    let host = hosts[*slot
        .free_hosts
        .first()
        .ok_or_else(|| ServiceError::conflict(SLOT_TAKEN))?];
    // Joining a group appointment, or a new appointment for one free host (the first listed).
    let joined = match slot.joins {
        Some(_) => {
            let groups = Some(mt.record.id);
            appointments::busy_for_hosts(&mut tx, &[host], slot.start, slot.end, None, groups)
                .await?
                .into_iter()
                .filter(|b| b.start_at == slot.start)
                .find_map(|b| b.open_group)
        }
        None => None,
    };
    // The writes go to the database together (one round trip on SQLite; see `Batch`).
    let mut batch = Batch::new();
    // The event's and the mails' appointment, from what is in hand: the new record, or the
    // joined one as it stood before this seat was taken.
    let written: Option<Loaded>;
    let appointment_id = match &joined {
        Some(b) => {
            let record = appointments::find(&mut tx, caller.company_id, b.appointment_id).await?;
            written = load_many(&mut tx, record.into_iter().collect())
                .await?
                .pop();
            appointments::add_taken_spots(&mut tx, b.appointment_id, 1, at).await?;
            b.appointment_id
        }
        None => {
            let record = AppointmentRecord {
                id: AppointmentId::new(),
                company_id: caller.company_id,
                meeting_type_id: mt.record.id,
                start_at: slot.start,
                end_at: slot.start + SignedDuration::from_mins(duration),
                meeting_name: mt.settings.meeting_info.name.clone(),
                channel: req
                    .channel
                    .clone()
                    .unwrap_or_else(|| mt.settings.meeting_info.channel.clone()),
                location: req.location.clone(),
                notes: None,
                spots: mt.settings.spots,
                taken_spots: 1,
                cancelled_at: None,
                cancel_reason: None,
                cancel_source: None,
                cancelled_by: None,
                rescheduled_at: None,
                reschedule_count: 0,
                created_at: at,
                updated_at: at,
            };
            appointments::insert(&mut batch, &record);
            appointments::insert_host(&mut batch, &record, host);
            let id = record.id;
            {
                let h = host_records
                    .iter()
                    .find(|h| h.id == host)
                    .expect("the host is one of the hosts");
                written = Some(Loaded {
                    record,
                    hosts: vec![HostRow {
                        appointment_id: id,
                        user_id: h.id,
                        email: h.email.clone(),
                        given_name: h.given_name.clone(),
                        family_name: h.family_name.clone(),
                        slug: h.slug.clone(),
                        timezone: h.timezone.clone(),
                        language: h.language.clone(),
                    }],
                    attendees: Vec::new(),
                });
            }
            id
        }
    };
    if let Some(token) = &req.one_time_link {
        let token = SecretHash::of(token);
        let used = termin_storage::one_time_links::use_once(
            &mut tx,
            token,
            mt.record.id,
            appointment_id,
            at,
        )
        .await?;
        if !used {
            return Err(ServiceError::conflict(crate::one_time_links::LINK_USED));
        }
    }
    let a = &req.attendee;
    contacts::upsert_for_booking(
        &mut batch,
        &BookingContact {
            company_id: caller.company_id,
            owner: host,
            email: &a.email,
            first_name: a.firstname.as_deref(),
            last_name: a.lastname.as_deref(),
            phone: a.phone.as_deref(),
            language: a.language.as_deref(),
        },
        at,
    );
    let secret = random_base62(32);
    // No contact id: the attendee is linked to the contact just upserted, by email.
    let attendee = attendee_record(appointment_id, None, a, at)?;
    appointments::insert_attendee(
        &mut batch,
        caller.company_id,
        &attendee,
        SecretHash::of(&secret),
    );
    let attendee_for_event = attendee;
    let booked = Booked {
        appointment_id,
        secret,
    };
    if let Some(idem) = idem {
        let answer = idempotency::StoredAnswer {
            request_hash: idem.request_hash.clone(),
            status: 201,
            body: serde_json::to_string(&booked).map_err(ServiceError::internal)?,
        };
        idempotency::insert(&mut batch, &idem.scope, idem.key, &answer, at);
    }
    let mut loaded =
        written.ok_or_else(|| ServiceError::internal("the joined appointment is gone"))?;
    // The event and the mails are built from the values written, not read back.
    let attendee_id = attendee_for_event.id;
    loaded.record.taken_spots += i64::from(joined.is_some());
    loaded.record.updated_at = at;
    loaded.attendees.push(attendee_for_event);
    let hosts = loaded.hosts.clone();
    let view = loaded.view();
    let manage_url = format!(
        "{}/manage/{}/{}",
        svc.public_url, booked.appointment_id, booked.secret
    );
    booking_mails(&mut batch, &view, &hosts, &mt, attendee_id, &manage_url, at)?;
    termin_storage::calendars::enqueue_writes(
        &mut batch,
        appointment_id,
        &[host],
        at,
        joined.is_none(),
        writers.as_deref(),
    );
    if !subscribers.is_empty() {
        std::mem::take(&mut batch).execute(&mut tx).await?;
        let body = appointment_payload(view, &mt, json!({}))?;
        events::record(
            &mut tx,
            caller.company_id,
            EventType::BookingCreated,
            &subscribers,
            body,
            at,
        )
        .await?;
    }
    tx.commit_with(batch).await?;
    Ok(booked)
}

impl From<&AttendeeView> for mail::Recipient {
    fn from(a: &AttendeeView) -> Self {
        Self {
            person: mail::Person {
                name: a.fullname.clone().unwrap_or_else(|| a.email.clone()),
                email: a.email.clone(),
            },
            timezone: a.timezone.clone(),
            language: a.language.clone(),
            guests: a.bringalong_emails.clone(),
            receive_reminders: a.receive_reminders,
        }
    }
}

/// The meeting as the messages about it show it: the appointment, its first host as the
/// organizer, and everyone invited (attendees and their guests).
fn meeting_of(view: &AppointmentView, hosts: &[HostRow]) -> ServiceResult<mail::Meeting> {
    let host = hosts
        .first()
        .ok_or_else(|| ServiceError::internal("an appointment without a host"))?;
    Ok(mail::Meeting {
        id: view.id,
        title: view.meeting_info.name.clone(),
        start: view.start,
        end: view.end,
        channel: view.meeting_info.channel.clone(),
        location: view.location.clone(),
        organizer: mail::host_person(host),
        host_timezone: host.timezone.clone(),
        invited: view
            .attendees
            .iter()
            .flat_map(|a| mail::Recipient::from(a).invited())
            .collect(),
        sequence: view.reschedule_count,
    })
}

/// The messages of a booking: the attendee's confirmation (and their guests' invitations),
/// the hosts' notice with the answers, and the attendee's reminder.
fn booking_mails(
    batch: &mut Batch,
    view: &AppointmentView,
    hosts: &[HostRow],
    mt: &MeetingType,
    attendee: AttendeeId,
    manage_url: &str,
    at: Timestamp,
) -> ServiceResult<()> {
    let meeting = meeting_of(view, hosts)?;
    let a = view
        .attendees
        .iter()
        .find(|a| a.id == attendee)
        .ok_or_else(|| ServiceError::internal("the new attendee is missing"))?;
    let host = &hosts[0];
    let r = mail::Recipient::from(a);
    let mut outbox = mail::Outbox::new(view.company_id, &meeting, at);
    outbox.to_attendee(MailKind::Confirmation, &r, host, Some(manage_url), |_| {})?;
    let booker = mail::Person {
        name: a.fullname.clone().unwrap_or_else(|| a.email.clone()),
        email: a.email.clone(),
    };
    let answers = mail::answers(&mt.settings.booking_questions, &a.notes);
    outbox.to_hosts(MailKind::HostBooked, hosts, |p| {
        p.from = Some(booker.clone());
        p.answers = answers.clone();
    })?;
    outbox.reminder(&r, host, Some(manage_url), mt.settings.reminder())?;
    outbox.write(batch);
    Ok(())
}

/// An appointment event's body: the appointment as the API shows it, its meeting type, and the
/// event's own fields (`extra`).
fn appointment_payload(
    view: AppointmentView,
    mt: &MeetingType,
    extra: Value,
) -> ServiceResult<Value> {
    let mut body = serde_json::to_value(&view).map_err(ServiceError::internal)?;
    body["meetingType"] = json!({
        "id": mt.record.id,
        "slug": mt.record.slug,
        "meetingInfo": {"name": mt.settings.meeting_info.name, "duration": mt.settings.meeting_info.duration},
        "metadata": mt.settings.metadata,
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    Ok(body)
}

/// Records an appointment event for its subscribers, if any, inside the caller's transaction.
/// `mt` is the meeting type when the caller holds it; otherwise it is read (only when someone
/// subscribes).
async fn appointment_event(
    tx: &mut Tx,
    company: CompanyId,
    event: EventType,
    view: &AppointmentView,
    mt: Option<&MeetingType>,
    extra: Value,
    at: Timestamp,
) -> ServiceResult<()> {
    let subscribers = events::subscribers(tx, company, event).await?;
    if subscribers.is_empty() {
        return Ok(());
    }
    let read;
    let mt = match mt {
        Some(mt) => mt,
        None => {
            let record = meeting_types::find(tx, company, view.meeting_type_id)
                .await?
                .ok_or_else(|| {
                    ServiceError::internal("an appointment's meeting type is missing")
                })?;
            read = MeetingType::from_record(record)?;
            &read
        }
    };
    let body = appointment_payload(view.clone(), mt, extra)?;
    events::record(tx, company, event, &subscribers, body, at).await
}

fn replay(stored: idempotency::StoredAnswer, idem: &Idempotency<'_>) -> ServiceResult<Booked> {
    if stored.request_hash != idem.request_hash {
        return Err(ServiceError::conflict(
            "This Idempotency-Key was already used with a different request",
        ));
    }
    serde_json::from_str(&stored.body).map_err(ServiceError::internal)
}

fn attendee_record(
    appointment: AppointmentId,
    contact: Option<ContactId>,
    a: &NewAttendee,
    at: Timestamp,
) -> ServiceResult<AttendeeRecord> {
    Ok(AttendeeRecord {
        id: AttendeeId::new(),
        appointment_id: appointment,
        contact_id: contact,
        email: a.email.clone(),
        firstname: a.firstname.clone(),
        lastname: a.lastname.clone(),
        fullname: a.fullname.clone().or_else(|| {
            let joined = format!(
                "{} {}",
                a.firstname.as_deref().unwrap_or(""),
                a.lastname.as_deref().unwrap_or("")
            );
            let joined = joined.trim();
            (!joined.is_empty()).then(|| joined.to_owned())
        }),
        phone: a.phone.clone(),
        timezone: a.timezone.clone(),
        language: a.language.clone(),
        receive_reminders: a.receive_reminders,
        notes: serde_json::to_string(&a.notes).map_err(ServiceError::internal)?,
        bringalong_emails: serde_json::to_string(&a.bringalong_emails)
            .map_err(ServiceError::internal)?,
        cancelled_at: None,
        created_at: at,
    })
}

/// Cancels a whole appointment, or for a group meeting one attendee.
pub async fn cancel(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
    reason: Option<&str>,
    attendee: Option<AttendeeId>,
    cancel_all: bool,
) -> ServiceResult<AppointmentView> {
    let by = caller.user_id.to_string();
    cancel_as(svc, caller, id, reason, attendee, cancel_all, ("api", &by)).await
}

/// [`cancel`], saying who cancelled: the source (`api`, `attendee`) and who.
pub(crate) async fn cancel_as(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
    reason: Option<&str>,
    attendee: Option<AttendeeId>,
    cancel_all: bool,
    (source, by): (&str, &str),
) -> ServiceResult<AppointmentView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(ServiceError::field(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters"),
        ));
    }
    let mut tx = svc.db.begin_write().await?;
    // The cancel below is conditional as well.
    let loaded = load_locked(&mut tx, svc, caller, id).await?;
    let already = || ServiceError::conflict("Appointment is already cancelled");
    if loaded.record.cancelled_at.is_some() {
        return Err(already());
    }
    if let Some(attendee) = attendee {
        if !loaded.attendees.iter().any(|a| a.id == attendee) {
            return Err(ServiceError::not_found(
                "Attendee not found in this appointment",
            ));
        }
    }
    let at = svc.now();
    let whole = Cancellation {
        reason,
        source,
        by: Some(by),
    };
    let spots = loaded.record.spots;
    let hosts = loaded.hosts.clone();
    // The attendees as they were: who is told.
    let before = loaded.view();
    let mut meeting = meeting_of(&before, &hosts)?;
    meeting.sequence += 1;
    let mut outbox = mail::Outbox::new(caller.company_id, &meeting, at);
    let with_reason = |p: &mut mail::MailPayload| p.reason = reason.map(str::to_owned);
    let (extra, whole_cancelled) = match attendee {
        Some(attendee) if !cancel_all && spots > 1 => {
            if !appointments::cancel_attendee(&mut tx, id, attendee, at).await? {
                return Err(ServiceError::not_found(
                    "Attendee not found in this appointment",
                ));
            }
            let remaining = before.attendees.iter().filter(|a| a.id != attendee).count();
            if remaining == 0 && !appointments::cancel(&mut tx, id, &whole, at).await? {
                return Err(already());
            }
            if let Some(a) = before.attendees.iter().find(|a| a.id == attendee) {
                outbox.to_attendee(MailKind::Cancelled, &a.into(), &hosts[0], None, with_reason)?;
                mail::withdraw_reminders(&mut tx, id, Some(&a.email), at).await?;
                if remaining > 0 {
                    let who = mail::Person {
                        name: a.fullname.clone().unwrap_or_else(|| a.email.clone()),
                        email: a.email.clone(),
                    };
                    outbox.to_hosts(MailKind::SeatCancelled, &hosts, |p| {
                        p.from = Some(who.clone());
                        p.reason = reason.map(str::to_owned);
                    })?;
                }
            }
            (json!({"cancelledAttendeeId": attendee}), remaining == 0)
        }
        _ => {
            if !appointments::cancel(&mut tx, id, &whole, at).await? {
                return Err(already());
            }
            for a in &before.attendees {
                outbox.to_attendee(MailKind::Cancelled, &a.into(), &hosts[0], None, with_reason)?;
            }
            (json!({}), true)
        }
    };
    if whole_cancelled {
        outbox.to_hosts(MailKind::Cancelled, &hosts, with_reason)?;
        mail::withdraw_reminders(&mut tx, id, None, at).await?;
    }
    let mut batch = Batch::new();
    outbox.write(&mut batch);
    let host_ids: Vec<UserId> = hosts.iter().map(|h| h.user_id).collect();
    termin_storage::calendars::enqueue_writes(&mut batch, id, &host_ids, at, false, None);
    batch.execute(&mut tx).await?;
    let view = load_visible(&mut tx, caller, id).await?.view();
    appointment_event(
        &mut tx,
        caller.company_id,
        EventType::BookingCancelled,
        &view,
        None,
        extra,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Moves an appointment to `start`, under the same rules as booking.
pub async fn reschedule(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
    start: Timestamp,
    ignore_availability: bool,
) -> ServiceResult<(AppointmentView, Timestamp)> {
    reschedule_as(svc, caller, id, start, ignore_availability, None).await
}

/// [`reschedule`], by one attendee (their manage link): only while they are its one active
/// attendee, checked on the locked appointment.
pub(crate) async fn reschedule_as(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
    start: Timestamp,
    ignore_availability: bool,
    attendee: Option<AttendeeId>,
) -> ServiceResult<(AppointmentView, Timestamp)> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    let loaded = load_locked(&mut tx, svc, caller, id).await?;
    let hosts = loaded.host_ids();
    if loaded.record.cancelled_at.is_some() {
        return Err(ServiceError::conflict(
            "A cancelled appointment cannot be rescheduled",
        ));
    }
    if let Some(attendee) = attendee {
        let active: Vec<_> = loaded
            .attendees
            .iter()
            .filter(|a| a.cancelled_at.is_none())
            .collect();
        if !active.iter().any(|a| a.id == attendee) {
            return Err(ServiceError::conflict(
                "A cancelled booking cannot be rescheduled",
            ));
        }
        if active.len() > 1 {
            return Err(ServiceError::conflict(
                "Others are booked into this meeting too: cancel your seat and book another time",
            ));
        }
    }
    let mt_record = meeting_types::find(&mut tx, caller.company_id, loaded.record.meeting_type_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Meeting type not found"))?;
    let mt = MeetingType::from_record(mt_record)?;
    let duration = loaded.record.end_at.duration_since(loaded.record.start_at);
    let end = start + duration;
    let at = svc.now();
    if ignore_availability {
        // Availability, notice and grid may be overridden; another appointment never.
        let overlapping =
            appointments::busy_for_hosts(&mut tx, &hosts, start, end, Some(id), None).await?;
        if !overlapping.is_empty() {
            return Err(ServiceError::conflict(SLOT_TAKEN));
        }
    } else {
        let zones: Vec<HostZone> = loaded
            .hosts
            .iter()
            .map(|h| HostZone {
                id: h.user_id,
                timezone: &h.timezone,
            })
            .collect();
        let availabilities =
            load_availabilities(&mut tx, caller.company_id, &mt, None, &zones).await?;
        let request = SlotRequest {
            meeting_type: &mt,
            hosts: &hosts,
            availabilities: &availabilities,
            window_start: start,
            window_end: start,
            duration_minutes: duration.as_mins(),
            method: Method::Everyone,
            ignore: Some(id),
            now: at,
        };
        if slot_at(&mut tx, &request, start).await?.is_none() {
            return Err(ServiceError::conflict(SLOT_TAKEN));
        }
    }
    let previous = loaded.record.start_at;
    appointments::reschedule(&mut tx, id, start, end, at).await?;
    let after = load_visible(&mut tx, caller, id).await?;
    let hosts = after.hosts.clone();
    let view = after.view();
    // Everyone is sent the updated invitation, attendees with the link they were given; their
    // reminders move with the meeting.
    let meeting = meeting_of(&view, &hosts)?;
    let links = mail::manage_urls(&mut tx, id).await?;
    mail::withdraw_reminders(&mut tx, id, None, at).await?;
    let mut outbox = mail::Outbox::new(caller.company_id, &meeting, at);
    let moved = |p: &mut mail::MailPayload| p.previous_start = Some(previous);
    for a in &view.attendees {
        let link = links.get(&a.email).map(String::as_str);
        let r = mail::Recipient::from(a);
        outbox.to_attendee(MailKind::Updated, &r, &hosts[0], link, moved)?;
        outbox.reminder(&r, &hosts[0], link, mt.settings.reminder())?;
    }
    outbox.to_hosts(MailKind::Updated, &hosts, moved)?;
    let mut batch = Batch::new();
    outbox.write(&mut batch);
    let host_ids: Vec<UserId> = hosts.iter().map(|h| h.user_id).collect();
    termin_storage::calendars::enqueue_writes(&mut batch, id, &host_ids, at, false, None);
    batch.execute(&mut tx).await?;
    let extra = json!({"previousStart": crate::wire_time::format(previous)});
    appointment_event(
        &mut tx,
        caller.company_id,
        EventType::BookingRescheduled,
        &view,
        Some(&mt),
        extra,
        at,
    )
    .await?;
    tx.commit().await?;
    Ok((view, previous))
}

pub async fn set_notes(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
    note: &str,
) -> ServiceResult<AppointmentView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(ServiceError::field(
            "note",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    let mut tx = svc.db.begin_write().await?;
    load_visible(&mut tx, caller, id).await?;
    appointments::set_notes(&mut tx, id, note, svc.now()).await?;
    let view = load_visible(&mut tx, caller, id).await?.view();
    tx.commit().await?;
    Ok(view)
}

/// Adds a guest e-mail to an attendee's `bringalongEmails` (meetergo's "add guest"): kept once,
/// at most [`MAX_GUESTS`] per attendee. `attendee` may be left out when the appointment has
/// exactly one attendee. The attendee's own address never changes.
pub async fn add_guest(
    svc: &Service,
    caller: &Principal,
    id: AppointmentId,
    attendee: Option<AttendeeId>,
    email: &Email,
) -> ServiceResult<AppointmentView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    // The guest list is read, changed and written back: lock it first, or parallel adds on
    // PostgreSQL each write their own list and all but one are lost.
    appointments::lock(&mut tx, id).await?;
    let loaded = load_visible(&mut tx, caller, id).await?;
    let active: Vec<&AttendeeRecord> = loaded
        .attendees
        .iter()
        .filter(|a| a.cancelled_at.is_none())
        .collect();
    let target = match attendee {
        Some(wanted) => active.iter().find(|a| a.id == wanted).copied(),
        None if active.len() == 1 => Some(active[0]),
        None => {
            return Err(ServiceError::field(
                "attendeeId",
                "is required when the appointment has several attendees",
            ))
        }
    }
    .ok_or_else(|| ServiceError::not_found("Attendee not found in this appointment"))?;
    let mut guests: Vec<String> =
        serde_json::from_str(&target.bringalong_emails).unwrap_or_default();
    if !guests
        .iter()
        .any(|g| g.eq_ignore_ascii_case(email.as_str()))
    {
        if guests.len() >= MAX_GUESTS {
            return Err(ServiceError::field(
                "email",
                format!("the attendee already brings {MAX_GUESTS} guests, the most allowed"),
            ));
        }
        guests.push(email.as_str().to_owned());
        let json = serde_json::to_string(&guests).map_err(ServiceError::internal)?;
        appointments::set_bringalong_emails(&mut tx, id, target.id, &json, svc.now()).await?;
    }
    let view = load_visible(&mut tx, caller, id).await?.view();
    // The guest is invited in the hosts' calendars too.
    let mut batch = Batch::new();
    termin_storage::calendars::enqueue_writes(
        &mut batch,
        id,
        &view.host_ids,
        svc.now(),
        false,
        None,
    );
    tx.commit_with(batch).await?;
    Ok(view)
}

/// An RFC 5545 calendar with the appointment as its one event.
pub fn ics(view: &AppointmentView) -> String {
    let mut calendar = icalendar::Calendar::new();
    calendar.push(event_of(view));
    calendar.done().to_string()
}

/// An RFC 5545 calendar of many appointments (a calendar feed), named `name`.
pub fn ics_feed<'a>(views: impl IntoIterator<Item = &'a AppointmentView>, name: &str) -> String {
    let mut calendar = icalendar::Calendar::new();
    calendar.name(name);
    for view in views {
        calendar.push(event_of(view));
    }
    calendar.done().to_string()
}

/// The appointment as the host's calendar holds it (write-back): the feed's event, with the
/// attendees' answers left out and a link to the appointment in the dashboard.
pub fn host_calendar_event(view: &AppointmentView, public_url: &str) -> String {
    use icalendar::Component;
    let mut event = event_of(view);
    let link = format!("{public_url}/dashboard/appointments/{}", view.id);
    let mut text = String::new();
    for a in &view.attendees {
        let name = a.fullname.as_deref().unwrap_or(&a.email);
        text.push_str(&format!("With {name} <{}>\n", a.email));
    }
    text.push_str(&format!("\nManage this appointment in termin: {link}"));
    event.description(&text);
    event.add_property("URL", &link);
    let mut calendar = icalendar::Calendar::new();
    calendar.push(event);
    calendar.done().to_string()
}

/// The appointment as a calendar event: a UID that stays the same through every change (the
/// e-mails' invitations carry it too), a SEQUENCE that grows with each move, and
/// `STATUS:CANCELLED` once cancelled.
fn event_of(view: &AppointmentView) -> icalendar::Event {
    use icalendar::{Component, Event, EventLike};
    fn stamp(t: Timestamp) -> String {
        t.strftime("%Y%m%dT%H%M%SZ").to_string()
    }
    let mut event = Event::new();
    event
        .uid(&format!("{}@termin", view.id))
        .summary(&view.meeting_info.name)
        .add_property("DTSTAMP", stamp(view.updated_at))
        .add_property("DTSTART", stamp(view.start))
        .add_property("DTEND", stamp(view.end))
        .add_property("SEQUENCE", view.reschedule_count.to_string())
        .add_property(
            "STATUS",
            if view.is_cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            },
        );
    if let Some(location) = &view.location {
        event.location(location);
    }
    if let Some(host) = view.hosts.first() {
        event.add_property("ORGANIZER", format!("mailto:{}", host.email));
    }
    // The attendees and the guests they bring are all invited.
    let invited = view
        .attendees
        .iter()
        .flat_map(|a| std::iter::once(&a.email).chain(&a.bringalong_emails));
    for email in invited {
        event.add_multi_property("ATTENDEE", &format!("mailto:{email}"));
    }
    event.done()
}

/// Today's bounds in the given zone.
fn today_bounds(tz: &jiff::tz::TimeZone, at: Timestamp) -> ServiceResult<(Timestamp, Timestamp)> {
    let today = at.to_zoned_datetime(tz.clone()).date();
    let start = today
        .to_zoned_datetime(tz.clone())
        .map_err(ServiceError::internal)?;
    let end = today
        .tomorrow()
        .map_err(ServiceError::internal)?
        .to_zoned_datetime(tz.clone())
        .map_err(ServiceError::internal)?;
    Ok((start.timestamp(), end.timestamp()))
}
