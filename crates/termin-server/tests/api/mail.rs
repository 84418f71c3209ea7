//! E-mail: what the attendee and the host are sent about each change, through a real SMTP
//! server, and the outbox as the API shows it.

use std::time::Duration;

use axum::http::Method;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;

use crate::helpers::{test_config, Auth, TestApp};
use crate::pages::{booking_path, post_form, wire};
use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};
use crate::smtp::{parse, Received, SmtpSink};

crate::backend_tests!(
    the_attendee_and_the_host_hear_of_every_change,
    without_smtp_mail_is_kept_and_can_be_read,
    quick_mail_reaches_the_attendee_and_is_bounded,
);

/// The app sending through `sink`.
fn with_smtp(app: TestApp, sink: &SmtpSink) -> TestApp {
    let mut config = test_config();
    config.mail.smtp_url = Some(sink.url());
    config.mail.from = "termin <bookings@termin.test>".into();
    app.with_config(config)
}

/// Runs this node's mail sender once, as the worker does.
async fn send(app: &TestApp) -> usize {
    let transport = termin_server::mail::transport(&app.state.config.mail).unwrap();
    termin_server::jobs::mail::send_due(&app.state, transport.as_ref())
        .await
        .unwrap()
}

async fn new_messages(sink: &SmtpSink, seen: &mut usize, n: usize) -> Vec<Received> {
    let all = sink.wait_for(*seen + n, Duration::from_secs(20)).await;
    assert_eq!(all.len(), *seen + n, "exactly {n} new messages");
    let fresh = all[*seen..].iter().map(|m| parse(m)).collect();
    *seen += n;
    fresh
}

fn to<'a>(messages: &'a [Received], address: &str) -> &'a Received {
    messages
        .iter()
        .find(|m| m.to == address)
        .unwrap_or_else(|| panic!("a message to {address}"))
}

async fn outbox(app: &TestApp, auth: &Auth) -> Vec<Value> {
    let r = app.get("/v4/mail?pageSize=100", auth).await;
    r.assert_status(200);
    r.json()["mails"].as_array().unwrap().clone()
}

