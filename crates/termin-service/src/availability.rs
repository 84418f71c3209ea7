//! Weekly availability schedules with date exceptions, in an IANA time zone.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use termin_domain::availability::{
    validate_availability, Availability, DateException, RawDateException, RawWeeklySchedule,
    WeeklySchedule,
};
use termin_domain::credential::ScopeGroup;
use termin_domain::principal::Principal;
use termin_domain::validate::TimeZoneName;
use termin_domain::{AvailabilityId, CompanyId, UserId};
use termin_storage::availabilities::{self, AvailabilityRecord};
use termin_storage::Tx;
use termin_storage::{users, Connection};

use crate::error::{ServiceError, ServiceResult, Validator};
use crate::Service;

/// An availability as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityView {
    pub id: AvailabilityId,
    pub user_id: UserId,
    pub name: String,
    pub timezone: String,
    /// Keyed by weekday: `{"monday": {"enabled": true, "hours": [{"start": "09:00", "end": "17:00"}]}, ...}`.
    pub schedule: WeeklySchedule,
    /// Date overrides: `[{"date": "2026-12-24", "type": "blocked", "hours": []}]`.
    pub exceptions: Vec<DateException>,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub created_at: Timestamp,
    #[serde(serialize_with = "crate::wire_time::serialize")]
    pub updated_at: Timestamp,
}

/// The body of POST (all optional but sensible defaults) and PATCH.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityInput {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub schedule: Option<RawWeeklySchedule>,
    pub exceptions: Option<Vec<RawDateException>>,
}

fn parse_stored(
    record: &AvailabilityRecord,
) -> ServiceResult<(WeeklySchedule, Vec<DateException>)> {
    let weekly = serde_json::from_str(&record.schedule).map_err(ServiceError::internal)?;
    let exceptions = serde_json::from_str(&record.exceptions).map_err(ServiceError::internal)?;
    Ok((weekly, exceptions))
}

pub(crate) fn view(record: AvailabilityRecord) -> ServiceResult<AvailabilityView> {
    let (schedule, exceptions) = parse_stored(&record)?;
    Ok(AvailabilityView {
        id: record.id,
        user_id: record.user_id,
        name: record.name,
        timezone: record.timezone,
        schedule,
        exceptions,
        created_at: record.created_at,
        updated_at: record.updated_at,
    })
}

/// The engine's view of a stored availability.
pub fn engine_availability(record: &AvailabilityRecord) -> ServiceResult<Availability> {
    let (weekly, exceptions) = parse_stored(record)?;
    let tz = TimeZone::get(&record.timezone).map_err(ServiceError::internal)?;
    Ok(Availability::new(tz, weekly, exceptions))
}

/// Applies an input to a record, validating every field; one 400 names every problem.
/// How a sent `schedule` meets the stored one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Days {
    /// The schedule sent is the whole week: days it leaves out are closed (creating).
    Replace,
    /// Only the days sent change (PATCH).
    Merge,
}

fn apply(
    record: &mut AvailabilityRecord,
    input: &AvailabilityInput,
    days: Days,
) -> ServiceResult<()> {
    let mut v = Validator::new();
    if let Some(name) = &input.name {
        if name.trim().is_empty() || name.chars().count() > 100 {
            v.fail("name", "must be 1 to 100 characters");
        }
        record.name = name.trim().to_owned();
    }
    if let Some(tz) = v.check_opt(
        "timezone",
        input.timezone.as_deref().map(TimeZoneName::parse),
    ) {
        record.timezone = tz.as_str().to_owned();
    }
    // On update only what is sent changes: the weekdays named in `schedule` (the others keep
    // their hours), and the exceptions when `exceptions` is sent (a list replaces the list).
    let (mut weekly, mut exceptions) = parse_stored(record)?;
    if input.schedule.is_some() || input.exceptions.is_some() {
        let schedule = input.schedule.clone().unwrap_or_default();
        let raw_exceptions = input.exceptions.clone().unwrap_or_default();
        match validate_availability(&schedule, &raw_exceptions) {
            Ok((w, e)) => {
                match (&input.schedule, days) {
                    (Some(raw), Days::Merge) => {
                        for day in raw.named_days() {
                            *weekly.day_mut(day) = w.day(day).clone();
                        }
                    }
                    (Some(_), Days::Replace) => weekly = w,
                    (None, _) => {}
                }
                if input.exceptions.is_some() {
                    exceptions = e;
                }
            }
            Err(errors) => {
                for (field, message) in errors {
                    v.fail(&field, message);
                }
            }
        }
    }
    v.finish()?;
    record.schedule = serde_json::to_string(&weekly).map_err(ServiceError::internal)?;
    record.exceptions = serde_json::to_string(&exceptions).map_err(ServiceError::internal)?;
    Ok(())
}

