//! Availability, meeting types, bookable times and booking, through the API.

use axum::http::Method;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;
use termin_domain::MeetingTypeId;

use crate::helpers::{Auth, Member, TestApp};

/// A weekday at least `days` ahead, at `hh:mm` in `zone`.
pub fn upcoming_weekday(zone: &str, days: i64, hh: i8, mm: i8) -> Timestamp {
    let tz = TimeZone::get(zone).unwrap();
    let mut date: Date = Timestamp::now().to_zoned_datetime(tz.clone()).date() + days.days();
    while matches!(
        date.weekday(),
        jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
    ) {
        date = date.tomorrow().unwrap();
    }
    date.at(hh, mm, 0, 0)
        .to_zoned_datetime(tz)
        .unwrap()
        .timestamp()
}

/// The user's default 30-minute meeting type, created with the user.
pub async fn default_meeting_type(app: &TestApp, who: &Member) -> Value {
    let list = app.get("/v4/meeting-type", &who.auth()).await;
    list.assert_status(200);
    list.json()[0].clone()
}

/// Books `body` and returns the appointment's id.
pub async fn book(app: &TestApp, auth: &Auth, body: Value) -> String {
    let r = app
        .call(Method::POST, "/v4/booking", auth, Some(body))
        .await;
    r.assert_status(201);
    r.json()["appointmentId"].as_str().unwrap().to_owned()
}

pub fn booking(mt: &Value, start: Timestamp, email: &str) -> Value {
    json!({"meetingTypeId": mt["id"], "start": start.to_string(), "attendee": {"email": email, "firstname": "Ada", "lastname": "Guest"}})
}

pub fn starts(body: &Value) -> Vec<String> {
    body["dates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["spots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["startTime"].as_str().unwrap().to_owned())
        })
        .collect()
}

async fn new_users_get_a_default_schedule_and_meeting_type(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let list = app.get("/v4/availability", &c.member.auth()).await.json();
    let a = &list[0];
    assert_eq!(a["timezone"], "Europe/Berlin");
    assert_eq!(
        a["schedule"]["monday"],
        json!({"enabled": true, "hours": [{"start": "09:00", "end": "17:00"}]})
    );
    assert_eq!(a["schedule"]["saturday"]["enabled"], false);
    let mt = default_meeting_type(&app, &c.member).await;
    assert_eq!(mt["meetingInfo"]["duration"], 30);
    assert_eq!(mt["slug"], "30min");
    assert_eq!(mt["availabilityId"], a["id"]);
    assert_eq!(
        mt["bookingUrl"],
        format!("http://termin.test/{}/30min", c.member.user.slug)
    );
}

