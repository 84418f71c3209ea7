//! What a visitor without a credential may see and do: a host's personal page, the booking page
//! of one of their meeting types, and the manage link an attendee gets after booking.
//!
//! These use cases act for the host with a [`Credential::Visitor`] principal, which reaches
//! scheduling and nothing else, and call the same use cases as the API (bookable times,
//! booking, cancel, reschedule), so the pages follow every rule the API does. What a visitor is
//! shown is only what the host publishes: nothing about other attendees.

use jiff::{SignedDuration, Timestamp};
use termin_domain::credential::SecretHash;
use termin_domain::principal::{Credential, Principal};
use termin_domain::tenancy::Role;
use termin_domain::{AppointmentId, AttendeeId};
use termin_storage::availabilities::AvailabilityRecord;
use termin_storage::users::UserRecord;
use termin_storage::{appointments as stored, meeting_types as stored_types, users};

use crate::appointments::{self, AppointmentView, Booked, BookingRequest};
use crate::booking::{self, BookableTimes, TimesQuery};
use crate::error::{ServiceError, ServiceResult};
use crate::meeting_types::MeetingType;
use crate::personal_pages::{self, PersonalPage};
use crate::Service;

/// The answer when a host takes no bookings now (deactivated, or the meeting type disabled).
pub const NOT_TAKING_BOOKINGS: &str = "This meeting type is not taking bookings at the moment";

/// The principal the public pages act with: the host, as a visitor who may only book.
fn visitor(host: &UserRecord) -> Principal {
    Principal {
        user_id: host.id,
        company_id: host.company_id,
        role: Role::Member,
        credential: Credential::Visitor,
    }
}

/// A host's personal page: who they are, their settings, and the meeting types it lists.
pub struct HostPage {
    pub host: UserRecord,
    pub page: PersonalPage,
    pub meeting_types: Vec<MeetingType>,
}

/// The host at `/{slug}`, or not found. A deactivated host's page exists but lists nothing.
async fn host_by_slug(
    conn: &mut termin_storage::Connection,
    slug: &str,
) -> ServiceResult<UserRecord> {
    users::find_present_by_slug(conn, slug)
        .await?
        .ok_or_else(|| ServiceError::not_found("There is no page at this address"))
}

/// The personal page at `/{slug}`: the host's enabled meeting types in their chosen order (those
/// in `meetingTypeOrder` first; the others after them only with `showAllMeetingTypes`).
pub async fn host_page(svc: &Service, slug: &str) -> ServiceResult<HostPage> {
    let mut conn = svc.db.conn().await?;
    let host = host_by_slug(&mut conn, slug).await?;
    let page = personal_pages::of_user(&mut conn, host.id).await?;
    let mut listed = Vec::new();
    if host.deactivated_at.is_none() {
        let mut all = stored_types::list_for_user(&mut conn, host.id)
            .await?
            .into_iter()
            .filter(|m| m.enabled)
            .map(MeetingType::from_record)
            .collect::<ServiceResult<Vec<_>>>()?;
        for id in &page.meeting_type_order {
            if let Some(at) = all.iter().position(|m| m.record.id == *id) {
                listed.push(all.remove(at));
            }
        }
        if page.show_all_meeting_types {
            listed.extend(all);
        }
    }
    Ok(HostPage {
        host,
        page,
        meeting_types: listed,
    })
}

/// A meeting type a visitor may book, with its host, its own availability and the host's page
/// settings (colours).
pub struct Bookable {
    pub host: UserRecord,
    pub page: PersonalPage,
    pub meeting_type: MeetingType,
    pub own_availability: Option<AvailabilityRecord>,
}

