//! `GET /v4/booking-availability` and `POST /v4/booking`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use termin_domain::principal::Credential;
use termin_domain::slots::Method;
use termin_domain::validate::{Email, Language, TimeZoneName};
use termin_domain::{AppointmentId, MeetingTypeId, UserId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::query::Params;
use crate::http::auth::{Caller, ConnectedCaller};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_json, JsonBytes};
use crate::http::json::appointments::Booked;
use crate::http::schemas;
use crate::state::AppState;
use termin_service::appointments::{self, BookingRequest, Idempotency, NewAttendee};
use termin_service::booking::{self, TimePoint, TimesQuery};
use termin_service::meeting_types;
use termin_service::wire_time;
use termin_service::Validator;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(booking_availability))
        .routes(routes!(create_booking))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Timeframe {
    start: String,
    end: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SpotAppointment {
    #[schema(value_type = String, format = Uuid)]
    id: AppointmentId,
    total_spots: i64,
    taken_spots: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Spot {
    start_time: String,
    #[schema(value_type = Vec<Object>)]
    unavailability_events: Vec<Value>,
    appointment: Option<SpotAppointment>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct DateSpots {
    date: String,
    spots: Vec<Spot>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct BookingAvailability {
    timezone: String,
    timeframes: Vec<Timeframe>,
    dates: Vec<DateSpots>,
    earliest_available_date: Option<String>,
}

/// The JSON of a [`BookingAvailability`], written by hand: with the database round trips
/// done, serialising hundreds of spots through serde was the largest share of the request.
/// A unit test checks it byte for byte against serde's rendering of the same answer.
fn write_answer(
    tz_name: &str,
    tz: &TimeZone,
    (start, end): (Timestamp, Timestamp),
    spots: impl ExactSizeIterator<Item = (Timestamp, Option<SpotAppointment>)>,
) -> ApiResult<Vec<u8>> {
    use std::io::Write;
    let mut out = Vec::with_capacity(256 + spots.len() * 80);
    out.extend_from_slice(b"{\"timezone\":");
    serde_json::to_writer(&mut out, tz_name).map_err(ApiError::internal)?;
    out.extend_from_slice(b",\"timeframes\":[{\"start\":\"");
    out.extend_from_slice(wire_time::local(start, tz).1.as_bytes());
    out.extend_from_slice(b"\",\"end\":\"");
    out.extend_from_slice(wire_time::local(end, tz).1.as_bytes());
    out.extend_from_slice(b"\"}],\"dates\":[");
    let mut first_date: Option<Date> = None;
    let mut last_date: Option<Date> = None;
    for (at, appointment) in spots {
        let (date, text) = wire_time::local(at, tz);
        if last_date != Some(date) {
            if last_date.is_some() {
                out.extend_from_slice(b"]},");
            }
            write!(out, "{{\"date\":\"{date}\",\"spots\":[").map_err(ApiError::internal)?;
            first_date.get_or_insert(date);
            last_date = Some(date);
        } else {
            out.push(b',');
        }
        // Slot times and ids are ASCII without quotes or backslashes: nothing to escape.
        out.extend_from_slice(b"{\"startTime\":\"");
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(b"\",\"unavailabilityEvents\":[],\"appointment\":");
        match appointment {
            None => out.extend_from_slice(b"null}"),
            Some(a) => write!(
                out,
                "{{\"id\":\"{}\",\"totalSpots\":{},\"takenSpots\":{}}}}}",
                a.id, a.total_spots, a.taken_spots
            )
            .map_err(ApiError::internal)?,
        }
    }
    if last_date.is_some() {
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"],\"earliestAvailableDate\":");
    match first_date {
        Some(d) => write!(out, "\"{d}\"").map_err(ApiError::internal)?,
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
    Ok(out)
}

/// The query of `GET /v4/booking-availability` (read by the handler; this is its
/// documentation).
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TimesQueryDoc {
    #[param(rename = "meetingTypeId", format = Uuid)]
    meeting_type_id: String,
    /// From this date (`2026-12-01`, in the answer's time zone) or instant (RFC 3339).
    #[param(schema_with = schemas::date_or_timestamp)]
    start: String,
    /// Until this date (inclusive) or instant; at most 62 days after start (else 400).
    #[param(schema_with = schemas::date_or_timestamp)]
    end: String,
    /// Repeated or comma-separated, up to 50; default: the meeting type's host.
    #[param(rename = "hostIds", schema_with = host_ids_param)]
    host_ids: Option<Vec<String>>,
    /// `anyone` (default) or `everyone`.
    #[param(
        rename = "calculationMethod",
        max_length = 8,
        pattern = "^(anyone|everyone)$"
    )]
    calculation_method: Option<String>,
    /// The time zone to render times in; default: the host's.
    #[param(schema_with = schemas::time_zone)]
    timezone: Option<String>,
    /// Minutes: the duration or one of the allowed durations (else 400).
    #[param(rename = "meetingDuration", minimum = 5, maximum = 480)]
    meeting_duration: Option<i64>,
    /// Ignore this appointment (when rescheduling it).
    #[param(rename = "existingAppointmentId", format = Uuid)]
    existing_appointment_id: Option<String>,
}

fn host_ids_param() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    schemas::array(schemas::uuid(), 0, MAX_HOSTS, false)
}

/// Bookable start times of a meeting type, rendered in `timezone` (default: the host's).
#[utoipa::path(get, path = "/v4/booking-availability", tag = "booking",
    params(TimesQueryDoc),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = BookingAvailability), (status = 400, body = crate::http::error::ErrorBody),
              (status = 404, body = crate::http::error::ErrorBody)))]