async fn availability_crud_validates_every_field(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let bad = app
        .call(
            Method::POST,
            "/v4/availability",
            &auth,
            Some(json!({"timezone": "Mars/Base", "schedule": {"monday": {"enabled": true, "hours": [{"start": "10:00", "end": "09:00"}]}},
                        "exceptions": [{"date": "2026-13-01", "type": "blocked"}]})),
        )
        .await;
    bad.assert_status(400);
    let fields = bad.error_fields();
    assert!(fields.contains(&"timezone".to_owned()), "{fields:?}");
    assert!(
        fields.iter().any(|f| f.starts_with("schedule.monday")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.starts_with("exceptions[0]")),
        "{fields:?}"
    );

    let created = app
        .call(
            Method::POST,
            "/v4/availability",
            &auth,
            Some(json!({"name": "Evenings", "timezone": "America/New_York",
                        "schedule": {"tuesday": {"enabled": true, "hours": [{"start": "18:00", "end": "21:00"}]}},
                        "exceptions": [{"date": "2030-12-24", "type": "blocked", "hours": []}]})),
        )
        .await;
    created.assert_status(201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json()["exceptions"][0]["type"], "blocked");
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v4/availability/{id}"),
            &auth,
            Some(json!({"name": "Late"})),
        )
        .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["name"], "Late");
    assert_eq!(
        patched.json()["schedule"]["tuesday"]["hours"][0]["start"],
        "18:00"
    );
    assert_eq!(
        created.json()["schedule"]["monday"]["enabled"],
        false,
        "a new schedule is the week sent"
    );
    // PATCH merges: one weekday sent changes that weekday only; exceptions stay unless sent.
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v4/availability/{id}"),
            &auth,
            Some(json!({"schedule": {"monday": {"enabled": true, "hours": [{"start": "07:00", "end": "08:00"}]}}})),
        )
        .await;
    patched.assert_status(200);
    let body = patched.json();
    assert_eq!(body["schedule"]["monday"]["hours"][0]["start"], "07:00");
    assert_eq!(body["schedule"]["tuesday"]["enabled"], true, "{body}");
    assert_eq!(body["schedule"]["tuesday"]["hours"][0]["start"], "18:00");
    assert_eq!(body["name"], "Late");
    assert_eq!(body["timezone"], "America/New_York");
    assert_eq!(body["exceptions"][0]["date"], "2030-12-24");
    let closed = app
        .call(
            Method::PATCH,
            &format!("/v4/availability/{id}"),
            &auth,
            Some(json!({"schedule": {"tuesday": {"enabled": false}}, "exceptions": []})),
        )
        .await
        .json();
    assert_eq!(closed["schedule"]["tuesday"]["enabled"], false);
    assert_eq!(closed["schedule"]["monday"]["hours"][0]["start"], "07:00");
    assert_eq!(closed["exceptions"], json!([]));
    // Another member cannot see it; an admin can.
    app.get(&format!("/v4/availability/{id}"), &c.admin.auth())
        .await
        .assert_status(200);
    let other = app
        .add_user(c.id, termin_domain::tenancy::Role::Member)
        .await;
    app.get(&format!("/v4/availability/{id}"), &other.auth())
        .await
        .assert_status(404);
    // The default one is used by the default meeting type and cannot go.
    let default_id = app.get("/v4/availability", &auth).await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(
        Method::DELETE,
        &format!("/v4/availability/{default_id}"),
        &auth,
        None,
    )
    .await
    .assert_status(409);
    app.call(
        Method::DELETE,
        &format!("/v4/availability/{id}"),
        &auth,
        None,
    )
    .await
    .assert_status(200);
    app.get(&format!("/v4/availability/{id}"), &auth)
        .await
        .assert_status(404);
}

async fn meeting_types_validate_and_soft_delete(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let bad = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "Demo", "duration": 4, "bufferBefore": 121, "channel": "pigeon"},
                        "spots": 0, "timeslotInterval": 61})),
        )
        .await;
    bad.assert_status(400);
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "meetingInfo.bufferBefore",
            "meetingInfo.channel",
            "meetingInfo.duration",
            "spots",
            "timeslotInterval"
        ]
    );

    let created = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "Product Demo", "duration": 45, "channel": "zoom", "bufferAfter": 15},
                        "meetingOptions": {"allowedDurations": [30, 60]}, "spots": 5, "timeslotInterval": 15,
                        "bookingMinimum": 120, "daysIntoFuture": {"bookingLimit": 30}, "metadata": {"crm": "hubspot"}})),
        )
        .await;
    created.assert_status(201);
    let mt = created.json();
    assert_eq!(mt["slug"], "product-demo");
    assert_eq!(mt["spots"], 5);
    assert_eq!(mt["meetingInfo"]["bufferAfter"], 15);
    assert_eq!(mt["metadata"]["crm"], "hubspot");
    let id = mt["id"].as_str().unwrap().to_owned();
    let dup = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "Product demo", "duration": 30}})),
        )
        .await;
    dup.assert_status(409);
    let patched = app
        .call(
            Method::PATCH,
            &format!("/v4/meeting-type/{id}"),
            &auth,
            Some(json!({"meetingInfo": {"duration": 60}, "enabled": false})),
        )
        .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["meetingInfo"]["duration"], 60);
    assert_eq!(patched.json()["meetingInfo"]["name"], "Product Demo");
    assert_eq!(patched.json()["enabled"], false);
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/v4/meeting-type/{id}"),
            &auth,
            None,
        )
        .await;
    deleted.assert_status(200);
    assert_eq!(deleted.text, "");
    app.get(&format!("/v4/meeting-type/{id}"), &auth)
        .await
        .assert_status(404);
    // Another company's meeting type is simply not there.
    let other = app.company(Plan::Platform).await;
    let foreign = default_meeting_type(&app, &other.member).await;
    app.get(
        &format!("/v4/meeting-type/{}", foreign["id"].as_str().unwrap()),
        &c.admin.auth(),
    )
    .await
    .assert_status(404);
}