/// The meeting type at `/{userSlug}/{meetingTypeSlug}`, read in one query. Not found when
/// either is missing; [`NOT_TAKING_BOOKINGS`] (a conflict) when it exists but takes no
/// bookings now.
pub async fn bookable(svc: &Service, user_slug: &str, slug: &str) -> ServiceResult<Bookable> {
    let missing = || ServiceError::not_found("There is no page at this address");
    let mut conn = svc.db.conn().await?;
    let (host, found, page) = stored_types::find_public(&mut conn, user_slug, slug)
        .await?
        .ok_or_else(missing)?;
    let (record, own_availability) = found.ok_or_else(missing)?;
    let meeting_type = MeetingType::from_record(record)?;
    if booking::why_not_bookable(&meeting_type, std::slice::from_ref(&host)).is_some() {
        return Err(ServiceError::conflict(NOT_TAKING_BOOKINGS));
    }
    let page = match page {
        Some(json) => serde_json::from_str(&json).map_err(ServiceError::internal)?,
        None => PersonalPage::default(),
    };
    Ok(Bookable {
        host,
        page,
        meeting_type,
        own_availability,
    })
}

/// Whether the one-time link `token` may book `b` now (see [`crate::one_time_links::check`]).
pub async fn check_link(svc: &Service, b: &Bookable, token: &str) -> ServiceResult<()> {
    let mut conn = svc.db.conn().await?;
    crate::one_time_links::check(&mut conn, b.meeting_type.record.id, token).await
}

/// The bookable times of `b` (the same rules as `GET /v4/booking-availability`). The query's
/// meeting type and hosts are `b`'s, whatever it names.
pub async fn times(svc: &Service, b: &Bookable, q: &TimesQuery) -> ServiceResult<BookableTimes> {
    let q = TimesQuery {
        meeting_type_id: b.meeting_type.record.id,
        host_ids: vec![b.host.id],
        ..q.clone()
    };
    let mut conn = svc.db.conn().await?;
    let own = b.own_availability.as_ref();
    let (visitor, host) = (visitor(&b.host), Some(&b.host));
    booking::bookable_times_of(svc, &mut conn, &visitor, host, &b.meeting_type, own, &q).await
}

/// Books `b` for a visitor. At most `per_email_hourly` bookings per attendee e-mail and hour
/// with the host's company (counted before the booking, so two at the same instant may both
/// pass: the bound is against a flood, not an exact quota).
pub async fn book(
    svc: &Service,
    b: &Bookable,
    req: &BookingRequest,
    per_email_hourly: u32,
) -> ServiceResult<Booked> {
    let mut conn = svc.db.conn().await?;
    let since = svc.now() - SignedDuration::from_hours(1);
    let recent = stored::count_recent_bookings_by_email(
        &mut conn,
        b.host.company_id,
        &req.attendee.email,
        since,
    )
    .await?;
    drop(conn);
    if recent >= i64::from(per_email_hourly) {
        return Err(ServiceError::Throttled {
            message: "Too many bookings with this e-mail address in the last hour; please try again later".into(),
            retry_after_secs: 3600,
        });
    }
    if req.meeting_type_id != b.meeting_type.record.id {
        return Err(ServiceError::internal("a page booked another meeting type"));
    }
    appointments::book(svc, &visitor(&b.host), req, None).await
}

/// An appointment as its manage link shows it, to the attendee the link belongs to.
pub struct Managed {
    pub view: AppointmentView,
    pub attendee: AttendeeId,
    pub host: UserRecord,
    pub meeting_type: MeetingType,
}

impl Managed {
    /// Whether this attendee's booking is cancelled (the whole appointment, or their seat).
    pub fn cancelled(&self) -> bool {
        self.view.is_cancelled || !self.view.attendees.iter().any(|a| a.id == self.attendee)
    }
}