async fn booking_availability(
    State(state): State<AppState>,
    ConnectedCaller {
        caller,
        user: me,
        mut conn,
    }: ConnectedCaller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q = Params::parse(raw.as_deref())?;
    let mut v = Validator::new();
    let meeting_type_id: Option<MeetingTypeId> = q.parsed(&mut v, "meetingTypeId", "a UUID");
    if q.one("meetingTypeId").is_none() {
        v.fail("meetingTypeId", "is required");
    }
    if q.one("queueId").is_some() {
        v.fail(
            "queueId",
            "routing queues are not supported by this server; pass hostIds",
        );
    }
    let host_ids: Vec<UserId> = q
        .many("hostIds")
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            v.check(
                &format!("hostIds[{i}]"),
                h.parse::<UserId>().map_err(|_| "must be a UUID"),
            )
        })
        .collect();
    if host_ids.len() > MAX_HOSTS {
        v.fail("hostIds", format!("must have at most {MAX_HOSTS} entries"));
    }
    let method = match q.one("calculationMethod") {
        None | Some("anyone") => Method::Anyone,
        Some("everyone") => Method::Everyone,
        Some(_) => {
            v.fail("calculationMethod", "must be one of: anyone, everyone");
            Method::Anyone
        }
    };
    let timezone = v.check_opt("timezone", q.one("timezone").map(TimeZoneName::parse));
    let duration: Option<i64> = q.parsed(&mut v, "meetingDuration", "a whole number of minutes");
    let ignore: Option<AppointmentId> = q.parsed(&mut v, "existingAppointmentId", "a UUID");
    let start = v
        .require("start", q.one("start"))
        .and_then(|s| v.check("start", s.parse::<TimePoint>()));
    let end = v
        .require("end", q.one("end"))
        .and_then(|e| v.check("end", e.parse::<TimePoint>()));
    v.finish()?;
    let query = TimesQuery {
        meeting_type_id: meeting_type_id.expect("validated"),
        host_ids,
        method,
        timezone,
        duration,
        ignore,
        start: start.expect("validated"),
        end: end.expect("validated"),
    };
    let times =
        booking::bookable_times(&state.service, &mut conn, &caller, me.as_ref(), &query).await?;
    let spots = times.times.iter().map(|&(at, joins)| {
        let appointment = joins.map(|j| SpotAppointment {
            id: j.id,
            total_spots: j.total_spots,
            taken_spots: j.taken_spots,
        });
        (at, appointment)
    });
    let body = write_answer(times.timezone.as_str(), &times.tz, times.window, spots)?;
    let mut response = ([(CONTENT_TYPE, "application/json")], body).into_response();
    // The typed answer rides along for in-process callers: the MCP door presents these times
    // without reading them back from the JSON (see `mcp::present`).
    response.extensions_mut().insert(Arc::new(times));
    Ok(response)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
