//! Corrections to match the contract (`API.md`): guests, webhook event types and endpoints,
//! validation messages, unknown routes, timestamp format, pagination aliases, and booking of
//! disabled meeting types and deactivated hosts.

use axum::http::Method;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use termin_domain::tenancy::{Plan, Role};
use termin_service::users;

use crate::helpers::{Auth, TestApp};
use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};

/// meetergo's nine webhook event types, spelled as in the contract (the four older ones are
/// spelled the same way in the domain's `EventType`).
const MEETERGO_EVENTS: [&str; 9] = [
    "booking_created",
    "booking_cancelled",
    "booking_rescheduled",
    "new_employee",
    "form_submission",
    "credential_error",
    "review_submitted",
    "review_published",
    "signature_completed",
];

/// The JSON of a 200 answer to a GET.
async fn fetch(app: &TestApp, path: &str, auth: &Auth) -> Value {
    let r = app.get(path, auth).await;
    r.assert_status(200);
    r.json()
}

fn sorted_strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

/// The bookable-times query for the Berlin day of `at`.
fn availability_query(mt: &Value, at: Timestamp) -> String {
    let date = at
        .to_zoned_datetime(TimeZone::get("Europe/Berlin").unwrap())
        .date();
    format!(
        "/v4/booking-availability?meetingTypeId={}&start={date}&end={date}",
        mt["id"].as_str().unwrap()
    )
}

/// How many start times a bookable-times answer offers.
fn slot_count(body: &Value) -> usize {
    body["dates"].as_array().map_or(0, |dates| {
        dates
            .iter()
            .map(|d| d["spots"].as_array().map_or(0, Vec::len))
            .sum()
    })
}

/// `YYYY-MM-DDTHH:MM:SS` at the start: a timestamp, whatever follows.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` exactly.
fn is_millis_utc(s: &str) -> bool {
    let b = s.as_bytes();
    looks_like_timestamp(s)
        && b.len() == 24
        && b[19] == b'.'
        && b[20..23].iter().all(u8::is_ascii_digit)
        && b[23] == b'Z'
}