/// The appointment behind a manage link: its id and the attendee's secret, compared in
/// constant time. A wrong or unknown pair is "not found", whichever part is wrong.
pub async fn manage(svc: &Service, id: AppointmentId, secret: &str) -> ServiceResult<Managed> {
    let invalid = || ServiceError::not_found("This link is not valid");
    let mut conn = svc.db.conn().await?;
    let presented = SecretHash::of(secret);
    let mut found = None;
    for (company, attendee, stored_hash) in stored::attendee_secrets(&mut conn, id).await? {
        if presented.matches_hex(&stored_hash) {
            found = Some((company, attendee));
        }
    }
    let (company, attendee) = found.ok_or_else(invalid)?;
    let record = stored::find(&mut conn, company, id)
        .await?
        .ok_or_else(invalid)?;
    let loaded = appointments::load_many(&mut conn, vec![record])
        .await?
        .pop()
        .ok_or_else(invalid)?;
    let mt = stored_types::find(&mut conn, company, loaded.record.meeting_type_id)
        .await?
        .ok_or_else(invalid)?;
    // The link acts for the meeting type's owner when they host it (their meeting type, their
    // page); otherwise for a present host of the appointment.
    let mut candidates: Vec<_> = loaded.hosts.iter().map(|h| h.user_id).collect();
    candidates.sort_by_key(|h| *h != mt.user_id);
    let mut host = None;
    for id in candidates {
        if let Some(found) = users::find_present(&mut conn, company, id).await? {
            host = Some(found);
            break;
        }
    }
    let host = host.ok_or_else(invalid)?;
    let cancelled_seat = loaded
        .attendees
        .iter()
        .any(|a| a.id == attendee && a.cancelled_at.is_some());
    let mut view = loaded.view();
    // The attendee sees the booking, the hosts and themself: never the other attendees.
    view.attendees
        .retain(|a| a.id == attendee && !cancelled_seat);
    view.notes = None;
    Ok(Managed {
        view,
        attendee,
        host,
        meeting_type: MeetingType::from_record(mt)?,
    })
}

/// Cancels the attendee's booking through their manage link: their seat of a group meeting, or
/// the whole appointment.
pub async fn cancel(
    svc: &Service,
    id: AppointmentId,
    secret: &str,
    reason: Option<&str>,
) -> ServiceResult<()> {
    let m = manage(svc, id, secret).await?;
    if m.cancelled() {
        return Err(ServiceError::conflict("This booking is already cancelled"));
    }
    let by = m.attendee.to_string();
    appointments::cancel_as(
        svc,
        &visitor(&m.host),
        id,
        reason,
        Some(m.attendee),
        false,
        ("attendee", &by),
    )
    .await?;
    Ok(())
}

/// Moves the attendee's booking to `start`, under the rules of booking. A group meeting with
/// other attendees is not theirs alone to move: they cancel their seat and book again.
pub async fn reschedule(
    svc: &Service,
    id: AppointmentId,
    secret: &str,
    start: Timestamp,
) -> ServiceResult<()> {
    let m = manage(svc, id, secret).await?;
    if m.cancelled() {
        return Err(ServiceError::conflict(
            "A cancelled booking cannot be rescheduled",
        ));
    }
    appointments::reschedule_as(svc, &visitor(&m.host), id, start, false, Some(m.attendee)).await?;
    Ok(())
}

/// The times the attendee may move their booking to: the meeting type's bookable times for the
/// booking's duration, with the booking itself not counted as busy.
pub async fn reschedule_times(
    svc: &Service,
    m: &Managed,
    q: &TimesQuery,
) -> ServiceResult<BookableTimes> {
    let q = TimesQuery {
        meeting_type_id: m.meeting_type.record.id,
        host_ids: m.view.host_ids.clone(),
        // As the move will be checked: every host free, no group to join.
        method: termin_domain::slots::Method::Everyone,
        duration: Some(m.view.end.duration_since(m.view.start).as_mins()),
        ignore: Some(m.view.id),
        ..q.clone()
    };
    let mut conn = svc.db.conn().await?;
    booking::bookable_times(svc, &mut conn, &visitor(&m.host), Some(&m.host), &q).await
}
