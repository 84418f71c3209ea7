//! The host's own calendars against a real CalDAV server (Radicale) and a local ICS feed:
//! discovery and calendar choice, busy events of every kind removing exactly the right bookable
//! times in two zones across DST changes, bookings written into the chosen calendar (moved,
//! removed), and the errors a user gets for a wrong password or an unreachable server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::Method;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;

use crate::helpers::{test_config, Auth, TestApp};
use crate::radicale::Radicale;
use crate::scheduling::{booking, default_meeting_type, starts};

const USER: (&str, &str) = ("host", "s3cret-app-password");

/// The app, allowed to reach loopback servers (Radicale and the feed server run there).
fn on_lan(app: TestApp) -> TestApp {
    let mut config = test_config();
    config.webhooks.allow_private_networks = true;
    app.with_config(config)
}

pub(crate) fn cal(body: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//termin tests//EN\r\n{body}END:VCALENDAR\r\n"
    )
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Every kind of event the issue names, around the DST changes of New York (2027-03-14) and
/// Berlin (2027-03-28). Returns the busy intervals they must make, in UTC.
async fn fill(radicale: &Radicale, host_email: &str) -> Vec<(Timestamp, Timestamp)> {
    radicale.calendar(USER, "work").await;
    radicale.calendar(USER, "private").await;
    // Mondays 10:00 Berlin, five times: the third deleted, the fourth moved to Tuesday 14:00.
    radicale
        .put(USER, "work", "weekly", &cal("BEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20270101T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20270308T100000\r\nDTEND;TZID=Europe/Berlin:20270308T110000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5\r\nEXDATE;TZID=Europe/Berlin:20270322T100000\r\nSUMMARY:Standup\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly-1\r\nDTSTAMP:20270101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270329T100000\r\n\
DTSTART;TZID=Europe/Berlin:20270330T140000\r\nDTEND;TZID=Europe/Berlin:20270330T143000\r\nSUMMARY:Standup (moved)\r\nEND:VEVENT\r\n"))
        .await;
    // Wednesdays 09:00 New York, four times: 14:00 UTC before the 14th, 13:00 after.
    radicale
        .put(
            USER,
            "work",
            "ny",
            &cal("BEGIN:VEVENT\r\nUID:ny-1\r\nDTSTAMP:20270101T000000Z\r\n\
DTSTART;TZID=America/New_York:20270310T090000\r\nDTEND;TZID=America/New_York:20270310T100000\r\n\
RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:NY sync\r\nEND:VEVENT\r\n"),
        )
        .await;
    let one = |uid: &str, extra: &str, start: &str, end: &str| {
        cal(&format!(
            "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20270101T000000Z\r\nDTSTART{start}\r\nDTEND{end}\r\n{extra}END:VEVENT\r\n"
        ))
    };
    let free = [
        ("transparent", "TRANSP:TRANSPARENT\r\n", ";TZID=Europe/Berlin:20270309T100000", ";TZID=Europe/Berlin:20270309T110000"),
        ("cancelled", "STATUS:CANCELLED\r\n", ";TZID=Europe/Berlin:20270309T120000", ";TZID=Europe/Berlin:20270309T130000"),
        (
            "declined",
            &format!("ORGANIZER:mailto:boss@example.com\r\nATTENDEE;PARTSTAT=DECLINED:mailto:{host_email}\r\n"),
            ";TZID=Europe/Berlin:20270309T140000",
            ";TZID=Europe/Berlin:20270309T150000",
        ),
    ];
    for (i, (uid, extra, start, end)) in free.iter().enumerate() {
        radicale
            .put(
                USER,
                "work",
                &format!("free-{i}"),
                &one(uid, extra, start, end),
            )
            .await;
    }
    // Another user's termin appointment the host was invited to counts (the host's own are
    // counted from termin's table: see the write-back test).
    radicale
        .put(
            USER,
            "work",
            "invited",
            &one(
                "0191f5c4-1b2a-7c3d-8e4f-5a6b7c8d9e0f@termin",
                "",
                ";TZID=Europe/Berlin:20270316T100000",
                ";TZID=Europe/Berlin:20270316T110000",
            ),
        )
        .await;
    radicale
        .put(
            USER,
            "work",
            "allday",
            &one("allday", "", ";VALUE=DATE:20270311", ";VALUE=DATE:20270312"),
        )
        .await;
    // Floating: the host's wall time.
    radicale
        .put(
            USER,
            "work",
            "floating",
            &one("floating", "", ":20270312T090000", ":20270312T100000"),
        )
        .await;
    radicale
        .put(
            USER,
            "private",
            "dentist",
            &one(
                "dentist",
                "",
                ";TZID=Europe/Berlin:20270309T160000",
                ";TZID=Europe/Berlin:20270309T170000",
            ),
        )
        .await;
    vec![
        (ts("2027-03-08T09:00:00Z"), ts("2027-03-08T10:00:00Z")),
        (ts("2027-03-15T09:00:00Z"), ts("2027-03-15T10:00:00Z")),
        (ts("2027-03-30T12:00:00Z"), ts("2027-03-30T12:30:00Z")),
        (ts("2027-04-05T08:00:00Z"), ts("2027-04-05T09:00:00Z")),
        (ts("2027-03-10T14:00:00Z"), ts("2027-03-10T15:00:00Z")),
        (ts("2027-03-17T13:00:00Z"), ts("2027-03-17T14:00:00Z")),
        (ts("2027-03-24T13:00:00Z"), ts("2027-03-24T14:00:00Z")),
        (ts("2027-03-31T13:00:00Z"), ts("2027-03-31T14:00:00Z")),
        (ts("2027-03-10T23:00:00Z"), ts("2027-03-11T23:00:00Z")),
        (ts("2027-03-12T08:00:00Z"), ts("2027-03-12T09:00:00Z")),
        (ts("2027-03-16T09:00:00Z"), ts("2027-03-16T10:00:00Z")),
    ]
}

