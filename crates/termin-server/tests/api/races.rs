//! No double booking, ever: many requests racing for one host and time.

use axum::http::Method;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;
use termin_domain::MeetingTypeId;

use axum::body::Body;
use axum::http::Request;

use crate::helpers::{build, send, Auth, TestApp, TestResponse};
use crate::process::Server;
use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};

const RACERS: usize = 50;

/// Sends every request at once and returns the answers, in the order of `requests`.
async fn at_once(app: &TestApp, requests: Vec<Request<Body>>) -> Vec<TestResponse> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let router = app.router.clone();
            tokio::spawn(async move { send(&router, request).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

fn statuses(answers: &[TestResponse]) -> Vec<u16> {
    answers.iter().map(|r| r.status.as_u16()).collect()
}

/// Sends all bookings at once and returns their statuses.
async fn race(app: &TestApp, auth: &Auth, bodies: Vec<Value>) -> Vec<u16> {
    let requests = bodies
        .into_iter()
        .map(|body| build(Method::POST, "/v4/booking", auth, Some(body)))
        .collect();
    let mut statuses = Vec::new();
    for r in at_once(app, requests).await {
        assert!(
            r.status.as_u16() == 201 || r.status.as_u16() == 409,
            "unexpected answer: {} {}",
            r.status,
            r.text
        );
        if r.status.as_u16() == 409 {
            assert_eq!(r.error_message(), "Slot no longer available");
        }
        statuses.push(r.status.as_u16());
    }
    statuses
}

async fn attendees(app: &TestApp, mt: &Value) -> i64 {
    let id: MeetingTypeId = mt["id"].as_str().unwrap().parse().unwrap();
    termin_storage::appointments::count_active_attendees(&mut app.db.conn().await.unwrap(), id)
        .await
        .unwrap()
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn fifty_bookings_for_one_slot_make_one_appointment(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let bodies = (0..RACERS)
        .map(|i| booking(&mt, start, &format!("racer{i}@example.com")))
        .collect();
    let statuses = race(&app, &c.member.auth(), bodies).await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), RACERS - 1);
    assert_eq!(attendees(&app, &mt).await, 1);
}

async fn overlapping_starts_race_for_one_host(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    // 30-minute meetings on a 15-minute grid: 10:00 and 10:15 overlap.
    let mt = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &c.member.auth(),
            Some(json!({"meetingInfo": {"name": "Quarter grid", "duration": 30}, "timeslotInterval": 15})),
        )
        .await
        .json();
    let ten = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let bodies = (0..RACERS)
        .map(|i| {
            let start = if i % 2 == 0 {
                ten
            } else {
                ten + SignedDuration::from_mins(15)
            };
            booking(&mt, start, &format!("racer{i}@example.com"))
        })
        .collect();
    let statuses = race(&app, &c.member.auth(), bodies).await;
    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(attendees(&app, &mt).await, 1);
}

async fn a_group_meeting_never_exceeds_its_seats(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &c.member.auth(),
            Some(json!({"meetingInfo": {"name": "Class", "duration": 60}, "spots": 5})),
        )
        .await
        .json();
    let start = upcoming_weekday("Europe/Berlin", 3, 14, 0);
    let bodies = (0..RACERS)
        .map(|i| booking(&mt, start, &format!("student{i}@example.com")))
        .collect();
    let statuses = race(&app, &c.member.auth(), bodies).await;
    assert_eq!(count(&statuses, 201), 5, "{statuses:?}");
    assert_eq!(attendees(&app, &mt).await, 5);
}