struct AttendeeInput {
    #[schema(schema_with = schemas::email, required = true)]
    email: Option<String>,
    /// At most 100 characters.
    #[schema(max_length = 100)]
    firstname: Option<String>,
    /// At most 100 characters.
    #[schema(max_length = 100)]
    lastname: Option<String>,
    /// At most 200 characters.
    #[schema(max_length = 200)]
    fullname: Option<String>,
    /// At most 40 characters.
    #[schema(max_length = 40)]
    phone: Option<String>,
    #[schema(schema_with = schemas::time_zone_or_null)]
    timezone: Option<String>,
    #[schema(schema_with = schemas::language_or_null)]
    language: Option<String>,
    receive_reminders: Option<bool>,
    /// Answers to booking questions: any object of at most 16 KiB as JSON.
    #[schema(value_type = Option<Object>)]
    notes: Option<BTreeMap<String, Value>>,
    /// Up to 5 guests' addresses.
    #[schema(schema_with = guests)]
    bringalong_emails: Option<Vec<String>>,
    data_policy_accepted: Option<bool>,
}

fn guests() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    schemas::array(schemas::email(), 0, appointments::MAX_GUESTS, true)
}

fn host_ids() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    schemas::array(schemas::uuid(), 0, MAX_HOSTS, true)
}

/// The most hosts one booking may name.
const MAX_HOSTS: usize = 50;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct BookingInput {
    #[schema(schema_with = schemas::uuid, required = true)]
    meeting_type_id: Option<MeetingTypeId>,
    /// One of the start times `GET /v4/booking-availability` offers (else 409).
    #[schema(schema_with = schemas::timestamp, required = true)]
    start: Option<String>,
    /// Minutes: the meeting type's duration (the default) or one of its allowed durations.
    #[schema(schema_with = schemas::duration_or_null)]
    duration: Option<i64>,
    /// Default: the meeting type's host; up to 50.
    #[schema(schema_with = host_ids)]
    host_ids: Option<Vec<UserId>>,
    #[schema(schema_with = crate::http::json::meeting_types::channel_or_null)]
    channel: Option<String>,
    /// At most 500 characters.
    #[schema(max_length = 500)]
    location: Option<String>,
    #[schema(required = true)]
    attendee: Option<AttendeeInput>,
}

fn optional_text(
    v: &mut Validator,
    field: &str,
    value: &Option<String>,
    max: usize,
) -> Option<String> {
    let raw = value.as_deref()?;
    if raw.chars().count() > max {
        v.fail(field, format!("must be at most {max} characters"));
        return None;
    }
    Some(raw.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Books a slot the engine offers. `Idempotency-Key` makes a retry return the first answer.
#[utoipa::path(post, path = "/v4/booking", tag = "booking", request_body = BookingInput,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255,
        description = "1 to 255 visible ASCII characters; a retry with the same key and body gets the first answer")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Booked), (status = 400, body = crate::http::error::ErrorBody),
              (status = 409, description = "Slot no longer available", body = crate::http::error::ErrorBody)))]