/// The bookable starts of the host's default meeting type from 2027-03-08 to 2027-04-06, read
/// in `zone`.
async fn times(app: &TestApp, auth: &Auth, mt: &Value, zone: &str) -> Vec<Timestamp> {
    let r = app
        .get(
            &format!(
                "/v4/booking-availability?meetingTypeId={}&start=2027-03-08&end=2027-04-06&timezone={zone}",
                mt["id"].as_str().unwrap()
            ),
            auth,
        )
        .await;
    r.assert_status(200);
    let mut all: Vec<Timestamp> = starts(&r.json()).iter().map(|s| ts(s)).collect();
    all.sort();
    all
}

/// Asserts two lists of starts are the same, naming what differs.
#[track_caller]
fn same(got: Vec<Timestamp>, expected: Vec<Timestamp>, what: &str) {
    let extra: Vec<_> = got.iter().filter(|t| !expected.contains(t)).collect();
    let missing: Vec<_> = expected.iter().filter(|t| !got.contains(t)).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{what}: offered but busy: {extra:?}; free but not offered: {missing:?}"
    );
}

fn without(all: &[Timestamp], busy: &[(Timestamp, Timestamp)]) -> Vec<Timestamp> {
    let half_hour = SignedDuration::from_mins(30);
    all.iter()
        .copied()
        .filter(|s| !busy.iter().any(|(b, e)| *s < *e && *s + half_hour > *b))
        .collect()
}

async fn connect(app: &TestApp, auth: &Auth, radicale: &Radicale) -> Value {
    let r = app
        .call(
            Method::POST,
            "/v4/calendar-connections/connections",
            auth,
            Some(json!({"provider": "caldav", "url": radicale.url(), "username": USER.0, "password": USER.1})),
        )
        .await;
    r.assert_status(201);
    r.json()
}

async fn busy_events_remove_exactly_the_right_times(app: TestApp) {
    let Some(radicale) = Radicale::start(&[USER]) else {
        return;
    };
    let app = on_lan(app);
    app.clock.set(ts("2027-03-08T06:00:00Z"));
    let c = app.company(Plan::Platform).await;
    let host = &c.member;
    let auth = host.auth();
    let mt = default_meeting_type(&app, host).await;
    let before_berlin = times(&app, &auth, &mt, "Europe/Berlin").await;
    let before_ny = times(&app, &auth, &mt, "America/New_York").await;
    assert_eq!(
        before_berlin, before_ny,
        "the same instants whatever zone they are read in"
    );
    assert!(before_berlin.len() > 300);
    let mut busy = fill(&radicale, &host.user.email).await;

    // Discovery: from the server's root to the user's calendars, all read for conflicts.
    let made = connect(&app, &auth, &radicale).await;
    assert_eq!(made["provider"], "caldav");
    assert_eq!(made["account"], USER.0);
    assert_eq!(made["sync"]["state"], "ok", "{made}");
    assert!(made.get("password").is_none() && !made.to_string().contains(USER.1));
    let mut names: Vec<&str> = made["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["private", "work"]);
    assert!(made["calendars"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["readForConflicts"] == true && k["writeBookings"] == false));

    // The GDPR export holds the connection (never its password) and the busy times read.
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let export = app
        .call(
            Method::POST,
            "/v4/gdpr/export",
            &Auth::bearer(&key),
            Some(json!({"userId": host.user.id})),
        )
        .await;
    export.assert_status(200);
    let export = export.json();
    assert_eq!(export["user"]["calendarConnections"][0]["account"], USER.0);
    assert!(!export.to_string().contains(USER.1));
    assert!(export["user"]["calendarBusy"].as_array().unwrap().len() >= 11);
    let mut with_dentist = busy.clone();
    with_dentist.push((ts("2027-03-09T15:00:00Z"), ts("2027-03-09T16:00:00Z")));
    for zone in ["Europe/Berlin", "America/New_York"] {
        same(
            times(&app, &auth, &mt, zone).await,
            without(&before_berlin, &with_dentist),
            zone,
        );
    }
    // Booking checks the stored busy time inside its transaction.
    let r = app
        .call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(crate::scheduling::booking(
                &mt,
                ts("2027-03-15T09:00:00Z"),
                "late@example.com",
            )),
        )
        .await;
    r.assert_status(409);

    // Not reading the private calendar frees its event at once.
    let id = made["id"].as_str().unwrap();
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/calendar-connections/connections/{id}"),
            &auth,
            Some(json!({"calendars": [{"id": "private", "readForConflicts": false}]})),
        )
        .await;
    r.assert_status(200);
    same(
        times(&app, &auth, &mt, "Europe/Berlin").await,
        without(&before_berlin, &busy),
        "after",
    );

    // A change in the calendar shows after a sync.
    radicale
        .put(
            USER,
            "work",
            "late",
            &cal("BEGIN:VEVENT\r\nUID:late\r\nDTSTAMP:20270101T000000Z\r\n\
DTSTART:20270401T120000Z\r\nDTEND:20270401T130000Z\r\nEND:VEVENT\r\n"),
        )
        .await;
    app.call(
        Method::POST,
        &format!("/v4/calendar-connections/connections/{id}/sync"),
        &auth,
        None,
    )
    .await
    .assert_status(200);
    busy.push((ts("2027-04-01T12:00:00Z"), ts("2027-04-01T13:00:00Z")));
    same(
        times(&app, &auth, &mt, "America/New_York").await,
        without(&before_berlin, &busy),
        "after",
    );

    // Removing the connection removes its busy time.
    app.call(
        Method::DELETE,
        &format!("/v4/calendar-connections/connections/{id}"),
        &auth,
        None,
    )
    .await
    .assert_status(200);
    assert_eq!(
        times(&app, &auth, &mt, "Europe/Berlin").await,
        before_berlin
    );
    let list = app.get("/v4/calendar-connections/connections", &auth).await;
    list.assert_status(200);
    assert_eq!(list.json(), json!([]));
}