async fn the_attendee_and_the_host_hear_of_every_change(app: TestApp) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = with_smtp(app, &sink);
    let c = app.company(Plan::Platform).await;
    let host = c.member.user.email.clone();
    let mt = default_meeting_type(&app, &c.member).await;
    let path = booking_path(&c.member, &mt);
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let r = post_form(
        &app,
        &path,
        &[
            ("start", &wire(start)),
            ("tz", "America/New_York"),
            ("name", "Ada Lovelace"),
            ("email", "ada@example.com"),
            ("notes", "About engines"),
        ],
    )
    .await;
    r.assert_status(303);
    let manage = r.headers["location"]
        .to_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        send(&app).await,
        2,
        "the confirmation and the host's notice; the reminder waits"
    );
    let mut seen = 0;
    let booked = new_messages(&sink, &mut seen, 2).await;
    let confirmation = to(&booked, "ada@example.com");
    assert!(
        confirmation
            .subject
            .starts_with("Confirmed: 30 minute meeting with Test Person"),
        "{}",
        confirmation.subject
    );
    // The time in the attendee's zone: 10:00 Berlin is 04:00 in New York.
    let ny = start.to_zoned_datetime(jiff::tz::TimeZone::get("America/New_York").unwrap());
    assert!(confirmation
        .text
        .contains(&ny.strftime("%H:%M").to_string()));
    assert!(
        confirmation
            .text
            .contains(&format!("http://termin.test{manage}")),
        "the manage link"
    );
    assert!(confirmation
        .html
        .contains(&format!("http://termin.test{manage}")));
    assert_eq!(confirmation.reply_to.as_deref(), Some(host.as_str()));
    let ics = confirmation.calendar.clone().expect("an invitation");
    let list = app
        .get("/v4/appointment/paginated", &c.member.auth())
        .await
        .json();
    let id = list["appointments"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(ics.method, "REQUEST");
    assert_eq!(ics.uid, format!("{id}@termin"));
    assert_eq!(ics.sequence, 0);
    assert_eq!(ics.start, start.strftime("%Y%m%dT%H%M%SZ").to_string());
    assert_eq!(ics.attendees, ["ada@example.com"]);
    let notice = to(&booked, &host);
    assert!(
        notice
            .subject
            .starts_with("New booking: 30 minute meeting with Ada Lovelace"),
        "{}",
        notice.subject
    );
    assert!(notice.text.contains("About engines"), "the attendee's note");
    assert_eq!(notice.reply_to.as_deref(), Some("ada@example.com"));
    assert_eq!(notice.calendar.as_ref().unwrap().uid, ics.uid);
    assert_ne!(notice.message_id, confirmation.message_id);

    // Moved through the manage link: both get the updated invitation, with a higher SEQUENCE.
    let later = upcoming_weekday("Europe/Berlin", 3, 15, 0);
    post_form(
        &app,
        &format!("{manage}/reschedule"),
        &[("start", &wire(later))],
    )
    .await
    .assert_status(303);
    assert_eq!(send(&app).await, 2);
    let moved = new_messages(&sink, &mut seen, 2).await;
    for m in &moved {
        let cal = m.calendar.as_ref().expect("an updated invitation");
        assert_eq!((cal.method.as_str(), cal.sequence), ("REQUEST", 1));
        assert_eq!(cal.uid, ics.uid);
        assert_eq!(cal.start, later.strftime("%Y%m%dT%H%M%SZ").to_string());
        assert!(m.subject.starts_with("Moved: "), "{}", m.subject);
    }
    assert!(to(&moved, "ada@example.com")
        .text
        .contains(&format!("http://termin.test{manage}")));

    // The reminder goes out a day before the new time, once (the first one was withdrawn).
    app.clock
        .advance(later.duration_since(Timestamp::now()) - SignedDuration::from_hours(23));
    assert_eq!(send(&app).await, 1);
    let reminder = &new_messages(&sink, &mut seen, 1).await[0];
    assert_eq!(reminder.to, "ada@example.com");
    assert!(
        reminder.subject.starts_with("Reminder: 30 minute meeting"),
        "{}",
        reminder.subject
    );
    assert!(reminder.calendar.is_none());

    // Cancelled by the host: both get METHOD:CANCEL.
    let cancel = format!("/v4/appointment/{id}/cancel");
    app.call(
        Method::POST,
        &cancel,
        &c.member.auth(),
        Some(json!({"reason": "Ill"})),
    )
    .await
    .assert_status(200);
    assert_eq!(send(&app).await, 2);
    let cancelled = new_messages(&sink, &mut seen, 2).await;
    for m in &cancelled {
        let cal = m.calendar.as_ref().expect("a cancellation");
        assert_eq!(
            (cal.method.as_str(), cal.status.as_str()),
            ("CANCEL", "CANCELLED")
        );
        assert_eq!(cal.sequence, 2);
        assert!(m.text.contains("Ill"), "the reason");
    }
    // The outbox shows it all, sent; nothing is left to send.
    let mails = outbox(&app, &c.member.auth()).await;
    let status = |s: &str| mails.iter().filter(|m| m["status"] == s).count();
    assert_eq!(mails.len(), 8);
    assert_eq!(status("sent"), 7);
    assert_eq!(
        status("cancelled"),
        1,
        "the first reminder, withdrawn when the meeting moved"
    );
    assert_eq!(send(&app).await, 0);

    // An attendee who reads German gets German.
    let german = upcoming_weekday("Europe/Berlin", 4, 11, 0);
    let mut body = booking(&mt, german, "grete@example.com");
    body["attendee"]["language"] = json!("de");
    book(&app, &c.member.auth(), body).await;
    send(&app).await;
    let mail = new_messages(&sink, &mut seen, 2).await;
    let bestaetigt = to(&mail, "grete@example.com");
    assert!(
        bestaetigt.subject.starts_with("Bestätigt: "),
        "{}",
        bestaetigt.subject
    );
}