/// Every timestamp-looking string in `v`, with its path.
fn collect_timestamps(v: &Value, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) if looks_like_timestamp(s) => out.push((path, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_timestamps(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                collect_timestamps(item, format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// PATCH `/guest` adds an e-mail to the attendee's `bringalongEmails` (deduplicated, at most 5),
/// never changing the attendee's own e-mail; `attendeeId` may be left out for a sole attendee.
async fn add_guest_appends_to_bringalong_emails(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let auth = c.member.auth();
    let mut body = booking(
        &mt,
        upcoming_weekday("Europe/Berlin", 3, 9, 0),
        "ada@example.com",
    );
    body["attendee"]["bringalongEmails"] = json!(["first@x.test"]);
    let id = book(&app, &auth, body).await;
    let path = format!("/v4/appointment/{id}/guest");

    // Without attendeeId: the appointment's only attendee.
    let r = app
        .call(
            Method::PATCH,
            &path,
            &auth,
            Some(json!({"email": "guest@x.test"})),
        )
        .await;
    r.assert_status(200);
    let appt = r.json();
    assert_eq!(
        appt["attendees"][0]["email"], "ada@example.com",
        "the attendee's own e-mail is unchanged"
    );
    assert_eq!(
        appt["attendees"][0]["bringalongEmails"],
        json!(["first@x.test", "guest@x.test"])
    );
    let attendee = appt["attendees"][0]["id"].as_str().unwrap().to_owned();

    // The same address again (also in other case, also with attendeeId): kept once.
    for again in [
        json!({"email": "guest@x.test"}),
        json!({"attendeeId": attendee, "email": "Guest@X.test"}),
    ] {
        let r = app.call(Method::PATCH, &path, &auth, Some(again)).await;
        r.assert_status(200);
        assert_eq!(
            r.json()["attendees"][0]["bringalongEmails"],
            json!(["first@x.test", "guest@x.test"])
        );
    }

    // Up to five in all; a sixth distinct address is refused and changes nothing.
    for email in ["g3@x.test", "g4@x.test", "g5@x.test"] {
        app.call(
            Method::PATCH,
            &path,
            &auth,
            Some(json!({"attendeeId": attendee, "email": email})),
        )
        .await
        .assert_status(200);
    }
    let sixth = app
        .call(
            Method::PATCH,
            &path,
            &auth,
            Some(json!({"email": "g6@x.test"})),
        )
        .await;
    sixth.assert_status(400);
    sixth.error_message();
    let appt = fetch(&app, &format!("/v4/appointment/{id}"), &auth).await;
    assert_eq!(appt["attendees"][0]["email"], "ada@example.com");
    assert_eq!(
        appt["attendees"][0]["bringalongEmails"],
        json!([
            "first@x.test",
            "guest@x.test",
            "g3@x.test",
            "g4@x.test",
            "g5@x.test"
        ])
    );
}

/// A subscription accepts all nine meetergo event types and stores them; an unknown one is 400.
async fn webhook_accepts_every_meetergo_event_type(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.admin.auth();
    let mut expected: Vec<String> = MEETERGO_EVENTS.iter().map(|e| e.to_string()).collect();
    expected.sort();

    let r = app
        .call(
            Method::POST,
            "/webhooks",
            &auth,
            Some(json!({"endpoint": "https://receiver.test/hook", "eventTypes": MEETERGO_EVENTS})),
        )
        .await;
    r.assert_status(201);
    let created = r.json();
    assert_eq!(sorted_strings(&created["eventTypes"]), expected);
    let listed = fetch(&app, "/webhooks", &auth).await;
    let hook = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == created["id"])
        .expect("the webhook is listed");
    assert_eq!(sorted_strings(&hook["eventTypes"]), expected);

    let r = app
        .call(
            Method::POST,
            "/webhooks",
            &auth,
            Some(json!({"endpoint": "https://receiver.test/hook",
                        "eventTypes": ["booking_created", "booking_exploded"]})),
        )
        .await;
    r.assert_status(400);
    r.error_message();
    let fields = r.error_fields();
    assert!(fields.contains(&"eventTypes[1]".to_owned()), "{fields:?}");
    assert_eq!(
        fetch(&app, "/webhooks", &auth)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// A validation failure's `message` names every bad field, not only `errors[]`.
async fn validation_message_names_the_fields(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let r = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(json!({"meetingTypeId": mt["id"], "attendee": {"email": "not-an-email"}})),
        )
        .await;
    r.assert_status(400);
    let message = r.error_message();
    assert!(message.contains("start"), "{message}");
    assert!(message.contains("attendee.email"), "{message}");
    let fields = r.error_fields();
    assert!(fields.contains(&"start".to_owned()), "{fields:?}");
    assert!(fields.contains(&"attendee.email".to_owned()), "{fields:?}");
}

/// Paths no route serves are 404 in the contract's shape, even where a parameter would match.
async fn unknown_routes_are_404_not_405(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.admin.auth();
    for (method, path) in [
        (Method::GET, "/crm/deals"),
        (Method::POST, "/crm/deals"),
        (Method::GET, "/webhooks/unknown-thing"),
        (Method::DELETE, "/v4/user/me/whatever-unknown"),
        (Method::GET, "/v4/appointment/paginated/extra/segments"),
    ] {
        let r = app.call(method.clone(), path, &auth, None).await;
        assert_eq!(r.status.as_u16(), 404, "{method} {path}: {}", r.text);
        r.error_message();
    }
}

/// A webhook's `endpoint` comes back exactly as sent: no trailing slash added, nothing reordered.
async fn webhook_endpoint_is_returned_as_sent(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.admin.auth();
    let sent = [
        "https://receiver.test/Hook?b=2&a=1",
        "https://receiver.test",
    ];
    let mut ids = Vec::new();
    for endpoint in sent {
        let r = app
            .call(
                Method::POST,
                "/webhooks",
                &auth,
                Some(json!({"endpoint": endpoint, "eventTypes": ["booking_created"]})),
            )
            .await;
        r.assert_status(201);
        let body = r.json();
        assert_eq!(body["endpoint"], endpoint);
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let listed = fetch(&app, "/webhooks", &auth).await;
    for (id, endpoint) in ids.iter().zip(sent) {
        let hook = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id.as_str())
            .expect("listed");
        assert_eq!(hook["endpoint"], endpoint);
    }
    // PATCH keeps it as sent too.
    let r = app
        .call(
            Method::PATCH,
            &format!("/webhooks/{}", ids[1]),
            &auth,
            Some(json!({"endpoint": "https://receiver.test?x=1"})),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["endpoint"], "https://receiver.test?x=1");
}

/// Every timestamp in JSON answers is UTC with exactly three fractional digits, zeros kept.
/// (Bookable times are out of scope: the contract renders them in the requested time zone.)
async fn timestamps_have_three_fractional_digits(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let mt = default_meeting_type(&app, &c.member).await;
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let first = book(&app, &auth, booking(&mt, nine, "ada@example.com")).await;
    let second = book(
        &app,
        &auth,
        booking(
            &mt,
            nine + SignedDuration::from_hours(1),
            "grace@example.com",
        ),
    )
    .await;

    let mut bodies: Vec<(String, Value)> = Vec::new();
    let r = app
        .call(
            Method::POST,
            &format!("/v4/appointment/{second}/reschedule"),
            &auth,
            Some(json!({"start": (nine + SignedDuration::from_hours(2)).to_string()})),
        )
        .await;
    r.assert_status(200);
    bodies.push(("reschedule".into(), r.json()));
    let r = app
        .call(
            Method::POST,
            &format!("/v4/appointment/{first}/cancel"),
            &auth,
            Some(json!({"reason": "ill"})),
        )
        .await;
    r.assert_status(200);
    bodies.push(("cancel".into(), r.json()));
    let r = app
        .call(
            Method::POST,
            "/webhooks",
            &c.admin.auth(),
            Some(json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_created"]})),
        )
        .await;
    r.assert_status(201);
    bodies.push(("POST /webhooks".into(), r.json()));
    bodies.push((
        "GET /webhooks".into(),
        fetch(&app, "/webhooks", &c.admin.auth()).await,
    ));
    let first_path = format!("/v4/appointment/{first}");
    for path in [
        "/v4/user/me",
        first_path.as_str(),
        "/v4/appointment/paginated",
        "/v4/meeting-type",
        "/v4/availability",
    ] {
        bodies.push((format!("GET {path}"), fetch(&app, path, &auth).await));
    }

    let mut found = Vec::new();
    for (source, body) in &bodies {
        collect_timestamps(body, source.clone(), &mut found);
    }
    let bad: Vec<&(String, String)> = found.iter().filter(|(_, s)| !is_millis_utc(s)).collect();
    assert!(
        bad.is_empty(),
        "timestamps not as YYYY-MM-DDTHH:MM:SS.mmmZ: {bad:?}"
    );
    for field in [
        "start",
        "end",
        "createdAt",
        "updatedAt",
        "actionAt",
        "previousStart",
        "rescheduledAt",
    ] {
        let suffix = format!(".{field}");
        assert!(
            found.iter().any(|(p, _)| p.ends_with(&suffix)),
            "no {field} was checked: {found:?}"
        );
    }
    // A whole-minute start keeps its zeros.
    let appt = fetch(&app, &first_path, &auth).await;
    assert_eq!(
        appt["start"],
        format!("{}.000Z", nine.strftime("%Y-%m-%dT%H:%M:%S"))
    );
}

/// `/v4/appointment/paginated/` answers like `/v4/appointment/paginated`, and `limit` is
/// accepted as an alias of `pageSize`.
async fn paginated_accepts_trailing_slash_and_limit_alias(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let mt = default_meeting_type(&app, &c.member).await;
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    for (i, email) in ["ada@example.com", "grace@example.com"]
        .into_iter()
        .enumerate()
    {
        let start = nine + SignedDuration::from_hours(i as i64);
        book(&app, &auth, booking(&mt, start, email)).await;
    }
    let plain = fetch(&app, "/v4/appointment/paginated", &auth).await;
    assert_eq!(plain["total"], 2);
    assert_eq!(plain["appointments"].as_array().unwrap().len(), 2);
    assert_eq!(
        fetch(&app, "/v4/appointment/paginated/", &auth).await,
        plain
    );
    let one = fetch(&app, "/v4/appointment/paginated?pageSize=1", &auth).await;
    assert_eq!(one["appointments"].as_array().unwrap().len(), 1);
    assert_eq!(one["total"], 2);
    for path in [
        "/v4/appointment/paginated?limit=1",
        "/v4/appointment/paginated/?limit=1",
    ] {
        assert_eq!(fetch(&app, path, &auth).await, one, "{path}");
    }
}

/// A disabled meeting type offers no times and refuses booking ("disabled"); so does a
/// deactivated host's ("deactivated"), even when an admin books through an API key.
async fn disabled_meeting_type_lists_no_times_and_refuses_booking(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let mt = default_meeting_type(&app, &c.member).await;
    let ten = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let q = availability_query(&mt, ten);
    assert!(
        slot_count(&fetch(&app, &q, &auth).await) > 0,
        "offered while enabled"
    );
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/meeting-type/{}", mt["id"].as_str().unwrap()),
            &auth,
            Some(json!({"enabled": false})),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["enabled"], false);

    // Preferably 200 with no times; a 4xx saying the meeting type is disabled is accepted too.
    let r = app.get(&q, &auth).await;
    if r.status.is_success() {
        assert_eq!(slot_count(&r.json()), 0, "{}", r.text);
    } else {
        assert!(r.status.is_client_error(), "{}", r.text);
        let message = r.error_message();
        assert!(message.to_lowercase().contains("disabled"), "{message}");
    }
    let r = app
        .call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(booking(&mt, ten, "x@example.com")),
        )
        .await;
    r.assert_status(409);
    let message = r.error_message();
    assert!(message.to_lowercase().contains("disabled"), "{message}");

    // A deactivated host's meeting type, booked by an admin through an API key.
    let host = app.add_user(c.id, Role::Member).await;
    let host_mt = default_meeting_type(&app, &host).await;
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let admin = Auth::acting(&key, c.admin.user.id);
    let q = availability_query(&host_mt, ten);
    assert!(
        slot_count(&fetch(&app, &q, &admin).await) > 0,
        "offered while the host is active"
    );
    users::set_deactivated(&app.state.service, host.user.id, true)
        .await
        .unwrap();
    let r = app
        .call(
            Method::POST,
            "/v4/booking",
            &admin,
            Some(booking(&host_mt, ten, "y@example.com")),
        )
        .await;
    r.assert_status(409);
    let message = r.error_message();
    assert!(message.to_lowercase().contains("deactivated"), "{message}");
}

/// PATCH changes only what is sent, on every resource that has one: each other field, nested
/// field and weekday reads back as before. (A list or map that is sent, such as `locations`,
/// `metadata` or `tags`, replaces the stored one whole.)
async fn patch_changes_only_what_is_sent(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let patch = |path: String, body: Value| {
        let app = &app;
        let auth = &auth;
        async move {
            let r = app.call(Method::PATCH, &path, auth, Some(body)).await;
            r.assert_status(200);
            r.json()
        }
    };
    // Everything but the changed path equals the before value.
    let same_but = |before: &Value, after: &Value, changed: &[&str]| {
        let mut before = before.clone();
        let mut after = after.clone();
        for path in changed.iter().chain(["updatedAt"].iter()) {
            let mut b = &mut before;
            let mut a = &mut after;
            let parts: Vec<&str> = path.split('.').collect();
            for part in &parts[..parts.len() - 1] {
                b = &mut b[*part];
                a = &mut a[*part];
            }
            let last = parts[parts.len() - 1];
            b.as_object_mut().unwrap().remove(last);
            a.as_object_mut().unwrap().remove(last);
        }
        assert_eq!(before, after);
    };

    let created = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({
                "meetingInfo": {"name": "Intro", "duration": 45, "description": "Hello",
                                "bufferBefore": 10, "channel": "zoom", "color": "#112233"},
                "meetingOptions": {"allowedDurations": [15, 30], "allowAddingGuests": true},
                "spots": 3, "bookingMinimum": 60, "metadata": {"team": "sales"},
                "locations": [{"kind": "room", "name": "A"}]
            })),
        )
        .await;
    created.assert_status(201);
    let before = created.json();
    let id = before["id"].as_str().unwrap().to_owned();
    let after = patch(
        format!("/v4/meeting-type/{id}"),
        json!({"meetingInfo": {"name": "Introduction"}}),
    )
    .await;
    assert_eq!(after["meetingInfo"]["name"], "Introduction");
    same_but(&before, &after, &["meetingInfo.name"]);
    let before = after;
    let after = patch(
        format!("/v4/meeting-type/{id}"),
        json!({"meetingOptions": {"allowAddingGuests": false}}),
    )
    .await;
    assert_eq!(after["meetingOptions"]["allowedDurations"], json!([15, 30]));
    same_but(&before, &after, &["meetingOptions.allowAddingGuests"]);

    let me = fetch(&app, "/v4/user/me", &auth).await;
    let user_id = me["id"].as_str().unwrap().to_owned();
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/user/{user_id}"),
            &Auth::acting(&key, c.owner.user.id),
            Some(json!({"language": "de"})),
        )
        .await;
    r.assert_status(200);
    let after = r.json();
    assert_eq!(after["language"], "de");
    same_but(&me, &after, &["language"]);

    let availability = fetch(&app, "/v4/availability", &auth).await;
    let availability = availability
        .as_array()
        .and_then(|list| list.first())
        .cloned()
        .unwrap_or(availability);
    let availability_id = availability["id"].as_str().unwrap().to_owned();
    let after = patch(
        format!("/v4/availability/{availability_id}"),
        json!({"name": "Office hours"}),
    )
    .await;
    same_but(&availability, &after, &["name"]);

    let contact = app
        .call(
            Method::POST,
            "/crm",
            &auth,
            Some(json!({"email": "merge@example.com", "firstName": "Mia", "tags": ["a"]})),
        )
        .await;
    contact.assert_status(201);
    let before = contact.json()["item"].clone();
    let contact_id = before["id"].as_str().unwrap().to_owned();
    let after = patch(format!("/crm/{contact_id}"), json!({"notes": "Called"})).await;
    same_but(&before, &after["item"], &["notes"]);

    let admin = c.admin.auth();
    let hook = app
        .call(
            Method::POST,
            "/webhooks",
            &admin,
            Some(json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_created"], "description": "CRM"})),
        )
        .await;
    hook.assert_status(201);
    let before = hook.json();
    let hook_id = before["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::PATCH,
            &format!("/webhooks/{hook_id}"),
            &admin,
            Some(json!({"description": "CRM sync"})),
        )
        .await;
    r.assert_status(200);
    let after = r.json();
    assert_eq!(after["description"], "CRM sync");
    assert_eq!(after["endpoint"], before["endpoint"]);
    assert_eq!(after["eventTypes"], before["eventTypes"]);
}

crate::backend_tests!(
    add_guest_appends_to_bringalong_emails,
    webhook_accepts_every_meetergo_event_type,
    validation_message_names_the_fields,
    unknown_routes_are_404_not_405,
    webhook_endpoint_is_returned_as_sent,
    timestamps_have_three_fractional_digits,
    paginated_accepts_trailing_slash_and_limit_alias,
    disabled_meeting_type_lists_no_times_and_refuses_booking,
    patch_changes_only_what_is_sent,
);