async fn a_booking_is_written_moved_and_removed_in_the_chosen_calendar(app: TestApp) {
    let Some(radicale) = Radicale::start(&[USER]) else {
        return;
    };
    let app = on_lan(app);
    app.clock.set(ts("2027-03-08T06:00:00Z"));
    radicale.calendar(USER, "work").await;
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let mt = default_meeting_type(&app, &c.member).await;
    let made = connect(&app, &auth, &radicale).await;
    let id = made["id"].as_str().unwrap();
    app.call(
        Method::PATCH,
        &format!("/v4/calendar-connections/connections/{id}"),
        &auth,
        Some(json!({"calendars": [{"id": "work", "writeBookings": true}]})),
    )
    .await
    .assert_status(200);
    let appointment = crate::scheduling::book(
        &app,
        &auth,
        crate::scheduling::booking(&mt, ts("2027-03-09T10:00:00Z"), "ada@example.com"),
    )
    .await;
    let svc = &app.state.service;
    let lease = SignedDuration::from_secs(60);
    assert_eq!(
        termin_service::calendar_writes::write_due(svc, lease, 10)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        radicale.names(USER, "work").await,
        vec![appointment.clone()]
    );
    // Unfolded: long lines continue on the next after a space.
    let text = radicale
        .get(USER, "work", &appointment)
        .await
        .unwrap()
        .replace("\r\n ", "");
    assert!(
        text.contains(&format!("UID:{appointment}@termin")),
        "{text}"
    );
    assert!(text.contains("DTSTART:20270309T100000Z"), "{text}");
    assert!(text.contains("mailto:ada@example.com"), "{text}");
    assert!(
        text.contains(&format!("/dashboard/appointments/{appointment}")),
        "{text}"
    );
    // Nothing more to do: nothing is written twice.
    assert_eq!(
        termin_service::calendar_writes::write_due(svc, lease, 10)
            .await
            .unwrap(),
        0
    );
    // Syncing reads the written event back, and it does not count twice: its time is busy
    // once, through the appointment, and freed when the appointment moves.
    app.call(
        Method::POST,
        &format!("/v4/calendar-connections/connections/{id}/sync"),
        &auth,
        None,
    )
    .await
    .assert_status(200);

    app.call(
        Method::POST,
        &format!("/v4/appointment/{appointment}/reschedule"),
        &auth,
        Some(json!({"start": "2027-03-10T11:00:00Z"})),
    )
    .await
    .assert_status(200);
    // The calendar still holds the event at its old time (not written yet), and the old time
    // is free at once: the host's own appointment counts from termin's table only.
    assert!(radicale
        .get(USER, "work", &appointment)
        .await
        .unwrap()
        .contains("DTSTART:20270309T100000Z"));
    let free = times(&app, &auth, &mt, "Europe/Berlin").await;
    assert!(free.contains(&ts("2027-03-09T10:00:00Z")));
    assert!(!free.contains(&ts("2027-03-10T11:00:00Z")));
    assert_eq!(
        termin_service::calendar_writes::write_due(svc, lease, 10)
            .await
            .unwrap(),
        1
    );
    let text = radicale.get(USER, "work", &appointment).await.unwrap();
    assert!(text.contains("DTSTART:20270310T110000Z"), "{text}");
    assert!(text.contains("SEQUENCE:1"), "{text}");
    assert_eq!(radicale.names(USER, "work").await.len(), 1);

    app.call(
        Method::POST,
        &format!("/v4/appointment/{appointment}/cancel"),
        &auth,
        Some(json!({"reason": "ill"})),
    )
    .await
    .assert_status(200);
    assert_eq!(
        termin_service::calendar_writes::write_due(svc, lease, 10)
            .await
            .unwrap(),
        1
    );
    assert!(radicale.get(USER, "work", &appointment).await.is_none());
    assert!(radicale.names(USER, "work").await.is_empty());

    // A booking written, then no calendar receives bookings any more, then it is cancelled:
    // the event written earlier is still removed.
    let second = crate::scheduling::book(
        &app,
        &auth,
        crate::scheduling::booking(&mt, ts("2027-03-11T10:00:00Z"), "grace@example.com"),
    )
    .await;
    termin_service::calendar_writes::write_due(svc, lease, 10)
        .await
        .unwrap();
    assert_eq!(radicale.names(USER, "work").await, vec![second.clone()]);
    app.call(
        Method::PATCH,
        &format!("/v4/calendar-connections/connections/{id}"),
        &auth,
        Some(json!({"calendars": [{"id": "work", "writeBookings": false}]})),
    )
    .await
    .assert_status(200);
    app.call(
        Method::POST,
        &format!("/v4/appointment/{second}/cancel"),
        &auth,
        Some(json!({"reason": "moved on"})),
    )
    .await
    .assert_status(200);
    assert_eq!(
        termin_service::calendar_writes::write_due(svc, lease, 10)
            .await
            .unwrap(),
        1
    );
    assert!(radicale.names(USER, "work").await.is_empty());
    // The dashboard shows the log of writes (the test's clock stands still: no order to see).
    let (cookie, _) = crate::dashboard::cookie_of(&app.session(&c.member.user).await);
    let page = crate::dashboard::page(&app, "/dashboard/calendars", Some(&cookie)).await;
    page.assert_status(200);
    let log = &page.text[page
        .text
        .find("Bookings written into your calendar")
        .expect("the log")..];
    assert!(
        log.contains(">Removed<") && log.contains(">Written<"),
        "{log}"
    );
    assert!(log.contains(&format!("/dashboard/appointments/{second}")));
}

