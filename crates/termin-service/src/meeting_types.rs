//! Meeting types: what can be booked, for how long, with which buffers, seats and limits.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::questions::{validate_questions, BookingQuestion};
use termin_domain::validate::Slug;
use termin_domain::{AvailabilityId, CompanyId, MeetingTypeId, UserId};
use termin_storage::availabilities::AvailabilityRecord;
use termin_storage::meeting_types::{self, MeetingTypeRecord};
use termin_storage::Tx;
use termin_storage::{availabilities, users, Connection};

use crate::error::{ServiceError, ServiceResult, Validator};
use crate::Service;
use termin_domain::limits::{
    DEFAULT_DURATION_MINUTES, MAX_ALLOWED_DURATIONS, MAX_BUFFER_MINUTES, MAX_DURATION_MINUTES,
    MAX_MEETING_TYPES_PER_USER, MAX_SPOTS, MIN_DURATION_MINUTES,
};

pub const CHANNELS: &[&str] = &[
    "local",
    "local-attendee",
    "google",
    "zoom",
    "phone",
    "phone-incoming",
    "whatsapp",
    "connect",
    "webex",
    "teamsForBusiness2",
    "teams2ForExchange",
    "custom",
    "resource",
    "whereby",
    "kmeet",
    "jitsi",
    "nextcloudTalk",
    "openTalk",
    "alfaview",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfo {
    pub name: String,
    pub description: Option<String>,
    /// Minutes, 5 to 480.
    pub duration: i64,
    pub channel: String,
    /// Minutes kept free before each appointment, 0 to 120.
    pub buffer_before: i64,
    /// Minutes kept free after each appointment, 0 to 120.
    pub buffer_after: i64,
    pub color: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingOptions {
    /// Other durations an attendee may choose, in minutes.
    pub allowed_durations: Vec<i64>,
    pub allow_adding_guests: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DaysIntoFuture {
    /// How many days ahead bookings are accepted; null for no limit.
    pub booking_limit: Option<i64>,
}

/// Everything about a meeting type that is stored as one document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub meeting_info: MeetingInfo,
    pub meeting_options: MeetingOptions,
    pub spots: i64,
    pub timeslot_interval: Option<i64>,
    pub booking_minimum: i64,
    pub days_into_future: DaysIntoFuture,
    pub locations: Vec<Value>,
    pub metadata: BTreeMap<String, String>,
    /// What the attendee is asked when booking (answers go in the attendee's `notes`).
    #[serde(default)]
    pub booking_questions: Vec<BookingQuestion>,
    /// Minutes before the start that attendees get a reminder; 0 for none.
    #[serde(default = "default_reminder")]
    pub reminder_minutes_before: i64,
}

fn default_reminder() -> i64 {
    termin_domain::limits::DEFAULT_REMINDER_MINUTES
}

/// The longest time ahead a reminder may go out: a week.
pub const MAX_REMINDER_MINUTES: i64 = 7 * 24 * 60;

impl Settings {
    /// The slot grid: the interval if set, else the duration.
    pub fn interval_minutes(&self) -> i64 {
        self.timeslot_interval.unwrap_or(self.meeting_info.duration)
    }

    /// When attendees are reminded, in minutes before the start (`None`: they are not).
    pub fn reminder(&self) -> Option<i64> {
        (self.reminder_minutes_before > 0).then_some(self.reminder_minutes_before)
    }
}

/// A meeting type as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingTypeView {
    pub id: MeetingTypeId,
    pub user_id: UserId,
    pub company_id: CompanyId,
    pub slug: String,
    pub enabled: bool,
    pub availability_id: Option<AvailabilityId>,
    pub meeting_info: MeetingInfo,
    pub meeting_options: MeetingOptions,
    pub spots: i64,
    pub timeslot_interval: i64,
    pub booking_minimum: i64,
    pub days_into_future: DaysIntoFuture,
    pub locations: Vec<Value>,
    pub metadata: BTreeMap<String, String>,
    pub booking_questions: Vec<BookingQuestion>,
    pub reminder_minutes_before: i64,
    pub booking_url: String,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub updated_at: Timestamp,
}

/// A meeting type with its parsed settings.
#[derive(Debug, Clone)]
pub struct MeetingType {
    pub record: MeetingTypeRecord,
    pub settings: Settings,
}

impl MeetingType {
    pub fn from_record(record: MeetingTypeRecord) -> ServiceResult<Self> {
        let settings = serde_json::from_str(&record.settings).map_err(ServiceError::internal)?;
        Ok(Self { record, settings })
    }

    pub fn view(self, public_url: &str, user_slug: &str) -> MeetingTypeView {
        let s = self.settings;
        let r = self.record;
        MeetingTypeView {
            booking_url: format!("{}/{}/{}", public_url, user_slug, r.slug),
            timeslot_interval: s.interval_minutes(),
            id: r.id,
            user_id: r.user_id,
            company_id: r.company_id,
            slug: r.slug,
            enabled: r.enabled,
            availability_id: r.availability_id,
            meeting_info: s.meeting_info,
            meeting_options: s.meeting_options,
            spots: s.spots,
            booking_minimum: s.booking_minimum,
            days_into_future: s.days_into_future,
            locations: s.locations,
            metadata: s.metadata,
            booking_questions: s.booking_questions,
            reminder_minutes_before: s.reminder_minutes_before,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The body of POST and PATCH: every field optional; POST requires `meetingInfo.name` and
/// `meetingInfo.duration`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingTypeInput {
    pub meeting_info: Option<MeetingInfoInput>,
    pub meeting_options: Option<MeetingOptionsInput>,
    pub slug: Option<String>,
    pub enabled: Option<bool>,
    pub availability_id: Option<AvailabilityId>,
    pub spots: Option<i64>,
    pub timeslot_interval: Option<i64>,
    pub booking_minimum: Option<i64>,
    pub days_into_future: Option<DaysIntoFuture>,
    pub locations: Option<Vec<Value>>,
    pub metadata: Option<BTreeMap<String, String>>,
    /// The whole list of questions, when sent.
    pub booking_questions: Option<Vec<BookingQuestion>>,
    pub reminder_minutes_before: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfoInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration: Option<i64>,
    pub channel: Option<String>,
    pub buffer_before: Option<i64>,
    pub buffer_after: Option<i64>,
    pub color: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MeetingOptionsInput {
    pub allowed_durations: Option<Vec<i64>>,
    pub allow_adding_guests: Option<bool>,
}

/// The settings of a new meeting type before the input is applied.
pub fn default_settings(name: &str, duration: i64) -> Settings {
    Settings {
        meeting_info: MeetingInfo {
            name: name.to_owned(),
            description: None,
            duration,
            channel: "local".into(),
            buffer_before: 0,
            buffer_after: 0,
            color: None,
        },
        meeting_options: MeetingOptions::default(),
        spots: 1,
        timeslot_interval: None,
        booking_minimum: 0,
        days_into_future: DaysIntoFuture {
            booking_limit: Some(60),
        },
        locations: Vec::new(),
        metadata: BTreeMap::new(),
        booking_questions: Vec::new(),
        reminder_minutes_before: default_reminder(),
    }
}

fn in_range(v: &mut Validator, field: &str, value: i64, min: i64, max: i64) {
    if !(min..=max).contains(&value) {
        v.fail(field, format!("must be between {min} and {max}"));
    }
}

/// Applies an input onto settings and validates the result, naming every bad field.
pub fn apply(
    settings: &mut Settings,
    slug: &mut String,
    enabled: &mut bool,
    input: &MeetingTypeInput,
) -> ServiceResult<()> {
    let mut v = Validator::new();
    if let Some(info) = &input.meeting_info {
        let m = &mut settings.meeting_info;
        if let Some(name) = &info.name {
            // Too long as sent is too long (it fails below), however much of it is spaces.
            m.name = if name.chars().count() > 200 {
                name.clone()
            } else {
                name.trim().to_owned()
            };
        }
        if info.description.is_some() {
            m.description = info.description.clone();
        }
        if let Some(d) = info.duration {
            m.duration = d;
        }
        if let Some(c) = &info.channel {
            m.channel = c.clone();
        }
        if let Some(b) = info.buffer_before {
            m.buffer_before = b;
        }
        if let Some(b) = info.buffer_after {
            m.buffer_after = b;
        }
        if info.color.is_some() {
            m.color = info.color.clone();
        }
    }
    if let Some(o) = &input.meeting_options {
        if let Some(d) = &o.allowed_durations {
            settings.meeting_options.allowed_durations = d.clone();
        }
        if let Some(a) = o.allow_adding_guests {
            settings.meeting_options.allow_adding_guests = a;
        }
    }
    if let Some(s) = input.spots {
        settings.spots = s;
    }
    if input.timeslot_interval.is_some() {
        settings.timeslot_interval = input.timeslot_interval;
    }
    if let Some(b) = input.booking_minimum {
        settings.booking_minimum = b;
    }
    if let Some(d) = &input.days_into_future {
        settings.days_into_future = d.clone();
    }
    if let Some(l) = &input.locations {
        settings.locations = l.clone();
    }
    if let Some(m) = &input.metadata {
        settings.metadata = m.clone();
    }
    if let Some(r) = input.reminder_minutes_before {
        settings.reminder_minutes_before = r;
    }
    if let Some(q) = &input.booking_questions {
        settings.booking_questions = q.clone();
    }
    if let Some(s) = &input.slug {
        *slug = s.clone();
    }
    if let Some(e) = input.enabled {
        *enabled = e;
    }

    let m = &settings.meeting_info;
    if m.name.is_empty() || m.name.chars().count() > 200 {
        v.fail("meetingInfo.name", "must be 1 to 200 characters");
    }
    in_range(
        &mut v,
        "meetingInfo.duration",
        m.duration,
        MIN_DURATION_MINUTES,
        MAX_DURATION_MINUTES,
    );
    in_range(
        &mut v,
        "meetingInfo.bufferBefore",
        m.buffer_before,
        0,
        MAX_BUFFER_MINUTES,
    );
    in_range(
        &mut v,
        "meetingInfo.bufferAfter",
        m.buffer_after,
        0,
        MAX_BUFFER_MINUTES,
    );
    if !CHANNELS.contains(&m.channel.as_str()) {
        v.fail(
            "meetingInfo.channel",
            format!("must be one of: {}", CHANNELS.join(", ")),
        );
    }
    if let Some(c) = &m.color {
        if let Err(m) = termin_domain::validate::check_color(c) {
            v.fail("meetingInfo.color", m);
        }
    }
    if m.description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 5000)
    {
        v.fail("meetingInfo.description", "must be at most 5000 characters");
    }
    let durations = &settings.meeting_options.allowed_durations;
    if durations.len() > MAX_ALLOWED_DURATIONS {
        v.fail(
            "meetingOptions.allowedDurations",
            format!("must have at most {MAX_ALLOWED_DURATIONS} entries"),
        );
    }
    for (i, d) in durations.iter().enumerate() {
        in_range(
            &mut v,
            &format!("meetingOptions.allowedDurations[{i}]"),
            *d,
            MIN_DURATION_MINUTES,
            MAX_DURATION_MINUTES,
        );
    }
    in_range(&mut v, "spots", settings.spots, 1, MAX_SPOTS);
    if let Some(i) = settings.timeslot_interval {
        in_range(&mut v, "timeslotInterval", i, 5, 60);
    }
    in_range(
        &mut v,
        "bookingMinimum",
        settings.booking_minimum,
        0,
        525_600,
    );
    if let Some(l) = settings.days_into_future.booking_limit {
        in_range(&mut v, "daysIntoFuture.bookingLimit", l, 1, 730);
    }
    in_range(
        &mut v,
        "reminderMinutesBefore",
        settings.reminder_minutes_before,
        0,
        MAX_REMINDER_MINUTES,
    );
    if settings.locations.len() > 20 {
        v.fail("locations", "must have at most 20 entries");
    }
    let max = termin_domain::limits::MAX_LOCATION_BYTES;
    // Sent locations must be objects; ones stored under older, looser rules stay editable.
    for (i, location) in input.locations.iter().flatten().enumerate() {
        if !location.is_object() {
            v.fail(&format!("locations[{i}]"), "must be an object");
        }
    }
    for (i, location) in settings.locations.iter().enumerate() {
        if serde_json::to_string(location).map_or(true, |j| j.len() > max) {
            v.fail(
                &format!("locations[{i}]"),
                format!("must be at most {max} bytes of JSON"),
            );
        }
    }
    for (field, message) in validate_questions(&settings.booking_questions) {
        v.fail(&field, message);
    }
    if settings.metadata.len() > 20 {
        v.fail("metadata", "must have at most 20 keys");
    }
    for (k, val) in &settings.metadata {
        if k.is_empty() || k.chars().count() > 40 || val.chars().count() > 500 {
            v.fail(
                &format!("metadata.{k}"),
                "keys must be 1 to 40 and values at most 500 characters",
            );
        }
    }
    if slug.len() > 64 || !Slug::is_canonical(slug) {
        v.fail(
            "slug",
            "must be 1 to 64 lower-case letters, digits and single dashes",
        );
    }
    v.finish()
}

/// Checks that an availability belongs to the meeting type's user.
async fn check_availability(
    conn: &mut Connection,
    company: CompanyId,
    user: UserId,
    id: AvailabilityId,
) -> ServiceResult<()> {
    match availabilities::find(conn, company, id).await? {
        Some(a) if a.user_id == user => Ok(()),
        _ => Err(ServiceError::field(
            "availabilityId",
            "must be one of the host's availabilities",
        )),
    }
}

/// Inserts a meeting type inside the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    company: CompanyId,
    user: UserId,
    input: &MeetingTypeInput,
    at: Timestamp,
) -> ServiceResult<MeetingType> {
    let name = input.meeting_info.as_ref().and_then(|m| m.name.clone());
    let duration = input.meeting_info.as_ref().and_then(|m| m.duration);
    let mut v = Validator::new();
    v.require("meetingInfo.name", name.as_deref());
    if duration.is_none() {
        v.fail("meetingInfo.duration", "is required");
    }
    v.finish()?;
    let mut settings = default_settings(
        name.as_deref().unwrap_or_default(),
        duration.unwrap_or(DEFAULT_DURATION_MINUTES),
    );
    // From the name unless one is given: its letters and digits, or `meeting` when it has none.
    let mut slug = Slug::normalize(name.as_deref().unwrap_or_default());
    slug.truncate(64);
    slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        slug = "meeting".into();
    }
    let mut enabled = true;
    apply(&mut settings, &mut slug, &mut enabled, input)?;
    if let Some(a) = input.availability_id {
        check_availability(tx, company, user, a).await?;
    }
    if meeting_types::slug_taken(tx, user, &slug, None).await? {
        return Err(ServiceError::conflict(
            "This slug is already in use by another of the host's meeting types",
        ));
    }

    let record = MeetingTypeRecord {
        id: MeetingTypeId::new(),
        company_id: company,
        user_id: user,
        slug,
        enabled,
        availability_id: input.availability_id,
        settings: serde_json::to_string(&settings).map_err(ServiceError::internal)?,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    };
    meeting_types::insert(tx, &record).await?;
    Ok(MeetingType { record, settings })
}

pub async fn create(
    svc: &Service,
    caller: &Principal,
    input: &MeetingTypeInput,
) -> ServiceResult<MeetingTypeView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    if meeting_types::count_for_user(&mut tx, caller.user_id).await? >= MAX_MEETING_TYPES_PER_USER {
        return Err(ServiceError::LimitReached(
            format!("At most {MAX_MEETING_TYPES_PER_USER} meeting types per user; delete one you no longer use").into(),
        ));
    }
    let mt = insert(&mut tx, caller.company_id, caller.user_id, input, svc.now()).await?;
    let view = view_of(svc, &mut tx, mt).await?;
    tx.commit().await?;
    Ok(view)
}