async fn booking_takes_an_offered_slot_once(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let date = start
        .to_zoned_datetime(TimeZone::get("Europe/Berlin").unwrap())
        .date();
    let q = format!(
        "/v4/booking-availability?meetingTypeId={}&start={date}&end={date}",
        mt["id"].as_str().unwrap()
    );
    let before = app.get(&q, &c.member.auth()).await;
    before.assert_status(200);
    let body = before.json();
    assert_eq!(body["timezone"], "Europe/Berlin");
    let offered = starts(&body);
    assert_eq!(
        offered.len(),
        16,
        "09:00-17:00 in 30-minute slots: {offered:?}"
    );
    let ten = start
        .to_zoned_datetime(TimeZone::get("Europe/Berlin").unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    assert!(offered.contains(&ten));

    let booked = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(booking(&mt, start, "guest@example.com")),
        )
        .await;
    booked.assert_status(201);
    assert!(booked.json()["secret"].as_str().unwrap().len() >= 32);
    let again = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(booking(&mt, start, "other@example.com")),
        )
        .await;
    again.assert_status(409);
    assert_eq!(again.error_message(), "Slot no longer available");
    // A 15-minute shifted start overlaps the booked one; off-grid and outside hours are refused.
    for bad in [
        start + SignedDuration::from_mins(15),
        upcoming_weekday("Europe/Berlin", 3, 20, 0),
    ] {
        let r = app
            .call(
                Method::POST,
                "/v4/booking",
                &c.member.auth(),
                Some(booking(&mt, bad, "x@example.com")),
            )
            .await;
        r.assert_status(409);
    }
    let after = starts(&app.get(&q, &c.member.auth()).await.json());
    assert_eq!(after.len(), 15);
    assert!(!after.contains(&ten));
    // The attendee became the host's contact.
    let mut conn = app.db.conn().await.unwrap();
    assert_eq!(
        termin_storage::contacts::count_for_company(&mut conn, c.id)
            .await
            .unwrap(),
        1
    );
}

async fn idempotency_keys_return_the_first_answer(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 4, 11, 0);
    let send = |body: Value| {
        let mut req =
            crate::helpers::build(Method::POST, "/v4/booking", &c.member.auth(), Some(body));
        req.headers_mut()
            .insert("idempotency-key", "retry-1".parse().unwrap());
        app.send(req)
    };
    let first = send(booking(&mt, start, "guest@example.com")).await;
    first.assert_status(201);
    let second = send(booking(&mt, start, "guest@example.com")).await;
    second.assert_status(201);
    assert_eq!(first.json(), second.json());
    // A question added since does not turn the retry of a booking already made into a 400.
    let url = format!("/v4/meeting-type/{}", mt["id"].as_str().unwrap());
    let question = json!({"bookingQuestions": [{"id": "why", "label": "Why", "type": "text", "required": true}]});
    app.call(Method::PATCH, &url, &c.member.auth(), Some(question))
        .await
        .assert_status(200);
    let third = send(booking(&mt, start, "guest@example.com")).await;
    third.assert_status(201);
    assert_eq!(first.json(), third.json());
    let different = send(booking(
        &mt,
        start + SignedDuration::from_hours(1),
        "guest@example.com",
    ))
    .await;
    different.assert_status(409);
    let id: MeetingTypeId = mt["id"].as_str().unwrap().parse().unwrap();
    let mut conn = app.db.conn().await.unwrap();
    assert_eq!(
        termin_storage::appointments::count_active_attendees(&mut conn, id)
            .await
            .unwrap(),
        1
    );
}

async fn group_meetings_fill_their_seats(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let created = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &c.member.auth(),
            Some(json!({"meetingInfo": {"name": "Workshop", "duration": 60}, "spots": 3})),
        )
        .await;
    created.assert_status(201);
    let mt = created.json();
    let start = upcoming_weekday("Europe/Berlin", 5, 9, 0);
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = app
            .call(
                Method::POST,
                "/v4/booking",
                &c.member.auth(),
                Some(booking(&mt, start, &format!("p{i}@example.com"))),
            )
            .await;
        r.assert_status(201);
        ids.push(r.json()["appointmentId"].as_str().unwrap().to_owned());
    }
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "all seats are one appointment"
    );
    let full = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(booking(&mt, start, "late@example.com")),
        )
        .await;
    full.assert_status(409);
    let appt = app
        .get(&format!("/v4/appointment/{}", ids[0]), &c.member.auth())
        .await
        .json();
    assert_eq!(appt["attendees"].as_array().unwrap().len(), 3);
    assert_eq!(appt["takenSpots"], 3);
    // One attendee leaves: a seat opens again.
    let leaving = appt["attendees"][1]["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::POST,
            &format!("/v4/appointment/{}/cancel", ids[0]),
            &c.member.auth(),
            Some(json!({"attendeeId": leaving})),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["isCancelled"], false);
    assert_eq!(r.json()["attendees"].as_array().unwrap().len(), 2);
    app.call(
        Method::POST,
        "/v4/booking",
        &c.member.auth(),
        Some(booking(&mt, start, "late@example.com")),
    )
    .await
    .assert_status(201);
}