async fn wrong_passwords_and_unreachable_servers_are_named(app: TestApp) {
    let Some(radicale) = Radicale::start(&[USER]) else {
        return;
    };
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let post = |body: Value| {
        app.call(
            Method::POST,
            "/v4/calendar-connections/connections",
            &auth,
            Some(body),
        )
    };
    // Loopback is refused unless the operator allows private networks, as for webhooks.
    let r = post(json!({"provider": "caldav", "url": radicale.url(), "username": USER.0, "password": USER.1})).await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["url"]);
    assert!(
        r.error_message().contains("internal address")
            || r.json().to_string().contains("internal address"),
        "{}",
        r.json()
    );
    let app = on_lan(app);
    let post = |body: Value| {
        app.call(
            Method::POST,
            "/v4/calendar-connections/connections",
            &auth,
            Some(body),
        )
    };
    let r = post(json!({"provider": "caldav", "url": radicale.url(), "username": USER.0, "password": "wrong"})).await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["password"]);
    let closed = crate::smtp::free_port();
    let r = post(json!({"provider": "caldav", "url": format!("http://127.0.0.1:{closed}/"), "username": "a", "password": "b"})).await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["url"]);
    assert!(
        r.json().to_string().contains("could not be reached"),
        "{}",
        r.json()
    );
    let r = post(json!({"provider": "caldav", "url": radicale.url(), "username": USER.0})).await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["password"]);
    let r = post(json!({"provider": "exchange", "url": radicale.url()})).await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["provider"]);
    assert_eq!(
        app.get("/v4/calendar-connections/connections", &auth)
            .await
            .json(),
        json!([])
    );

    // An admin sees a member's connections but may not change them; a member sees only theirs.
    let made = connect(&app, &auth, &radicale).await;
    let id = made["id"].as_str().unwrap();
    let member = c.member.user.id;
    let seen = app
        .get(
            &format!("/v4/calendar-connections/connections?userId={member}"),
            &c.admin.auth(),
        )
        .await;
    seen.assert_status(200);
    assert_eq!(seen.json()[0]["id"], made["id"]);
    app.call(
        Method::DELETE,
        &format!("/v4/calendar-connections/connections/{id}"),
        &c.admin.auth(),
        None,
    )
    .await
    .assert_status(403);
    app.get(
        &format!(
            "/v4/calendar-connections/connections?userId={}",
            c.admin.user.id
        ),
        &auth,
    )
    .await
    .assert_status(403);
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/calendar-connections/connections/{id}"),
            &auth,
            Some(json!({"calendars": [{"id": "nope", "writeBookings": true}]})),
        )
        .await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["calendars[0].id"]);

    // A server that goes away: the connection shows failing, and its busy time stays.
    let mut radicale = radicale;
    radicale.stop();
    let r = app
        .call(
            Method::POST,
            &format!("/v4/calendar-connections/connections/{id}/sync"),
            &auth,
            None,
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["sync"]["state"], "failing");
    assert_eq!(r.json()["sync"]["consecutiveFailures"], 1);
    assert!(r.json()["sync"]["error"]
        .as_str()
        .unwrap()
        .contains("could not be reached"));
}