/// One meeting type the caller may manage.
pub async fn get(
    svc: &Service,
    caller: &Principal,
    id: MeetingTypeId,
) -> ServiceResult<MeetingTypeView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut conn = svc.db.conn().await?;
    let mt = visible_one(&mut conn, caller, id).await?;
    view_of(svc, &mut conn, mt).await
}

/// The meeting type as the API shows it, with its booking link.
async fn view_of(
    svc: &Service,
    conn: &mut Connection,
    mt: MeetingType,
) -> ServiceResult<MeetingTypeView> {
    let slug = user_slug(conn, mt.record.company_id, mt.record.user_id).await?;
    Ok(mt.view(&svc.public_url, &slug))
}

/// A live meeting type the caller may manage (its host, or an admin of the company), or 404.
async fn visible_one(
    conn: &mut Connection,
    caller: &Principal,
    id: MeetingTypeId,
) -> ServiceResult<MeetingType> {
    let record = meeting_types::find(conn, caller.company_id, id)
        .await?
        .filter(|m| visible(caller, m))
        .ok_or_else(|| ServiceError::not_found("Meeting type not found"))?;
    MeetingType::from_record(record)
}

/// [`visible_one`], with the meeting type's own availability read in the same query.
pub async fn get_with_availability(
    conn: &mut Connection,
    caller: &Principal,
    id: MeetingTypeId,
) -> ServiceResult<(MeetingType, Option<AvailabilityRecord>)> {
    let (record, availability) = meeting_types::find_with_availability(conn, caller.company_id, id)
        .await?
        .filter(|(m, _)| visible(caller, m))
        .ok_or_else(|| ServiceError::not_found("Meeting type not found"))?;
    Ok((MeetingType::from_record(record)?, availability))
}