/// A Europe/Berlin host, an America/New_York attendee, across both spring changes (the US moves
/// on 2030-03-10, the EU on 2030-03-31) and both autumn changes (EU 2030-10-27, US 2030-11-03).
async fn dst_changes_keep_local_hours(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let avail = app
        .call(
            Method::POST,
            "/v4/availability",
            &auth,
            Some(json!({"name": "Monday mornings", "timezone": "Europe/Berlin",
                        "schedule": {"monday": {"enabled": true, "hours": [{"start": "09:00", "end": "12:00"}]}}})),
        )
        .await
        .json();
    let mt = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "Hour", "duration": 60}, "availabilityId": avail["id"],
                        "daysIntoFuture": {"bookingLimit": null}})),
        )
        .await;
    mt.assert_status(201);
    let mt = mt.json();
    let query = |start: &str, end: &str| {
        format!(
            "/v4/booking-availability?meetingTypeId={}&start={start}&end={end}&timezone=America/New_York",
            mt["id"].as_str().unwrap()
        )
    };
    let spring = starts(
        &app.get(&query("2030-03-18", "2030-04-08"), &auth)
            .await
            .json(),
    );
    assert_eq!(
        spring,
        [
            "2030-03-18T04:00:00-04:00",
            "2030-03-18T05:00:00-04:00",
            "2030-03-18T06:00:00-04:00",
            "2030-03-25T04:00:00-04:00",
            "2030-03-25T05:00:00-04:00",
            "2030-03-25T06:00:00-04:00",
            "2030-04-01T03:00:00-04:00",
            "2030-04-01T04:00:00-04:00",
            "2030-04-01T05:00:00-04:00",
            "2030-04-08T03:00:00-04:00",
            "2030-04-08T04:00:00-04:00",
            "2030-04-08T05:00:00-04:00",
        ]
    );
    let autumn = starts(
        &app.get(&query("2030-10-21", "2030-11-11"), &auth)
            .await
            .json(),
    );
    assert_eq!(
        autumn,
        [
            "2030-10-21T03:00:00-04:00",
            "2030-10-21T04:00:00-04:00",
            "2030-10-21T05:00:00-04:00",
            "2030-10-28T04:00:00-04:00",
            "2030-10-28T05:00:00-04:00",
            "2030-10-28T06:00:00-04:00",
            "2030-11-04T03:00:00-05:00",
            "2030-11-04T04:00:00-05:00",
            "2030-11-04T05:00:00-05:00",
            "2030-11-11T03:00:00-05:00",
            "2030-11-11T04:00:00-05:00",
            "2030-11-11T05:00:00-05:00",
        ]
    );
    // Rendered in the host's zone, the same slots are 09:00, 10:00 and 11:00 on every Monday.
    let berlin = app
        .get(
            &format!("/v4/booking-availability?meetingTypeId={}&start=2030-10-21&end=2030-11-04&timezone=Europe/Berlin", mt["id"].as_str().unwrap()),
            &auth,
        )
        .await
        .json();
    assert_eq!(
        starts(&berlin),
        [
            "2030-10-21T09:00:00+02:00",
            "2030-10-21T10:00:00+02:00",
            "2030-10-21T11:00:00+02:00",
            "2030-10-28T09:00:00+01:00",
            "2030-10-28T10:00:00+01:00",
            "2030-10-28T11:00:00+01:00",
            "2030-11-04T09:00:00+01:00",
            "2030-11-04T10:00:00+01:00",
            "2030-11-04T11:00:00+01:00",
        ]
    );
    // Booking the New York rendering of a Berlin slot works; the instant is what counts.
    let r = app
        .call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(
                json!({"meetingTypeId": mt["id"], "start": "2030-10-28T04:00:00-04:00",
                        "attendee": {"email": "ny@example.com", "timezone": "America/New_York"}}),
            ),
        )
        .await;
    r.assert_status(201);
}

