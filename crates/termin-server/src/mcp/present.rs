//! What a tool's answer adds to the REST body, as meetergo's MCP server presents it: lists as
//! `{items}`, an empty answer as `{ok: true}`, each appointment's `status`, the offered starts
//! as instants, and a booking's state. Appointments also carry their times in the acting user's
//! zone: assistants talk to people in local time and give instants back.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::tools::{Present, ToolSpec};
use crate::http::auth::Preauthenticated;
use termin_service::wire_time;

pub fn answer(
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
        Present::Plain => {}
        Present::Availability => {
            let mut starts: Vec<String> = v["dates"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|d| d["spots"].as_array().into_iter().flatten())
                .filter_map(|s| s["startTime"].as_str())
                .filter_map(|s| wire_time::parse(s).ok())
                .map(wire_time::format)
                .collect();
            starts.sort();
            starts.dedup();
            v["slotsStartUtc"] = json!(starts);
        }
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
                a[local] = json!(t
                    .to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string());
            }
        }
        a["localTimezone"] = json!(name);
    }
}

/// The text content of an answer, when it is not the structured content's JSON: the offered
/// starts of `get_availability`, one line a day in the zone asked for, each an instant that
/// `book_appointment` takes. A month of times as JSON text (next to the same JSON as structured
/// content) tripled the answer and its cost, and a model reads this list more easily.
pub fn text(spec: &ToolSpec, v: &Value) -> Option<String> {
    use std::fmt::Write;
    if spec.present != Present::Availability {
        return None;
    }
    let zone = v["timezone"].as_str().unwrap_or("UTC");
    let days = v["dates"].as_array()?;
    let mut out = String::with_capacity(96 + days.len() * 300);
    if days.is_empty() {
        let _ = write!(out, "No bookable starts in this window (times in {zone}).");
        return Some(out);
    }
    let _ = writeln!(
        out,
        "Bookable starts, shown in {zone}; each is an instant book_appointment takes as `start` \
         (slotsStartUtc has the same in UTC):"
    );
    for day in days {
        let _ = write!(out, "{}:", day["date"].as_str().unwrap_or_default());
        for (i, spot) in day["spots"].as_array().into_iter().flatten().enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(spot["startTime"].as_str().unwrap_or_default());
            let group = &spot["appointment"];
            if !group.is_null() {
                let _ = write!(
                    out,
                    " (joins a group meeting, {} of {} seats taken)",
                    group["takenSpots"], group["totalSpots"]
                );
            }
        }
        out.push('\n');
    }
    Some(out)
}