/// Inserts an availability for `user` inside the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    company: CompanyId,
    user: UserId,
    default_tz: &str,
    input: &AvailabilityInput,
    at: Timestamp,
) -> ServiceResult<AvailabilityRecord> {
    let mut record = AvailabilityRecord {
        id: AvailabilityId::new(),
        company_id: company,
        user_id: user,
        name: "Working hours".into(),
        timezone: default_tz.to_owned(),
        schedule: serde_json::to_string(&WeeklySchedule::default_business_hours())
            .map_err(ServiceError::internal)?,
        exceptions: "[]".into(),
        created_at: at,
        updated_at: at,
    };
    apply(&mut record, input, Days::Replace)?;
    availabilities::insert(tx, &record).await?;
    Ok(record)
}

pub async fn create(
    svc: &Service,
    caller: &Principal,
    input: &AvailabilityInput,
) -> ServiceResult<AvailabilityView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    let user = users::find_present(&mut tx, caller.company_id, caller.user_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("User not found"))?;
    let most = termin_domain::limits::MAX_AVAILABILITIES_PER_USER;
    if availabilities::count_for_user(&mut tx, caller.user_id).await? >= most {
        return Err(ServiceError::LimitReached(
            format!("At most {most} availability schedules per user; delete one you no longer use")
                .into(),
        ));
    }
    let record = insert(
        &mut tx,
        caller.company_id,
        caller.user_id,
        &user.timezone,
        input,
        svc.now(),
    )
    .await?;
    tx.commit().await?;
    view(record)
}

/// The caller's availabilities; the first is their default.
pub async fn list(svc: &Service, caller: &Principal) -> ServiceResult<Vec<AvailabilityView>> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    availabilities::list_for_user(&mut *svc.db.conn().await?, caller.user_id)
        .await?
        .into_iter()
        .map(view)
        .collect()
}

/// One availability the caller may manage.
pub async fn get(
    svc: &Service,
    caller: &Principal,
    id: AvailabilityId,
) -> ServiceResult<AvailabilityView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    view(visible(&mut *svc.db.conn().await?, caller, id).await?)
}

/// An availability the caller may manage (its user's, or any in the company for an admin).
async fn visible(
    conn: &mut Connection,
    caller: &Principal,
    id: AvailabilityId,
) -> ServiceResult<AvailabilityRecord> {
    availabilities::find(conn, caller.company_id, id)
        .await?
        .filter(|a| caller.may_access_user(a.user_id))
        .ok_or_else(|| ServiceError::not_found("Availability not found"))
}

pub async fn update(
    svc: &Service,
    caller: &Principal,
    id: AvailabilityId,
    input: &AvailabilityInput,
) -> ServiceResult<AvailabilityView> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    let mut record = visible(&mut tx, caller, id).await?;
    apply(&mut record, input, Days::Merge)?;
    record.updated_at = svc.now();
    availabilities::update(&mut tx, &record).await?;
    tx.commit().await?;
    view(record)
}

/// Deletes an availability no live meeting type uses (409 otherwise).
pub async fn delete(svc: &Service, caller: &Principal, id: AvailabilityId) -> ServiceResult<()> {
    caller.require_scope(ScopeGroup::Scheduling)?;
    let mut tx = svc.db.begin_write().await?;
    let record = visible(&mut tx, caller, id).await?;
    if availabilities::usage(&mut tx, record.id).await? > 0 {
        return Err(ServiceError::conflict(
            "This availability is used by a meeting type; assign another one first",
        ));
    }
    availabilities::delete(&mut tx, record.id).await?;
    tx.commit().await?;
    Ok(())
}