async fn booking_availability_rejects_bad_queries(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let id = mt["id"].as_str().unwrap();
    let auth = c.member.auth();
    for (query, field) in [
        (
            format!("meetingTypeId={id}&start=2030-01-01&end=2030-04-01"),
            "end",
        ),
        (
            format!("meetingTypeId={id}&start=yesterday&end=2030-01-02"),
            "start",
        ),
        (
            format!("meetingTypeId={id}&start=2030-01-01&end=2030-01-02&timezone=Nowhere/City"),
            "timezone",
        ),
        (
            format!("meetingTypeId={id}&start=2030-01-01&end=2030-01-02&hostIds=nope"),
            "hostIds[0]",
        ),
        (
            format!("meetingTypeId={id}&start=2030-01-01&end=2030-01-02&calculationMethod=some"),
            "calculationMethod",
        ),
        (
            "meetingTypeId=123&start=2030-01-01&end=2030-01-02".to_owned(),
            "meetingTypeId",
        ),
    ] {
        let r = app
            .get(&format!("/v4/booking-availability?{query}"), &auth)
            .await;
        r.assert_status(400);
        let fields = r.error_fields();
        assert!(fields.contains(&field.to_owned()), "{query}: {fields:?}");
    }
    // A member cannot reach a colleague's calendar through hostIds; an admin can (below).
    let r = app
        .get(
            &format!("/v4/booking-availability?meetingTypeId={id}&start=2030-01-01&end=2030-01-02&hostIds={}", c.admin.user.id),
            &auth,
        )
        .await;
    r.assert_status(403);
    // Arrays arrive as repeated keys or comma lists.
    let both = format!("hostIds={}&hostIds={}", c.member.user.id, c.admin.user.id);
    let comma = format!("hostIds={},{}", c.member.user.id, c.admin.user.id);
    for hosts in [both, comma] {
        let start = upcoming_weekday("Europe/Berlin", 3, 0, 0)
            .to_zoned_datetime(TimeZone::get("Europe/Berlin").unwrap())
            .date();
        let r = app
            .get(&format!("/v4/booking-availability?meetingTypeId={id}&start={start}&end={start}&{hosts}&calculationMethod=everyone"), &c.admin.auth())
            .await;
        r.assert_status(200);
        assert_eq!(starts(&r.json()).len(), 16);
    }
}