async fn without_smtp_mail_is_kept_and_can_be_read(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    book(
        &app,
        &c.member.auth(),
        booking(&mt, start, "ada@example.com"),
    )
    .await;
    assert_eq!(send(&app).await, 2);
    let mails = outbox(&app, &c.member.auth()).await;
    assert_eq!(mails.len(), 3, "{mails:?}");
    let unsent: Vec<&Value> = mails.iter().filter(|m| m["status"] == "unsent").collect();
    assert_eq!(unsent.len(), 2);
    assert!(unsent
        .iter()
        .all(|m| m["lastError"] == "not sent: no SMTP configured"));
    let reminder = mails.iter().find(|m| m["kind"] == "reminder").unwrap();
    assert_eq!(reminder["status"], "pending");
    // Printed as the recipient would see it.
    let id = unsent.iter().find(|m| m["kind"] == "confirmation").unwrap()["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let record = termin_service::mail::find(&app.state.service, id)
        .await
        .unwrap();
    let shown = termin_server::mail::show(&record).unwrap();
    assert!(shown.contains("To: ada@example.com"));
    assert!(shown.contains("Subject: Confirmed: 30 minute meeting with Test Person"));
    assert!(shown.contains("http://termin.test/manage/"));
    assert!(shown.contains("METHOD:REQUEST"));
    // Members see the mail about their own appointments only; admins the company's.
    assert!(outbox(&app, &c.admin.auth()).await.len() >= 3);
    let r = app
        .get(
            &format!("/v4/mail?userId={}", c.member.user.id),
            &c.admin.auth(),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["total"], 3);
    app.get(
        &format!("/v4/mail?userId={}", c.admin.user.id),
        &c.member.auth(),
    )
    .await
    .assert_status(403);
    let other = app.company(Plan::Platform).await;
    assert!(
        outbox(&app, &other.owner.auth()).await.is_empty(),
        "another company's"
    );
    let r = app.get("/v4/mail?status=lost", &c.member.auth()).await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["status"]);
}

async fn quick_mail_reaches_the_attendee_and_is_bounded(app: TestApp) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = with_smtp(app, &sink);
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let id = book(
        &app,
        &c.member.auth(),
        booking(&mt, start, "ada@example.com"),
    )
    .await;
    let a = app
        .get(&format!("/v4/appointment/{id}"), &c.member.auth())
        .await
        .json();
    let attendee = a["attendees"][0]["id"].as_str().unwrap().to_owned();
    send(&app).await;
    let mut seen = 0;
    new_messages(&sink, &mut seen, 2).await;
    // A line break in the title cannot add a header.
    let r = app
        .call(
            Method::POST,
            "/v4/attendee/quick-mail",
            &c.member.auth(),
            Some(json!({"attendeeId": attendee, "title": "Agenda\r\nBcc: evil@example.com", "content": "Hello Ada,\n\nhere is the agenda.\n\nTest"})),
        )
        .await;
    r.assert_status(201);
    assert_eq!(r.json()["kind"], "quick_mail");
    send(&app).await;
    let m = &new_messages(&sink, &mut seen, 1).await[0];
    assert_eq!(m.to, "ada@example.com");
    assert_eq!(m.subject, "Agenda  Bcc: evil@example.com");
    assert!(!m.raw.contains("\r\nBcc:"), "no header was added");
    assert!(m.text.contains("here is the agenda."));
    assert_eq!(m.reply_to.as_deref(), Some(c.member.user.email.as_str()));
    // Four more within five minutes, then no more.
    for n in 0..4 {
        let body = json!({"attendeeId": attendee, "title": format!("Note {n}"), "content": "x"});
        app.call(
            Method::POST,
            "/v4/attendee/quick-mail",
            &c.member.auth(),
            Some(body),
        )
        .await
        .assert_status(201);
    }
    let body = json!({"attendeeId": attendee, "title": "One more", "content": "x"});
    let r = app
        .call(
            Method::POST,
            "/v4/attendee/quick-mail",
            &c.member.auth(),
            Some(body.clone()),
        )
        .await;
    r.assert_status(429);
    app.clock.advance(SignedDuration::from_mins(5));
    app.call(
        Method::POST,
        "/v4/attendee/quick-mail",
        &c.member.auth(),
        Some(body),
    )
    .await
    .assert_status(201);
    // Only an attendee the caller may see; every field checked.
    let colleague = app
        .add_user(c.id, termin_domain::tenancy::Role::Member)
        .await;
    let body = json!({"attendeeId": attendee, "title": "Hi", "content": "x"});
    app.call(
        Method::POST,
        "/v4/attendee/quick-mail",
        &colleague.auth(),
        Some(body),
    )
    .await
    .assert_status(404);
    let body = json!({"attendeeId": attendee, "title": " ", "content": ""});
    let r = app
        .call(
            Method::POST,
            "/v4/attendee/quick-mail",
            &c.admin.auth(),
            Some(body),
        )
        .await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["title", "content"]);
}