async fn rescheduling_into_a_taken_slot_changes_nothing(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let eleven = nine + SignedDuration::from_hours(2);
    let auth = c.member.auth();
    let a = app
        .call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(booking(&mt, nine, "a@example.com")),
        )
        .await
        .json();
    app.call(
        Method::POST,
        "/v4/booking",
        &auth,
        Some(booking(&mt, eleven, "b@example.com")),
    )
    .await
    .assert_status(201);
    let id = a["appointmentId"].as_str().unwrap();
    let before = app
        .get(&format!("/v4/appointment/{id}"), &auth)
        .await
        .json();
    for body in [
        json!({"start": eleven.to_string()}),
        json!({"start": eleven.to_string(), "ignoreAvailability": true}),
    ] {
        let r = app
            .call(
                Method::POST,
                &format!("/v4/appointment/{id}/reschedule"),
                &auth,
                Some(body),
            )
            .await;
        r.assert_status(409);
        assert_eq!(r.error_message(), "Slot no longer available");
    }
    let after = app
        .get(&format!("/v4/appointment/{id}"), &auth)
        .await
        .json();
    assert_eq!(
        before, after,
        "a refused reschedule must leave the appointment untouched"
    );

    // Into a free slot it moves, and reports where it was.
    let ten = nine + SignedDuration::from_hours(1);
    let moved = app
        .call(
            Method::POST,
            &format!("/v4/appointment/{id}/reschedule"),
            &auth,
            Some(json!({"start": ten.to_string()})),
        )
        .await;
    moved.assert_status(200);
    let body = moved.json();
    assert_eq!(
        body["previousStart"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        nine
    );
    assert_eq!(
        body["appointment"]["start"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        ten
    );
    assert_eq!(body["appointment"]["rescheduleCount"], 1);
    // The old time is free again.
    app.call(
        Method::POST,
        "/v4/booking",
        &auth,
        Some(booking(&mt, nine, "c@example.com")),
    )
    .await
    .assert_status(201);
}

/// Events of one type the company's webhooks were sent.
async fn events(app: &TestApp, kind: &str) -> i64 {
    let mut conn = app.db.conn().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE event_type = $1")
        .bind(kind)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

/// Parallel cancels of one appointment: one wins, the rest are told it is cancelled already,
/// and subscribers hear of it once. Then cancels racing reschedules of another: still one
/// cancel, one event per move that was answered 200, and the hosts end up free.
async fn parallel_cancels_have_one_winner_and_one_event(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let auth = c.member.auth();
    app.call(
        Method::POST,
        "/webhooks",
        &c.admin.auth(),
        Some(json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_cancelled", "booking_rescheduled"]})),
    )
    .await
    .assert_status(201);
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let mut ids = Vec::new();
    for (i, start) in [nine, nine + SignedDuration::from_hours(1)]
        .into_iter()
        .enumerate()
    {
        let r = app
            .call(
                Method::POST,
                "/v4/booking",
                &auth,
                Some(booking(&mt, start, &format!("g{i}@example.com"))),
            )
            .await;
        r.assert_status(201);
        ids.push(r.json()["appointmentId"].as_str().unwrap().to_owned());
    }
    let app = &app;
    let run = |requests: Vec<(String, Value)>| {
        let requests = requests
            .into_iter()
            .map(|(path, body)| build(Method::POST, &path, &auth, Some(body)))
            .collect();
        async move {
            at_once(app, requests)
                .await
                .iter()
                .map(|r| {
                    (
                        r.status.as_u16(),
                        r.json()["message"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let cancel = |id: &str| {
        (
            format!("/v4/appointment/{id}/cancel"),
            json!({"reason": "race"}),
        )
    };
    let answers = run((0..20).map(|_| cancel(&ids[0])).collect()).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(count(&statuses, 200), 1, "{answers:?}");
    assert_eq!(count(&statuses, 409), 19, "{answers:?}");
    assert!(answers
        .iter()
        .filter(|a| a.0 == 409)
        .all(|a| a.1 == "Appointment is already cancelled"));
    assert_eq!(events(app, "booking_cancelled").await, 1);

    let mut requests = Vec::new();
    for i in 0..10 {
        requests.push(cancel(&ids[1]));
        let to = nine + SignedDuration::from_hours(2) + SignedDuration::from_mins(30 * i);
        requests.push((
            format!("/v4/appointment/{}/reschedule", ids[1]),
            json!({"start": to.to_string()}),
        ));
    }
    let answers = run(requests).await;
    let (cancels, moves): (Vec<_>, Vec<_>) =
        answers.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let ok = |list: &[(usize, &(u16, String))]| list.iter().filter(|(_, a)| a.0 == 200).count();
    assert_eq!(ok(&cancels), 1, "{answers:?}");
    assert!(
        answers.iter().all(|a| a.0 == 200 || a.0 == 409),
        "{answers:?}"
    );
    assert_eq!(events(app, "booking_cancelled").await, 2);
    assert_eq!(events(app, "booking_rescheduled").await, ok(&moves) as i64);
    // Nothing of the cancelled appointment still holds the host.
    let times = app
        .get(
            &format!(
                "/v4/booking-availability?meetingTypeId={}&start={}&end={}",
                mt["id"].as_str().unwrap(),
                nine,
                nine + SignedDuration::from_hours(8)
            ),
            &auth,
        )
        .await
        .json();
    let offered = times["dates"][0]["spots"].as_array().unwrap().len();
    assert_eq!(offered, 16, "{times}");
}

/// Twenty parallel webhook creates for one company: exactly six exist afterwards.
async fn the_webhook_limit_holds_under_parallel_creates(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.admin.auth();
    let requests = (0..20)
        .map(|i| {
            let body = json!({"endpoint": format!("https://receiver.test/hook{i}"), "eventTypes": ["booking_created"]});
            build(Method::POST, "/webhooks", &auth, Some(body))
        })
        .collect();
    let statuses = statuses(&at_once(&app, requests).await);
    assert_eq!(count(&statuses, 201), 6, "{statuses:?}");
    assert_eq!(count(&statuses, 406), 14, "{statuses:?}");
    let list = app.get("/webhooks", &auth).await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(6), "{list}");
}

/// Eight parallel guest additions to one attendee: the five the limit allows are all kept, and
/// exactly those were answered 200.
async fn parallel_guest_additions_are_all_kept_up_to_the_limit(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let auth = c.member.auth();
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let booked = app
        .call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(booking(&mt, start, "host-guest@example.com")),
        )
        .await;
    booked.assert_status(201);
    let id = booked.json()["appointmentId"].as_str().unwrap().to_owned();
    let requests = (0..8)
        .map(|i| {
            build(
                Method::PATCH,
                &format!("/v4/appointment/{id}/guest"),
                &auth,
                Some(json!({"email": format!("guest{i}@example.com")})),
            )
        })
        .collect();
    let statuses = statuses(&at_once(&app, requests).await);
    assert_eq!(count(&statuses, 200), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 400), 3, "{statuses:?}");
    let view = app
        .get(&format!("/v4/appointment/{id}"), &auth)
        .await
        .json();
    let guests = view["attendees"][0]["bringalongEmails"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(guests, 5, "{view}");
}

/// Ten namesakes created at once: each gets a user and a slug of their own (on PostgreSQL the
/// derived slug can be taken between its check and the insert; the create is then retried).
async fn parallel_namesakes_each_get_a_slug(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let auth = crate::helpers::Auth::bearer(&key);
    let requests = (0..10)
        .map(|i| {
            let body = json!({"email": format!("ada{i}@example.com"), "givenName": "Ada", "familyName": "Lovelace", "timezone": "UTC"});
            build(Method::POST, "/v4/user", &auth, Some(body))
        })
        .collect();
    let mut slugs = Vec::new();
    for r in at_once(&app, requests).await {
        assert!(r.status.is_success(), "{} {}", r.status, r.text);
        // The booking URL is /{slug}/{meeting type}.
        slugs.push(
            r.json()["bookingUrl"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 10, "{slugs:?}");
}

/// Documents changed field by field (a personal page, an appointment's transcript): changes
/// made at once to different fields are all kept (on PostgreSQL each would otherwise write back
/// the old values of the others).
async fn parallel_changes_to_one_document_are_all_kept(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let fields = [
        "street", "zip", "city", "country", "phone", "email", "linkedIn", "xing",
    ];
    let value = |field: &str| match field {
        "phone" => json!("+49 30 1234"),
        "email" => json!("ada@example.com"),
        "linkedIn" | "xing" => json!(format!("https://{field}.example/ada")),
        other => json!(format!("my {other}")),
    };
    let requests = fields
        .iter()
        .map(|f| {
            build(
                Method::PATCH,
                "/v4/personal-page/me",
                &auth,
                Some(json!({"onlineProfiles": {*f: value(f)}})),
            )
        })
        .collect();
    assert!(statuses(&at_once(&app, requests).await)
        .iter()
        .all(|s| *s == 200));
    let page = app.get("/v4/personal-page/me", &auth).await.json();
    for f in fields {
        assert_eq!(page["onlineProfiles"][f], value(f), "{f} was lost: {page}");
    }

    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 12, 0);
    let id = book(&app, &auth, booking(&mt, start, "doc@example.com")).await;
    let path = format!("/v4/appointment/{id}/transcription");
    let requests = (0..6)
        .map(|i| {
            let body = if i % 2 == 0 {
                json!({"transcription": "the transcript"})
            } else {
                json!({"summary": "the summary"})
            };
            build(Method::PATCH, &path, &auth, Some(body))
        })
        .collect();
    assert!(statuses(&at_once(&app, requests).await)
        .iter()
        .all(|s| *s == 200));
    let view = app
        .get(&format!("/v4/appointment/{id}"), &auth)
        .await
        .json();
    assert_eq!(view["transcription"], "the transcript");
    assert_eq!(view["summary"], "the summary");
}

crate::backend_tests!(
    fifty_bookings_for_one_slot_make_one_appointment,
    overlapping_starts_race_for_one_host,
    a_group_meeting_never_exceeds_its_seats,
    rescheduling_into_a_taken_slot_changes_nothing,
    parallel_cancels_have_one_winner_and_one_event,
    the_webhook_limit_holds_under_parallel_creates,
    parallel_guest_additions_are_all_kept_up_to_the_limit,
    parallel_namesakes_each_get_a_slug,
    parallel_changes_to_one_document_are_all_kept,
);

/// The same races against two `termin serve` processes sharing one PostgreSQL database:
/// one start for everyone, then overlapping starts (10:00 and 10:15 of a 30-minute meeting).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_postgres_book_a_slot_once() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    let app = TestApp::with_url(url.clone(), None, crate::helpers::test_config()).await;
    let c = app.company(Plan::Platform).await;
    let mt = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &c.member.auth(),
            Some(json!({"meetingInfo": {"name": "Quarter grid", "duration": 30}, "timeslotInterval": 15})),
        )
        .await
        .json();
    let (a, b) = two_nodes(&url);
    let client = reqwest::Client::new();
    for (day, shift) in [(3, 0), (4, 15)] {
        let ten = upcoming_weekday("Europe/Berlin", day, 10, 0);
        let mut tasks = Vec::new();
        for i in 0..RACERS {
            let node = if i % 2 == 0 {
                a.url("/v4/booking")
            } else {
                b.url("/v4/booking")
            };
            let start = if i % 4 >= 2 {
                ten + SignedDuration::from_mins(shift)
            } else {
                ten
            };
            let body = booking(&mt, start, &format!("n{i}@example.com"));
            let (client, pat) = (client.clone(), c.member.pat.clone());
            tasks.push(tokio::spawn(async move {
                client
                    .post(node)
                    .bearer_auth(pat)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(count(&statuses, 201), 1, "shift {shift}: {statuses:?}");
        assert_eq!(
            count(&statuses, 409),
            RACERS - 1,
            "shift {shift}: {statuses:?}"
        );
    }
    assert_eq!(attendees(&app, &mt).await, 2);
}

/// Parallel cancels of one appointment spread over two `termin serve` processes on one
/// PostgreSQL database, and parallel webhook creates likewise: one cancel wins with one event,
/// and the company ends with exactly six webhooks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_postgres_cancel_once_and_keep_the_webhook_limit() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    let app = TestApp::with_url(url.clone(), None, crate::helpers::test_config()).await;
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    app.call(
        Method::POST,
        "/webhooks",
        &c.admin.auth(),
        Some(
            json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_cancelled"]}),
        ),
    )
    .await
    .assert_status(201);
    let booked = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(booking(
                &mt,
                upcoming_weekday("Europe/Berlin", 3, 10, 0),
                "two@example.com",
            )),
        )
        .await;
    booked.assert_status(201);
    let id = booked.json()["appointmentId"].as_str().unwrap().to_owned();
    let (a, b) = two_nodes(&url);
    let nodes = [&a, &b];
    let cancels = (0..20)
        .map(|_| {
            (
                Method::POST,
                format!("/v4/appointment/{id}/cancel"),
                c.member.pat.clone(),
                json!({"reason": "race"}),
            )
        })
        .collect();
    let statuses = over_nodes(&nodes, cancels).await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), 19, "{statuses:?}");
    assert_eq!(events(&app, "booking_cancelled").await, 1);
    let creates = (0..20)
        .map(|i| {
            // A public address literal: the nodes resolve names with the system resolver.
            (
                Method::POST,
                "/webhooks".to_owned(),
                c.admin.pat.clone(),
                json!({"endpoint": format!("https://93.184.216.34/hook{i}"), "eventTypes": ["booking_created"]}),
            )
        })
        .collect();
    let statuses = over_nodes(&nodes, creates).await;
    assert_eq!(
        count(&statuses, 201),
        5,
        "one existed already: {statuses:?}"
    );
    let mut conn = app.db.conn().await.unwrap();
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhooks WHERE company_id = $1 AND deleted_at IS NULL",
    )
    .bind(c.id.to_string())
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(total, 6);
}

/// Two `termin serve` processes on the database at `url`, started at once.
fn two_nodes(url: &str) -> (Server, Server) {
    std::thread::scope(|s| {
        let a = s.spawn(|| Server::start(url, &[]));
        let b = s.spawn(|| Server::start(url, &[]));
        (a.join().unwrap(), b.join().unwrap())
    })
}

/// Requests sent at once, spread over `nodes` in turn: (method, path, bearer, body) each.
async fn over_nodes(nodes: &[&Server], requests: Vec<(Method, String, String, Value)>) -> Vec<u16> {
    let client = reqwest::Client::new();
    let tasks: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, (method, path, token, body))| {
            let request = client
                .request(method, nodes[i % nodes.len()].url(&path))
                .bearer_auth(token)
                .json(&body);
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

/// The other limits counted before a write, across two `termin serve` processes on one
/// PostgreSQL: the guest list of an attendee (five), one free slot that six appointments are
/// moved into at once (one move wins, one event), the seats of a group meeting (five), and the
/// derived slug of namesakes (each gets one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_postgres_keep_guests_moves_seats_and_slugs_apart() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    let app = TestApp::with_url(url.clone(), None, crate::helpers::test_config()).await;
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    app.call(
        Method::POST,
        "/webhooks",
        &c.admin.auth(),
        Some(json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_rescheduled"]})),
    )
    .await
    .assert_status(201);
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let mut ids = Vec::new();
    for i in 0..6 {
        let start = nine + SignedDuration::from_hours(i);
        let body = booking(&mt, start, &format!("n{i}@example.com"));
        ids.push(book(&app, &c.member.auth(), body).await);
    }
    let (a, b) = two_nodes(&url);
    let nodes = [&a, &b];
    let pat = c.member.pat.clone();

    let guests = (0..8)
        .map(|i| {
            (
                Method::PATCH,
                format!("/v4/appointment/{}/guest", ids[0]),
                pat.clone(),
                json!({"email": format!("guest{i}@example.com")}),
            )
        })
        .collect();
    let statuses = over_nodes(&nodes, guests).await;
    assert_eq!(count(&statuses, 200), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 400), 3, "{statuses:?}");
    let view = app
        .get(&format!("/v4/appointment/{}", ids[0]), &c.member.auth())
        .await
        .json();
    assert_eq!(
        view["attendees"][0]["bringalongEmails"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    let free = nine + SignedDuration::from_mins(6 * 60 + 30);
    let moves = ids
        .iter()
        .map(|id| {
            (
                Method::POST,
                format!("/v4/appointment/{id}/reschedule"),
                pat.clone(),
                json!({"start": free.to_string()}),
            )
        })
        .collect();
    let statuses = over_nodes(&nodes, moves).await;
    assert_eq!(count(&statuses, 200), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), 5, "{statuses:?}");
    assert_eq!(events(&app, "booking_rescheduled").await, 1);

    // A class of five seats, twelve students at once over both nodes.
    let class = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &c.member.auth(),
            Some(json!({"meetingInfo": {"name": "Class", "duration": 60}, "spots": 5})),
        )
        .await
        .json();
    let lesson = upcoming_weekday("Europe/Berlin", 4, 14, 0);
    let students = (0..12)
        .map(|i| {
            (
                Method::POST,
                "/v4/booking".to_owned(),
                pat.clone(),
                booking(&class, lesson, &format!("student{i}@example.com")),
            )
        })
        .collect();
    let statuses = over_nodes(&nodes, students).await;
    assert_eq!(count(&statuses, 201), 5, "{statuses:?}");
    assert_eq!(count(&statuses, 409), 7, "{statuses:?}");
    assert_eq!(attendees(&app, &class).await, 5);

    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let namesakes = (0..10)
        .map(|i| {
            (
                Method::POST,
                "/v4/user".to_owned(),
                key.clone(),
                json!({"email": format!("grace{i}@example.com"), "givenName": "Grace", "familyName": "Hopper", "timezone": "UTC"}),
            )
        })
        .collect();
    let statuses = over_nodes(&nodes, namesakes).await;
    assert_eq!(count(&statuses, 201), 10, "{statuses:?}");
    let mut conn = app.db.conn().await.unwrap();
    let slugs: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM users WHERE slug LIKE 'grace-hopper%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let distinct: std::collections::HashSet<&String> = slugs.iter().collect();
    assert_eq!((slugs.len(), distinct.len()), (10, 10), "{slugs:?}");
}