/// A feed server: answers the ICS with an ETag, and 304 to a request that names it.
pub(crate) async fn feed_server(ics: String) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let fetched = Arc::new(AtomicUsize::new(0));
    let not_modified = Arc::new(AtomicUsize::new(0));
    let (f, n) = (fetched.clone(), not_modified.clone());
    let app = axum::Router::new().route(
        "/secret/basic.ics",
        axum::routing::get(move |headers: HeaderMap| {
            let (f, n, ics) = (f.clone(), n.clone(), ics.clone());
            async move {
                f.fetch_add(1, Ordering::SeqCst);
                if headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok())
                    == Some("\"v1\"")
                {
                    n.fetch_add(1, Ordering::SeqCst);
                    return StatusCode::NOT_MODIFIED.into_response();
                }
                (
                    [
                        (header::CONTENT_TYPE, "text/calendar"),
                        (header::ETAG, "\"v1\""),
                    ],
                    ics,
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (
        format!("webcal://{addr}/secret/basic.ics"),
        fetched,
        not_modified,
    )
}

async fn an_ics_feed_counts_and_is_fetched_conditionally(app: TestApp) {
    let app = on_lan(app);
    app.clock.set(ts("2027-03-08T06:00:00Z"));
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let mt = default_meeting_type(&app, &c.member).await;
    let before = times(&app, &auth, &mt, "Europe/Berlin").await;
    let ics = cal("BEGIN:VEVENT\r\nUID:f1\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270309T090000Z\r\nDTEND:20270309T100000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:f2\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20270329T090000\r\nDTEND;TZID=Europe/Berlin:20270329T100000\r\nRRULE:FREQ=DAILY;COUNT=2\r\nEND:VEVENT\r\n");
    let (url, fetched, not_modified) = feed_server(ics).await;
    // Over plain http (loopback, allowed here), given as webcal://.
    let url = url.replace("webcal://", "http://");
    let r = app
        .call(
            Method::POST,
            "/v4/calendar-connections/connections",
            &auth,
            Some(json!({"provider": "ics", "url": url})),
        )
        .await;
    r.assert_status(201);
    let made = r.json();
    assert_eq!(made["provider"], "ics");
    assert!(
        !made.to_string().contains("/secret/"),
        "a feed's address is its secret: {made}"
    );
    assert_eq!(made["calendars"][0]["readForConflicts"], true);
    let busy = [
        (ts("2027-03-09T09:00:00Z"), ts("2027-03-09T10:00:00Z")),
        (ts("2027-03-29T07:00:00Z"), ts("2027-03-29T08:00:00Z")),
        (ts("2027-03-30T07:00:00Z"), ts("2027-03-30T08:00:00Z")),
    ];
    same(
        times(&app, &auth, &mt, "Europe/Berlin").await,
        without(&before, &busy),
        "after",
    );
    let id = made["id"].as_str().unwrap();
    let first = fetched.load(Ordering::SeqCst);
    let r = app
        .call(
            Method::POST,
            &format!("/v4/calendar-connections/connections/{id}/sync"),
            &auth,
            None,
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["sync"]["state"], "ok");
    assert_eq!(fetched.load(Ordering::SeqCst), first + 1);
    assert_eq!(
        not_modified.load(Ordering::SeqCst),
        1,
        "the second fetch names the ETag and gets 304"
    );
    same(
        times(&app, &auth, &mt, "Europe/Berlin").await,
        without(&before, &busy),
        "after",
    );
    // Not reading the feed frees its times at once; reading it again fetches it whole (not
    // conditionally: nothing of it is kept) and they are busy again.
    let path = format!("/v4/calendar-connections/connections/{id}");
    let patch = |read: bool| {
        app.call(
            Method::PATCH,
            &path,
            &auth,
            Some(json!({"calendars": [{"id": "feed", "readForConflicts": read}]})),
        )
    };
    patch(false).await.assert_status(200);
    same(
        times(&app, &auth, &mt, "Europe/Berlin").await,
        before.clone(),
        "feed off",
    );
    let synced_off = fetched.load(Ordering::SeqCst);
    app.call(
        Method::POST,
        &format!("/v4/calendar-connections/connections/{id}/sync"),
        &auth,
        None,
    )
    .await
    .assert_status(200);
    assert_eq!(
        fetched.load(Ordering::SeqCst),
        synced_off,
        "a feed not read is not fetched"
    );
    patch(true).await.assert_status(200);
    same(
        times(&app, &auth, &mt, "Europe/Berlin").await,
        without(&before, &busy),
        "feed on",
    );
    assert_eq!(not_modified.load(Ordering::SeqCst), 1);
    // A feed cannot receive bookings.
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/calendar-connections/connections/{id}"),
            &auth,
            Some(json!({"calendars": [{"id": "feed", "writeBookings": true}]})),
        )
        .await;
    r.assert_status(400);
}

async fn the_dashboard_connects_chooses_syncs_and_removes(app: TestApp) {
    use crate::dashboard::{cookie_of, form, page};
    let Some(radicale) = Radicale::start(&[USER]) else {
        return;
    };
    radicale.calendar(USER, "work").await;
    radicale.calendar(USER, "private").await;
    let app = on_lan(app);
    let c = app.company(Plan::Platform).await;
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    let empty = page(&app, "/dashboard/calendars", Some(&cookie)).await;
    empty.assert_status(200);
    assert!(empty.text.contains("No calendars connected yet"));
    assert!(empty.text.contains("Integrations → Calendars"));
    // A wrong password is said on the page, and nothing is kept but the typed address.
    let wrong = form(
        &app,
        "/dashboard/calendars",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("provider", "caldav"),
            ("url", &radicale.url()),
            ("username", USER.0),
            ("password", "nope"),
        ],
    )
    .await;
    wrong.assert_status(400);
    assert!(
        wrong.text.contains("refused the user name or password"),
        "{}",
        wrong.text
    );
    assert!(wrong.text.contains(&radicale.url()));
    let made = form(
        &app,
        "/dashboard/calendars",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("provider", "caldav"),
            ("url", &radicale.url()),
            ("username", USER.0),
            ("password", USER.1),
        ],
    )
    .await;
    made.assert_status(201);
    assert!(
        made.text.contains("Connected host: 2 calendars"),
        "{}",
        made.text
    );
    let id = app
        .get("/v4/calendar-connections/connections", &c.member.auth())
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Only `work` counts as busy, and bookings go into it.
    let saved = form(
        &app,
        &format!("/dashboard/calendars/{id}"),
        Some(&cookie),
        &[("csrf", &csrf), ("busy", "work"), ("bookings", "work")],
    )
    .await;
    saved.assert_status(303);
    let listed = app
        .get("/v4/calendar-connections/connections", &c.member.auth())
        .await
        .json();
    let calendars = listed[0]["calendars"].as_array().unwrap();
    let of = |name: &str| calendars.iter().find(|k| k["id"] == name).unwrap().clone();
    assert_eq!(
        (
            of("work")["readForConflicts"].clone(),
            of("work")["writeBookings"].clone()
        ),
        (json!(true), json!(true))
    );
    assert_eq!(
        (
            of("private")["readForConflicts"].clone(),
            of("private")["writeBookings"].clone()
        ),
        (json!(false), json!(false))
    );
    let shown = page(&app, "/dashboard/calendars", Some(&cookie)).await;
    assert!(shown.text.contains("Last synced"));
    let synced = form(
        &app,
        &format!("/dashboard/calendars/{id}/sync"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    synced.assert_status(200);
    assert!(synced.text.contains("Synced host."), "{}", synced.text);
    // Without the form's CSRF token nothing changes.
    let forged = form(
        &app,
        &format!("/dashboard/calendars/{id}/remove"),
        Some(&cookie),
        &[],
    )
    .await;
    assert_eq!(forged.status.as_u16(), 403);
    let confirm = page(
        &app,
        &format!("/dashboard/calendars/{id}/remove"),
        Some(&cookie),
    )
    .await;
    confirm.assert_status(200);
    assert!(confirm.text.contains("forgets its password"));
    let removed = form(
        &app,
        &format!("/dashboard/calendars/{id}/remove"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    removed.assert_status(303);
    assert_eq!(
        app.get("/v4/calendar-connections/connections", &c.member.auth())
            .await
            .json(),
        json!([])
    );
}

/// A calendar event that starts and ends with an open group appointment is busy time of its
/// own: the group's free seats are not offered then, and cannot be booked.
async fn a_calendar_event_at_a_groups_time_closes_its_seats(app: TestApp) {
    let app = on_lan(app);
    app.clock.set(ts("2027-03-08T06:00:00Z"));
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let created = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "Workshop", "duration": 60}, "spots": 3})),
        )
        .await;
    created.assert_status(201);
    let mt = created.json();
    let start = ts("2027-03-09T09:00:00Z");
    let book = |email: &'static str| {
        app.call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(booking(&mt, start, email)),
        )
    };
    book("first@example.com").await.assert_status(201);
    assert!(
        times(&app, &auth, &mt, "Europe/Berlin")
            .await
            .contains(&start),
        "the group's free seats are offered"
    );
    let ics = cal("BEGIN:VEVENT\r\nUID:elsewhere\r\nDTSTAMP:20270101T000000Z\r\nDTSTART:20270309T090000Z\r\nDTEND:20270309T100000Z\r\nEND:VEVENT\r\n");
    let (url, _, _) = feed_server(ics).await;
    app.call(
        Method::POST,
        "/v4/calendar-connections/connections",
        &auth,
        Some(json!({"provider": "ics", "url": url.replace("webcal://", "http://")})),
    )
    .await
    .assert_status(201);
    assert!(
        !times(&app, &auth, &mt, "Europe/Berlin")
            .await
            .contains(&start),
        "the host is busy elsewhere then"
    );
    book("second@example.com").await.assert_status(409);
}