/// A caller sees the present meeting types of the users they may act for.
pub(crate) fn visible(caller: &Principal, m: &MeetingTypeRecord) -> bool {
    m.deleted_at.is_none() && caller.may_access_user(m.user_id)
}

/// The caller's meeting types; their host's slug is read once for all the booking links.
pub async fn list(svc: &Service, caller: &Principal) -> ServiceResult<Vec<MeetingTypeView>> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut conn = svc.db.conn().await?;
    let slug = user_slug(&mut conn, caller.company_id, caller.user_id).await?;
    meeting_types::list_for_user(&mut conn, caller.user_id)
        .await?
        .into_iter()
        .map(|r| Ok(MeetingType::from_record(r)?.view(&svc.public_url, &slug)))
        .collect()
}

pub async fn update(
    svc: &Service,
    caller: &Principal,
    id: MeetingTypeId,
    input: &MeetingTypeInput,
) -> ServiceResult<MeetingTypeView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    let mut mt = visible_one(&mut tx, caller, id).await?;
    let mut slug = mt.record.slug.clone();
    let mut enabled = mt.record.enabled;
    apply(&mut mt.settings, &mut slug, &mut enabled, input)?;
    if let Some(a) = input.availability_id {
        check_availability(&mut tx, caller.company_id, mt.record.user_id, a).await?;
        mt.record.availability_id = Some(a);
    }
    if slug != mt.record.slug
        && meeting_types::slug_taken(&mut tx, mt.record.user_id, &slug, Some(id)).await?
    {
        return Err(ServiceError::conflict(
            "This slug is already in use by another of the host's meeting types",
        ));
    }
    mt.record.slug = slug;
    mt.record.enabled = enabled;
    mt.record.settings = serde_json::to_string(&mt.settings).map_err(ServiceError::internal)?;
    mt.record.updated_at = svc.now();
    meeting_types::update(&mut tx, &mt.record).await?;
    let view = view_of(svc, &mut tx, mt).await?;
    tx.commit().await?;
    Ok(view)
}

/// Soft delete: appointments keep their meeting type; booking stops.
pub async fn delete(svc: &Service, caller: &Principal, id: MeetingTypeId) -> ServiceResult<()> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    let mut mt = visible_one(&mut tx, caller, id).await?;
    let at = svc.now();
    mt.record.deleted_at = Some(at);
    mt.record.updated_at = at;
    meeting_types::update(&mut tx, &mt.record).await?;
    tx.commit().await?;
    Ok(())
}

/// The host's booking-page slug, for booking URLs.
async fn user_slug(
    conn: &mut Connection,
    company: CompanyId,
    user: UserId,
) -> ServiceResult<String> {
    Ok(users::find_present(conn, company, user)
        .await?
        .map(|u| u.slug)
        .unwrap_or_default())
}