/// Bookable times are kept between requests (see `busy_cache`); a second node that books,
/// cancels and reschedules must still be seen at once by the first, which kept a copy.
async fn every_node_sees_every_change_to_bookable_times(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let other = app.reconfigured(crate::helpers::test_config());
    let auth = c.member.auth();
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let ten = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let date = ten.to_zoned_datetime(berlin.clone()).date();
    let q = format!(
        "/v4/booking-availability?meetingTypeId={}&start={date}&end={date}",
        mt["id"].as_str().unwrap()
    );
    let wire = |t: Timestamp| {
        t.to_zoned_datetime(berlin.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let on = |router: Option<&axum::Router>, method: Method, path: String, body: Option<Value>| {
        let request = crate::helpers::build(method, &path, &auth, body);
        let router = router.unwrap_or(&app.router).clone();
        async move { crate::helpers::send(&router, request).await }
    };
    // Both nodes have listed (and kept) the day.
    for router in [None, Some(&other)] {
        let r = on(router, Method::GET, q.clone(), None).await;
        r.assert_status(200);
        assert_eq!(starts(&r.json()).len(), 16);
    }
    let listed = || async { starts(&on(None, Method::GET, q.clone(), None).await.json()) };

    let booked = on(
        Some(&other),
        Method::POST,
        "/v4/booking".into(),
        Some(booking(&mt, ten, "ada@example.com")),
    )
    .await;
    booked.assert_status(201);
    let id = booked.json()["appointmentId"].as_str().unwrap().to_owned();
    let now = listed().await;
    assert_eq!(now.len(), 15, "the other node's booking is seen");
    assert!(!now.contains(&wire(ten)));

    let eleven = ten + SignedDuration::from_hours(1);
    on(
        Some(&other),
        Method::POST,
        format!("/v4/appointment/{id}/reschedule"),
        Some(json!({"start": eleven.to_string()})),
    )
    .await
    .assert_status(200);
    let now = listed().await;
    assert!(now.contains(&wire(ten)), "the old time is free again");
    assert!(!now.contains(&wire(eleven)), "the new time is taken");

    on(
        Some(&other),
        Method::POST,
        format!("/v4/appointment/{id}/cancel"),
        Some(json!({"reason": "ill"})),
    )
    .await
    .assert_status(200);
    assert_eq!(listed().await.len(), 16, "the cancel is seen");
}

/// A meeting type asks its booking questions; a booking must answer the required ones, each
/// answer must fit its question, and the answers are kept on the attendee (in `notes`, beside
/// free-form notes).
async fn booking_questions_are_asked_and_answered(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let questions = json!([
        {"id": "company", "label": "Company", "type": "text", "required": true},
        {"id": "topic", "label": "Topic", "type": "choice", "options": ["Sales", "Support"]},
        {"id": "consent", "label": "I agree to the terms", "type": "checkbox", "required": true}
    ]);
    let created = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "Demo", "duration": 30}, "bookingQuestions": questions})),
        )
        .await;
    created.assert_status(201);
    let mt = created.json();
    assert_eq!(
        mt["bookingQuestions"][1]["options"],
        json!(["Sales", "Support"])
    );
    assert_eq!(mt["bookingQuestions"][0]["required"], true);
    let id = mt["id"].as_str().unwrap().to_owned();

    // A bad list is refused whole, naming each problem.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/meeting-type/{id}"),
            &auth,
            Some(json!({"bookingQuestions": [
                {"id": "company", "label": "Company", "type": "text"},
                {"id": "company", "label": "Size", "type": "choice", "options": []}
            ]})),
        )
        .await;
    r.assert_status(400);
    assert_eq!(
        r.error_fields(),
        ["bookingQuestions[1].id", "bookingQuestions[1].options"]
    );
    // Another change keeps the questions.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/meeting-type/{id}"),
            &auth,
            Some(json!({"meetingInfo": {"description": "A short demo"}})),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["bookingQuestions"], mt["bookingQuestions"]);

    app.call(
        Method::POST,
        "/webhooks",
        &c.admin.auth(),
        Some(json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_created"]})),
    )
    .await
    .assert_status(201);
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let unanswered = app
        .call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(booking(&mt, start, "q@example.com")),
        )
        .await;
    unanswered.assert_status(400);
    assert_eq!(
        unanswered.error_message(),
        "attendee.notes.company: Company is required; attendee.notes.consent: I agree to the terms is required"
    );
    let mut wrong = booking(&mt, start, "q@example.com");
    wrong["attendee"]["notes"] = json!({"company": "Acme", "topic": "Billing", "consent": false});
    let r = app
        .call(Method::POST, "/v4/booking", &auth, Some(wrong))
        .await;
    r.assert_status(400);
    assert_eq!(
        r.error_message(),
        "attendee.notes.topic: must be one of: Sales, Support; attendee.notes.consent: I agree to the terms must be ticked"
    );

    let mut answered = booking(&mt, start, "q@example.com");
    answered["attendee"]["notes"] =
        json!({"company": "Acme", "topic": "Sales", "consent": true, "remark": "Call first"});
    let appointment_id = book(&app, &auth, answered).await;
    let view = app
        .get(&format!("/v4/appointment/{appointment_id}"), &auth)
        .await
        .json();
    let answers =
        json!({"company": "Acme", "topic": "Sales", "consent": true, "remark": "Call first"});
    assert_eq!(view["attendees"][0]["notes"], answers);
    // ... and sent to webhooks with the booking.
    let mut conn = app.db.conn().await.unwrap();
    let payload: String = sqlx::query_scalar(
        "SELECT payload FROM webhook_events WHERE event_type = 'booking_created'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(payload["attendees"][0]["notes"], answers);
}

crate::backend_tests!(
    new_users_get_a_default_schedule_and_meeting_type,
    availability_crud_validates_every_field,
    meeting_types_validate_and_soft_delete,
    booking_takes_an_offered_slot_once,
    idempotency_keys_return_the_first_answer,
    group_meetings_fill_their_seats,
    dst_changes_keep_local_hours,
    booking_availability_rejects_bad_queries,
    every_node_sees_every_change_to_bookable_times,
    booking_questions_are_asked_and_answered,
);