crate::backend_tests!(
    the_dashboard_connects_chooses_syncs_and_removes,
    a_calendar_event_at_a_groups_time_closes_its_seats,
    busy_events_remove_exactly_the_right_times,
    a_booking_is_written_moved_and_removed_in_the_chosen_calendar,
    wrong_passwords_and_unreachable_servers_are_named,
    an_ics_feed_counts_and_is_fetched_conditionally,
);

/// `termin serve` with quick calendar retries and short claims.
const FAST_CALENDARS: [(&str, &str); 4] = [
    ("TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "true"),
    // A killed node's claims run out after 4 × timeout + 5 s.
    ("TERMIN_CALENDAR_TIMEOUT_SECS", "2"),
    ("TERMIN_CALENDAR_RETRY_SECONDS", "1"),
    ("TERMIN_WEBHOOK_POLL_MS", "50"),
];

/// Connects the member's Radicale account through a server process (its secrets key seals the
/// password) and chooses `work` for bookings.
async fn connect_through(node: &crate::process::Server, pat: &str, radicale: &Radicale) {
    let client = reqwest::Client::new();
    let r = client
        .post(node.url("/v4/calendar-connections/connections"))
        .bearer_auth(pat)
        .json(&json!({"provider": "caldav", "url": radicale.url(), "username": USER.0, "password": USER.1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = client
        .patch(node.url(&format!("/v4/calendar-connections/connections/{id}")))
        .bearer_auth(pat)
        .json(&json!({"calendars": [{"id": "work", "writeBookings": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Waits until every calendar write is done, then answers what the calendar holds.
async fn settled(app: &TestApp, radicale: &Radicale) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM calendar_writes WHERE status <> 'done'")
                .fetch_one(&mut *app.db.conn().await.unwrap())
                .await
                .unwrap();
        if open == 0 {
            return radicale.names(USER, "work").await;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{open} calendar writes still open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn successful_puts(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM calendar_write_attempts WHERE action = 'put' AND error IS NULL",
    )
    .fetch_one(&mut *app.db.conn().await.unwrap())
    .await
    .unwrap()
}

/// Radicale is down when the booking is made, the server is killed with SIGKILL, both come
/// back: the event arrives, once.
async fn a_booking_reaches_the_calendar_once_through_a_crash(url: String) {
    let Some(mut radicale) = Radicale::start(&[USER]) else {
        return;
    };
    radicale.calendar(USER, "work").await;
    let app = TestApp::with_url(url.clone(), None, test_config()).await;
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let mut first = crate::process::Server::start(&url, &FAST_CALENDARS);
    connect_through(&first, &c.member.pat, &radicale).await;
    radicale.stop();
    let start = crate::scheduling::upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let r = reqwest::Client::new()
        .post(first.url("/v4/booking"))
        .bearer_auth(&c.member.pat)
        .json(&crate::scheduling::booking(&mt, start, "crash@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["appointmentId"]
        .as_str()
        .unwrap()
        .to_owned();
    // The write is tried against the stopped server and fails.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let failed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM calendar_write_attempts WHERE error IS NOT NULL",
        )
        .fetch_one(&mut *app.db.conn().await.unwrap())
        .await
        .unwrap();
        if failed > 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no write was tried");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    first.child.kill().unwrap(); // SIGKILL: no shutdown code runs
    first.child.wait().unwrap();
    radicale.resume();
    let _second = crate::process::Server::start(&url, &FAST_CALENDARS);
    assert_eq!(settled(&app, &radicale).await, vec![id.clone()]);
    assert_eq!(successful_puts(&app).await, 1);
    let text = radicale.get(USER, "work", &id).await.unwrap();
    assert!(text.contains(&format!("UID:{id}@termin")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_reaches_the_calendar_once_through_a_crash_sqlite() {
    let (url, _dir) = crate::helpers::sqlite_url();
    a_booking_reaches_the_calendar_once_through_a_crash(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_reaches_the_calendar_once_through_a_crash_postgres() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    a_booking_reaches_the_calendar_once_through_a_crash(url).await;
}

/// Two nodes on one PostgreSQL database share the connection's syncs and writes: every booking
/// is written once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_write_each_booking_once() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    let Some(radicale) = Radicale::start(&[USER]) else {
        return;
    };
    radicale.calendar(USER, "work").await;
    // One event of the host's own, early the day after tomorrow (clear of the bookings).
    let day = (Timestamp::now() + SignedDuration::from_hours(48)).strftime("%Y%m%d");
    radicale
        .put(
            USER,
            "work",
            "early",
            &cal(&format!(
                "BEGIN:VEVENT\r\nUID:early\r\nDTSTAMP:20270101T000000Z\r\n\
DTSTART:{day}T050000Z\r\nDTEND:{day}T060000Z\r\nEND:VEVENT\r\n"
            )),
        )
        .await;
    let app = TestApp::with_url(url.clone(), None, test_config()).await;
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let mut env = FAST_CALENDARS.to_vec();
    env.push(("TERMIN_CALENDAR_SYNC_SECONDS", "1"));
    let nodes = [
        crate::process::Server::start(&url, &env),
        crate::process::Server::start(&url, &env),
    ];
    connect_through(&nodes[0], &c.member.pat, &radicale).await;
    let client = reqwest::Client::new();
    let first = crate::scheduling::upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let mut booked = Vec::new();
    for i in 0..12i64 {
        let r = client
            .post(nodes[(i % 2) as usize].url("/v4/booking"))
            .bearer_auth(&c.member.pat)
            .json(&crate::scheduling::booking(
                &mt,
                first + SignedDuration::from_mins(30 * i),
                &format!("n{i}@example.com"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        booked.push(
            r.json::<Value>().await.unwrap()["appointmentId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Both nodes keep syncing the connection meanwhile (every second).
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    booked.push("early".into());
    booked.sort();
    assert_eq!(settled(&app, &radicale).await, booked);
    booked.retain(|b| b != "early");
    assert_eq!(
        successful_puts(&app).await,
        booked.len() as i64,
        "no booking is written twice"
    );
    // Each sync after a write read the calendar again (its tag moved); the one event not
    // termin's own is still one busy interval, however many syncs ran on either node.
    let busy: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calendar_busy")
        .fetch_one(&mut *app.db.conn().await.unwrap())
        .await
        .unwrap();
    assert_eq!(busy, 1);
}

/// The operator's CLI: connect, choose, list, sync and remove a user's calendars with the
/// server's key, and rotate that key (every sealed value sealed again under the new one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_manages_connections_and_rotates_the_key() {
    use crate::process::{cli, cli_json};
    let Some(radicale) = Radicale::start(&[USER]) else {
        return;
    };
    radicale.calendar(USER, "work").await;
    let (url, dir) = crate::helpers::sqlite_url();
    let key = "dGVybWluLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmchISE=";
    cli_json(
        &url,
        &[
            "company",
            "create",
            "--name",
            "Acme",
            "--owner-email",
            "boss@acme.test",
        ],
        None,
    );
    let made = cli_json(
        &url,
        &[
            "calendar",
            "--secrets-key",
            key,
            "--allow-private-networks",
            "add",
            "--user",
            "boss@acme.test",
            "--caldav",
            &radicale.url(),
            "--username",
            USER.0,
        ],
        Some(&format!("{}\n", USER.1)),
    );
    assert_eq!(made["sync"]["state"], "ok", "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let chosen = cli_json(
        &url,
        &[
            "calendar",
            "--secrets-key",
            key,
            "choose",
            "--user",
            "boss@acme.test",
            &id,
            "--write",
            "work",
        ],
        None,
    );
    assert_eq!(chosen["calendars"][0]["writeBookings"], true);
    // Without the server's key nothing runs.
    let refused = cli(
        &url,
        &["calendar", "list", "--user", "boss@acme.test"],
        None,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("secrets key"));

    let new_key = dir.path().join("new.key");
    let rotated = cli_json(
        &url,
        &[
            "secrets",
            "--secrets-key",
            key,
            "rotate",
            "--new-key-file",
            new_key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(rotated["connections"], 1);
    // The old key is no longer the database's; the new one opens the password.
    let old = cli(
        &url,
        &[
            "calendar",
            "--secrets-key",
            key,
            "list",
            "--user",
            "boss@acme.test",
        ],
        None,
    );
    assert!(!old.status.success());
    let new_key = new_key.to_str().unwrap();
    let synced = cli_json(
        &url,
        &[
            "calendar",
            "--secrets-key-file",
            new_key,
            "--allow-private-networks",
            "sync",
            "--user",
            "boss@acme.test",
            &id,
        ],
        None,
    );
    assert_eq!(synced["sync"]["state"], "ok", "{synced}");
    assert_eq!(synced["sync"]["consecutiveFailures"], 0);
    let listed = cli_json(
        &url,
        &[
            "calendar",
            "--secrets-key-file",
            new_key,
            "list",
            "--user",
            "boss@acme.test",
        ],
        None,
    );
    assert_eq!(listed.as_array().unwrap().len(), 1);
    cli_json(
        &url,
        &[
            "calendar",
            "--secrets-key-file",
            new_key,
            "remove",
            "--user",
            "boss@acme.test",
            &id,
        ],
        None,
    );
    let listed = cli_json(
        &url,
        &[
            "calendar",
            "--secrets-key-file",
            new_key,
            "list",
            "--user",
            "boss@acme.test",
        ],
        None,
    );
    assert_eq!(listed, json!([]));
}