/// STARTTLS (required) and TLS from the first byte both carry the mail; a server whose
/// certificate nobody vouches for gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_starttls_and_implicit_tls() {
    for implicit in [false, true] {
        let Some((sink, ca)) = SmtpSink::start_tls(implicit) else {
            return;
        };
        let url = if implicit {
            format!("smtps://127.0.0.1:{}", sink.port)
        } else {
            format!("smtp://127.0.0.1:{}?tls=required", sink.port)
        };
        let mut config = test_config();
        config.mail.smtp_url = Some(url);
        config.mail.timeout = Duration::from_secs(5);
        let app = TestApp::sqlite().await.with_config(config.clone());
        let c = app.company(Plan::Platform).await;
        let mt = default_meeting_type(&app, &c.member).await;
        let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
        book(
            &app,
            &c.member.auth(),
            booking(&mt, start, "ada@example.com"),
        )
        .await;
        // Without the authority the certificate is refused, and nothing is sent.
        send(&app).await;
        assert!(sink.messages().is_empty());
        let mails = outbox(&app, &c.member.auth()).await;
        assert!(
            mails
                .iter()
                .any(|m| m["status"] == "pending" && m["lastError"].is_string()),
            "{mails:?}"
        );
        // With it, the retries go through.
        config.mail.ca_pem = Some(ca);
        let app = app.with_config(config);
        app.clock.advance(SignedDuration::from_hours(2));
        send(&app).await;
        let got = sink.wait_for(2, Duration::from_secs(20)).await;
        assert_eq!(got.len(), 2, "implicit TLS: {implicit}");
        assert!(got.iter().any(|m| parse(m).to == "ada@example.com"));
    }
}

/// A reminder withdrawn while a sender holds it stays withdrawn whatever the send did; one
/// claimed after its meeting began is not sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_and_late_reminders_are_not_sent() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = with_smtp(TestApp::sqlite().await, &sink);
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let id = book(
        &app,
        &c.member.auth(),
        booking(&mt, start, "ada@example.com"),
    )
    .await;
    send(&app).await;
    sink.wait_for(2, Duration::from_secs(20)).await;
    // The reminder is due; a sender claims it, and meanwhile the meeting is cancelled.
    app.clock
        .advance(start.duration_since(Timestamp::now()) - SignedDuration::from_hours(23));
    let svc = &app.state.service;
    let claimed = termin_service::mail::claim_due(svc, SignedDuration::from_mins(1), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].record.kind, "reminder");
    app.call(
        Method::POST,
        &format!("/v4/appointment/{id}/cancel"),
        &c.member.auth(),
        Some(json!({})),
    )
    .await
    .assert_status(200);
    let retry = termin_service::mail::Outcome::Retry(app.clock.clock().now(), "busy".into());
    assert!(!termin_service::mail::record(svc, &claimed[0], &retry)
        .await
        .unwrap());
    let mails = outbox(&app, &c.member.auth()).await;
    let reminder = mails.iter().find(|m| m["kind"] == "reminder").unwrap();
    assert_eq!(reminder["status"], "cancelled");
    assert_eq!(
        send(&app).await,
        2,
        "the two cancellations, and no reminder"
    );

    // A second booking whose senders were down until after it began.
    let later = upcoming_weekday("Europe/Berlin", 4, 11, 0);
    book(
        &app,
        &c.member.auth(),
        booking(&mt, later, "bob@example.com"),
    )
    .await;
    app.clock
        .advance(later.duration_since(app.clock.clock().now()) + SignedDuration::from_mins(5));
    send(&app).await;
    let mails = outbox(&app, &c.member.auth()).await;
    let late = mails
        .iter()
        .find(|m| m["kind"] == "reminder" && m["recipient"] == "bob@example.com")
        .unwrap();
    assert_eq!(late["status"], "cancelled", "{late}");
    assert_eq!(late["lastError"], "the meeting had begun");
}
