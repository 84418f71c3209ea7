//! What a tool's answer adds to the REST body, as meetergo's MCP server presents it: lists as
//! `{items}`, an empty answer as `{ok: true}`, each appointment's `status`, the offered starts
//! as instants, and a booking's state. Appointments also carry their times in the acting user's
//! zone: assistants talk to people in local time and give instants back.
//!
//! The answer is JSON text, not a `Value`: `get_availability`, the call assistants make most and
//! the largest answer, keeps the REST body's bytes as they are and adds its list of starts,
//! taken from the route's typed answer. Building a `Value` of a 14-day answer and writing it out
//! again cost a quarter of the whole call.

use std::sync::Arc;

use axum::http::Extensions;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::tools::{Present, ToolSpec};
use crate::http::auth::Preauthenticated;
use termin_service::booking::BookableTimes;
use termin_service::wire_time;

/// A tool's answer: its text content, and its structured content as JSON text (an object).
pub struct Answer {
    pub text: String,
    pub structured: String,
}

/// The answer to a tool call whose REST operation answered `body` (success).
pub fn answer(
    spec: &ToolSpec,
    args: &Map<String, Value>,
    pre: &Preauthenticated,
    extensions: &Extensions,
    body: &[u8],
) -> Result<Answer, serde_json::Error> {
    if spec.present == Present::Availability {
        let offered = extensions
            .get::<Arc<BookableTimes>>()
            .ok_or_else(|| serde::de::Error::custom("the bookable times are missing"))?;
        return availability(offered, body);
    }
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)?
    };
    let v = presented(spec, args, pre, body);
    let structured = v.to_string();
    Ok(Answer {
        text: structured.clone(),
        structured,
    })
}

fn presented(
    spec: &ToolSpec,
    args: &Map<String, Value>,
    pre: &Preauthenticated,
    body: Value,
) -> Value {
    let zone = pre.user.as_ref().and_then(|u| {
        TimeZone::get(&u.timezone)
            .ok()
            .map(|tz| (u.timezone.clone(), tz))
    });
    let zone = zone.as_ref().map(|(name, tz)| (name.as_str(), tz));
    let mut v = match body {
        Value::Null => json!({"ok": true}),
        Value::Array(items) => json!({ "items": items }),
        other => other,
    };
    match spec.present {
        Present::Plain | Present::Availability => {}
        Present::Appointment => appointment(&mut v, zone),
        Present::AppointmentPage => each(&mut v["appointments"], zone),
        Present::Appointments => each(&mut v["items"], zone),
        Present::Booked => {
            v["bookingState"] = json!("confirmed");
            if let Some(start) = args
                .get("start")
                .and_then(Value::as_str)
                .and_then(|s| wire_time::parse(s).ok())
            {
                v["startUtc"] = json!(wire_time::format(start));
            }
        }
        Present::Rescheduled => {
            appointment(&mut v["appointment"], zone);
            v["bookingState"] = json!("confirmed");
            v["startUtc"] = v["appointment"]["start"].clone();
        }
        Present::Cancelled => {
            appointment(&mut v, zone);
            // What happened is the answer's to say: a group meeting stays on when one attendee
            // leaves it.
            if v["isCancelled"] == true {
                v["bookingState"] = json!("cancelled");
            } else {
                v["bookingState"] = json!("attendee_removed");
                if let Some(id) = args.get("attendeeId").filter(|id| id.is_string()) {
                    v["removedAttendeeId"] = id.clone();
                }
            }
        }
    }
    v
}

fn each(list: &mut Value, zone: Option<(&str, &TimeZone)>) {
    if let Some(items) = list.as_array_mut() {
        items.iter_mut().for_each(|a| appointment(a, zone));
    }
}

/// Adds `status`, `rescheduled`, and the start and end in the user's zone.
fn appointment(a: &mut Value, zone: Option<(&str, &TimeZone)>) {
    if !a.is_object() {
        return;
    }
    let cancelled = a["isCancelled"] == true || !a["cancel"].is_null();
    a["status"] = json!(if cancelled { "cancelled" } else { "confirmed" });
    a["rescheduled"] =
        json!(!a["rescheduledAt"].is_null() || a["rescheduleCount"].as_i64().unwrap_or(0) > 0);
    if let Some((name, tz)) = zone {
        for (field, local) in [("start", "startLocal"), ("end", "endLocal")] {
            if let Some(t) = a[field].as_str().and_then(|s| s.parse::<Timestamp>().ok()) {
                a[local] = json!(wire_time::local(t, tz).1);
            }
        }
        a["localTimezone"] = json!(name);
    }
}

/// `get_availability`'s answer: the REST body with `slotsStartUtc` (every offered start as a UTC
/// instant, in order), and as text the starts one line a day in the zone asked for, each an
/// instant that `book_appointment` takes. A month of times as JSON text (next to the same JSON as
/// structured content) tripled the answer and its cost, and a model reads this list more easily.
/// Both come from the route's typed answer, which rides on its response (`http::booking`).
fn availability(offered: &BookableTimes, body: &[u8]) -> Result<Answer, serde_json::Error> {
    use std::fmt::Write;
    let mut starts = String::with_capacity(2 + offered.times.len() * 28);
    starts.push('[');
    for (i, (at, _)) in offered.times.iter().enumerate() {
        if i > 0 {
            starts.push(',');
        }
        // An instant is ASCII without quotes or backslashes: nothing to escape.
        starts.push('"');
        starts.push_str(&wire_time::format(*at));
        starts.push('"');
    }
    starts.push(']');
    let structured = with_member(body, "slotsStartUtc", &starts)?;

    let zone = offered.timezone.as_str();
    let mut text = String::with_capacity(160 + offered.times.len() * 27);
    if offered.times.is_empty() {
        let _ = write!(text, "No bookable starts in this window (times in {zone}).");
        return Ok(Answer { text, structured });
    }
    text.push_str("Bookable starts, shown in ");
    text.push_str(zone);
    text.push_str(
        "; each is an instant book_appointment takes as `start` (slotsStartUtc has the same in \
         UTC):",
    );
    let mut day = None;
    for (at, joins) in &offered.times {
        let (date, local) = wire_time::local(*at, &offered.tz);
        if day != Some(date) {
            let _ = write!(text, "\n{date}: ");
            day = Some(date);
        } else {
            text.push_str(", ");
        }
        text.push_str(&local);
        if let Some(group) = joins {
            let _ = write!(
                text,
                " (joins a group meeting, {} of {} seats taken)",
                group.taken_spots, group.total_spots
            );
        }
    }
    text.push('\n');
    Ok(Answer { text, structured })
}

/// The JSON object `object` with one more member, `name` (a plain key) with the JSON `value`,
/// written after the others.
fn with_member(object: &[u8], name: &str, value: &str) -> Result<String, serde_json::Error> {
    let text = std::str::from_utf8(object).map_err(serde::de::Error::custom)?;
    let Some(open) = text.trim_end().strip_suffix('}') else {
        return Err(serde::de::Error::custom("the answer is not a JSON object"));
    };
    let mut out = String::with_capacity(object.len() + name.len() + value.len() + 4);
    out.push_str(open);
    if !open.trim_end().ends_with('{') {
        out.push(',');
    }
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    out.push_str(value);
    out.push('}');
    Ok(out)
}