async fn create_booking(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> ApiResult<(StatusCode, Json<Booked>)> {
    // The raw body is kept: an Idempotency-Key is bound to exactly this request.
    let input: BookingInput = parse_json(&body)?;
    let mut v = Validator::new();
    if input.meeting_type_id.is_none() {
        v.fail("meetingTypeId", "is required");
    }
    let start = v
        .require("start", input.start.as_deref())
        .and_then(|s| v.check("start", termin_service::wire_time::parse(s)));
    if input.attendee.is_none() {
        v.fail("attendee", "is required");
    }
    let a = input.attendee.unwrap_or_default();
    let email = v
        .require("attendee.email", a.email.as_deref())
        .and_then(|e| v.check("attendee.email", Email::parse(e)));
    let timezone = v.check_opt(
        "attendee.timezone",
        a.timezone.as_deref().map(TimeZoneName::parse),
    );
    let language = v.check_opt(
        "attendee.language",
        a.language.as_deref().map(Language::parse),
    );
    let bringalong = a.bringalong_emails.unwrap_or_default();
    if bringalong.len() > appointments::MAX_GUESTS {
        v.fail(
            "attendee.bringalongEmails",
            format!("must have at most {} addresses", appointments::MAX_GUESTS),
        );
    }
    let bringalong: Vec<String> = bringalong
        .iter()
        .enumerate()
        .filter_map(|(i, e)| v.check(&format!("attendee.bringalongEmails[{i}]"), Email::parse(e)))
        .map(|e| e.as_str().to_owned())
        .collect();
    let attendee = NewAttendee {
        email: email.map(|e| e.as_str().to_owned()).unwrap_or_default(),
        firstname: optional_text(&mut v, "attendee.firstname", &a.firstname, 100),
        lastname: optional_text(&mut v, "attendee.lastname", &a.lastname, 100),
        fullname: optional_text(&mut v, "attendee.fullname", &a.fullname, 200),
        phone: optional_text(&mut v, "attendee.phone", &a.phone, 40),
        timezone: timezone.map(|t| t.as_str().to_owned()),
        language: language.map(|l| l.as_str().to_owned()),
        receive_reminders: a.receive_reminders.unwrap_or(true),
        notes: a.notes.unwrap_or_default(),
        bringalong_emails: bringalong,
    };
    let notes_bytes = serde_json::to_string(&attendee.notes).map_or(usize::MAX, |j| j.len());
    if notes_bytes > termin_domain::limits::MAX_ATTENDEE_NOTES_BYTES {
        v.fail(
            "attendee.notes",
            format!(
                "must be at most {} bytes of JSON",
                termin_domain::limits::MAX_ATTENDEE_NOTES_BYTES
            ),
        );
    }
    let _ = a.data_policy_accepted;
    if input.host_ids.as_ref().is_some_and(|h| h.len() > MAX_HOSTS) {
        v.fail("hostIds", format!("must have at most {MAX_HOSTS} entries"));
    }
    let channel = input.channel.clone();
    if let Some(c) = &channel {
        if !meeting_types::CHANNELS.contains(&c.as_str()) {
            v.fail("channel", "is not a known channel");
        }
    }
    let location = optional_text(&mut v, "location", &input.location, 500);
    v.finish()?;
    let request = BookingRequest {
        meeting_type_id: input.meeting_type_id.expect("validated"),
        start: start.expect("validated"),
        duration: input.duration,
        host_ids: input.host_ids,
        channel,
        location,
        attendee,
        one_time_link: None,
    };
    let key = headers
        .get("idempotency-key")
        .map(|k| {
            k.to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))
        })
        .transpose()?;
    if key.is_some_and(|k| k.is_empty() || k.len() > 255) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "must be 1 to 255 characters",
        ));
    }
    let scope = match &caller.credential {
        Credential::Pat { id, .. } => format!("pat:{id}"),
        Credential::ApiKey { id } => format!("key:{id}:{}", caller.user_id),
        Credential::Session { .. } | Credential::Visitor => format!("user:{}", caller.user_id),
    };
    let idem = key.map(|key| Idempotency {
        scope,
        key,
        request_hash: Sha256::digest(&body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    });
    let booked = appointments::book(&state.service, &caller, &request, idem.as_ref()).await?;
    let booked = Booked::from(booked);
    state.wake_workers();
    Ok((StatusCode::CREATED, Json(booked)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same answer through serde's derive, as the schema documents it.
    fn with_serde(
        tz_name: &str,
        tz: &TimeZone,
        (start, end): (Timestamp, Timestamp),
        spots: &[(Timestamp, Option<SpotAppointment>)],
    ) -> Vec<u8> {
        let mut dates: Vec<DateSpots> = Vec::new();
        for (at, appointment) in spots {
            let (date, start_time) = wire_time::local(*at, tz);
            let spot = Spot {
                start_time,
                unavailability_events: Vec::new(),
                appointment: appointment.as_ref().map(|a| SpotAppointment { ..*a }),
            };
            match dates.last_mut() {
                Some(d) if d.date == date.to_string() => d.spots.push(spot),
                _ => dates.push(DateSpots {
                    date: date.to_string(),
                    spots: vec![spot],
                }),
            }
        }
        serde_json::to_vec(&BookingAvailability {
            earliest_available_date: dates.first().map(|d| d.date.clone()),
            timezone: tz_name.to_owned(),
            timeframes: vec![Timeframe {
                start: wire_time::local(start, tz).1,
                end: wire_time::local(end, tz).1,
            }],
            dates,
        })
        .unwrap()
    }

    #[test]
    fn the_hand_written_answer_is_what_serde_writes() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let window = (t("2030-03-09T05:00:00Z"), t("2030-03-12T04:00:00Z"));
        let group = SpotAppointment {
            id: "01a22519-61bd-7500-9bf0-c19eb2177386".parse().unwrap(),
            total_spots: 5,
            taken_spots: 2,
        };
        let cases: Vec<Vec<(Timestamp, Option<SpotAppointment>)>> = vec![
            vec![],
            vec![(t("2030-03-09T14:00:00Z"), None)],
            vec![
                (t("2030-03-09T14:00:00Z"), None),
                (t("2030-03-09T14:30:00Z"), Some(SpotAppointment { ..group })),
                // Across the March change: 09:00 local is 13:00 UTC from the 10th.
                (t("2030-03-10T13:00:00Z"), None),
                (t("2030-03-11T13:00:00Z"), Some(SpotAppointment { ..group })),
                (t("2030-03-11T13:30:00Z"), None),
            ],
        ];
        for spots in cases {
            let by_hand = write_answer(
                "America/New_York",
                &tz,
                window,
                spots
                    .iter()
                    .map(|(at, a)| (*at, a.as_ref().map(|a| SpotAppointment { ..*a }))),
            )
            .unwrap();
            let expected = with_serde("America/New_York", &tz, window, &spots);
            assert_eq!(
                String::from_utf8(by_hand).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn render_writes_the_local_time_with_its_offset() {
        let t: Timestamp = "2030-03-31T00:59:30Z".parse().unwrap();
        let cases = [
            ("UTC", "2030-03-31T00:59:30+00:00", "2030-03-31"),
            ("Europe/Berlin", "2030-03-31T01:59:30+01:00", "2030-03-31"),
            (
                "America/St_Johns",
                "2030-03-30T22:29:30-02:30",
                "2030-03-30",
            ),
            ("Asia/Kathmandu", "2030-03-31T06:44:30+05:45", "2030-03-31"),
            (
                "Pacific/Kiritimati",
                "2030-03-31T14:59:30+14:00",
                "2030-03-31",
            ),
        ];
        for (zone, text, date) in cases {
            let tz = TimeZone::get(zone).unwrap();
            let (d, s) = wire_time::local(t, &tz);
            assert_eq!(s, text, "{zone}");
            assert_eq!(d.to_string(), date, "{zone}");
            // The same text jiff's own formatter gives.
            assert_eq!(
                s,
                t.to_zoned_datetime(tz)
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            );
        }
    }
}
