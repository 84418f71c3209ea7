//! The JSON of `termin_service::appointments` as the API sends and takes it, with its OpenAPI
//! schema. Conversions to and from the service's own types are field for field.

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use termin_domain::{AppointmentId, AttendeeId, CompanyId, MeetingTypeId, UserId};
use termin_service::appointments as svc;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostView {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub full_name: String,
    pub slug: String,
}

impl From<svc::HostView> for HostView {
    fn from(v: svc::HostView) -> Self {
        Self {
            id: v.id,
            email: v.email,
            given_name: v.given_name,
            family_name: v.family_name,
            full_name: v.full_name,
            slug: v.slug,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttendeeView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AttendeeId,
    pub email: String,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub fullname: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub language: Option<String>,
    pub receive_reminders: bool,
    #[schema(value_type = Object)]
    pub notes: Value,
    pub bringalong_emails: Vec<String>,
}

impl From<svc::AttendeeView> for AttendeeView {
    fn from(v: svc::AttendeeView) -> Self {
        Self {
            id: v.id,
            email: v.email,
            firstname: v.firstname,
            lastname: v.lastname,
            fullname: v.fullname,
            phone: v.phone,
            timezone: v.timezone,
            language: v.language,
            receive_reminders: v.receive_reminders,
            notes: v.notes,
            bringalong_emails: v.bringalong_emails,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelView {
    pub action_source: Option<String>,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub action_at: Option<Timestamp>,
    pub action_by: Option<String>,
    pub reason: Option<String>,
}

impl From<svc::CancelView> for CancelView {
    fn from(v: svc::CancelView) -> Self {
        Self {
            action_source: v.action_source,
            action_at: v.action_at,
            action_by: v.action_by,
            reason: v.reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentMeetingInfo {
    pub name: String,
    pub duration: i64,
    pub channel: String,
}

impl From<svc::AppointmentMeetingInfo> for AppointmentMeetingInfo {
    fn from(v: svc::AppointmentMeetingInfo) -> Self {
        Self {
            name: v.name,
            duration: v.duration,
            channel: v.channel,
        }
    }
}

/// The appointment object of the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AppointmentId,
    #[schema(value_type = String, format = Uuid)]
    pub meeting_type_id: MeetingTypeId,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub start: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub end: Timestamp,
    pub is_cancelled: bool,
    pub cancel: Option<CancelView>,
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "termin_service::wire_time::serialize_opt")]
    pub rescheduled_at: Option<Timestamp>,
    pub reschedule_count: i64,
    #[schema(value_type = Vec<String>)]
    pub host_ids: Vec<UserId>,
    pub hosts: Vec<HostView>,
    pub attendees: Vec<AttendeeView>,
    pub meeting_info: AppointmentMeetingInfo,
    pub location: Option<String>,
    pub notes: Option<String>,
    pub total_spots: i64,
    pub taken_spots: i64,
    /// The meeting's transcript (markdown): on `GET /v4/appointment/{id}` and the answer of
    /// `PATCH .../transcription`, when set; never in listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcription: Option<String>,
    /// Its summary (markdown), likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub created_at: Timestamp,
    #[schema(value_type = String)]
    #[serde(serialize_with = "termin_service::wire_time::serialize")]
    pub updated_at: Timestamp,
}

impl From<svc::AppointmentView> for AppointmentView {
    fn from(v: svc::AppointmentView) -> Self {
        Self {
            id: v.id,
            meeting_type_id: v.meeting_type_id,
            company_id: v.company_id,
            start: v.start,
            end: v.end,
            is_cancelled: v.is_cancelled,
            cancel: v.cancel.map(Into::into),
            rescheduled_at: v.rescheduled_at,
            reschedule_count: v.reschedule_count,
            host_ids: v.host_ids,
            hosts: v.hosts.into_iter().map(Into::into).collect(),
            attendees: v.attendees.into_iter().map(Into::into).collect(),
            meeting_info: v.meeting_info.into(),
            location: v.location,
            notes: v.notes,
            total_spots: v.total_spots,
            taken_spots: v.taken_spots,
            transcription: v.transcription,
            summary: v.summary,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Booked {
    #[schema(value_type = String, format = Uuid)]
    pub appointment_id: AppointmentId,
    /// Lets the attendee see, cancel and reschedule without an account. Shown once.
    pub secret: String,
}

impl From<svc::Booked> for Booked {
    fn from(v: svc::Booked) -> Self {
        Self {
            appointment_id: v.appointment_id,
            secret: v.secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API's appointment is the webhook payload's appointment: the HTTP door's JSON type
    /// writes exactly what the service's view (which events serialise) writes.
    #[test]
    fn the_api_writes_what_webhook_events_write() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let host = UserId::new();
        let view = svc::AppointmentView {
            id: AppointmentId::new(),
            meeting_type_id: MeetingTypeId::new(),
            company_id: CompanyId::new(),
            start: t("2030-03-09T14:00:00Z"),
            end: t("2030-03-09T14:30:00Z"),
            is_cancelled: true,
            cancel: Some(svc::CancelView {
                action_source: Some("api".into()),
                action_at: Some(t("2030-03-01T10:00:00.5Z")),
                action_by: Some(host.to_string()),
                reason: Some("ill".into()),
            }),
            rescheduled_at: Some(t("2030-02-01T09:00:00Z")),
            reschedule_count: 2,
            host_ids: vec![host],
            hosts: vec![svc::HostView {
                id: host,
                email: "ada@example.com".into(),
                given_name: "Ada".into(),
                family_name: "Lovelace".into(),
                full_name: "Ada Lovelace".into(),
                slug: "ada-lovelace".into(),
            }],
            attendees: vec![svc::AttendeeView {
                id: AttendeeId::new(),
                email: "grace@example.com".into(),
                firstname: Some("Grace".into()),
                lastname: None,
                fullname: Some("Grace".into()),
                phone: Some("+49 30 1234".into()),
                timezone: Some("Europe/Berlin".into()),
                language: Some("de".into()),
                receive_reminders: true,
                notes: serde_json::json!({"topic": "compilers"}),
                bringalong_emails: vec!["guest@example.com".into()],
            }],
            meeting_info: svc::AppointmentMeetingInfo {
                name: "Intro".into(),
                duration: 30,
                channel: "zoom".into(),
            },
            location: Some("Room 1".into()),
            notes: Some("agenda".into()),
            total_spots: 3,
            taken_spots: 1,
            transcription: None,
            summary: None,
            created_at: t("2030-01-01T00:00:00Z"),
            updated_at: t("2030-03-01T10:00:00.5Z"),
        };
        let service = serde_json::to_value(&view).unwrap();
        let api = serde_json::to_value(AppointmentView::from(view)).unwrap();
        assert_eq!(api, service);
        assert_eq!(api["cancel"]["actionAt"], "2030-03-01T10:00:00.500Z");
    }
}
