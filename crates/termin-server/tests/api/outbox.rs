//! The outbox under real processes: a SIGKILLed server loses no event or mail, and two servers
//! on one PostgreSQL database deliver each event and send each mail once.

use std::collections::HashSet;
use std::time::Duration;

use axum::http::Method;
use jiff::SignedDuration;
use serde_json::json;
use termin_domain::tenancy::Plan;

use crate::helpers::{sqlite_url, test_config, TestApp};
use crate::process::Server;
use crate::receiver::Receiver;
use crate::scheduling::{booking, default_meeting_type, upcoming_weekday};
use crate::smtp::{free_port, parse, SmtpSink};

const FAST_RETRIES: [(&str, &str); 4] = [
    ("TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "true"),
    // A killed node's claims run out after timeout + 5 s.
    ("TERMIN_WEBHOOK_TIMEOUT_SECS", "2"),
    ("TERMIN_WEBHOOK_RETRY_SCALE", "0.0001"),
    ("TERMIN_WEBHOOK_POLL_MS", "50"),
];

async fn lan_app(url: String) -> TestApp {
    let mut config = test_config();
    config.webhooks.allow_private_networks = true;
    TestApp::with_url(url, None, config).await
}

/// Bookings are made while the receiver is down, the server is killed with SIGKILL, the receiver
/// comes up, a new server starts: every event arrives.
async fn no_event_is_lost_when_the_server_is_killed(url: String) {
    let app = lan_app(url.clone()).await;
    let c = app.company(Plan::Platform).await;
    // A port with nothing listening yet: deliveries fail until the receiver starts there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}/hook");
    app.call(
        Method::POST,
        "/webhooks",
        &c.admin.auth(),
        Some(json!({"endpoint": endpoint, "eventTypes": ["booking_created"]})),
    )
    .await
    .assert_status(201);
    let mt = default_meeting_type(&app, &c.member).await;

    let mut first = Server::start(&url, &FAST_RETRIES);
    let client = reqwest::Client::new();
    let mut booked = HashSet::new();
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    for i in 0..5 {
        let r = client
            .post(first.url("/v4/booking"))
            .bearer_auth(&c.member.pat)
            .json(&booking(
                &mt,
                nine + SignedDuration::from_hours(i),
                &format!("k{i}@example.com"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        booked.insert(
            r.json::<serde_json::Value>().await.unwrap()["appointmentId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    first.child.kill().unwrap(); // SIGKILL: no shutdown code runs
    first.child.wait().unwrap();

    let receiver = Receiver::start_on(port).await;
    let _second = Server::start(&url, &FAST_RETRIES);
    let got = receiver.wait_for(5, 120).await;
    let delivered: HashSet<String> = got
        .iter()
        .map(|d| d.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(delivered, booked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_event_is_lost_when_the_server_is_killed_sqlite() {
    let (url, _dir) = sqlite_url();
    no_event_is_lost_when_the_server_is_killed(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_event_is_lost_when_the_server_is_killed_postgres() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    no_event_is_lost_when_the_server_is_killed(url).await;
}

/// Two nodes, one healthy receiver: each event arrives exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_each_event_once() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    let app = lan_app(url.clone()).await;
    let c = app.company(Plan::Platform).await;
    let receiver = Receiver::start(0).await;
    app.call(
        Method::POST,
        "/webhooks",
        &c.admin.auth(),
        Some(json!({"endpoint": receiver.url(), "eventTypes": ["booking_created"]})),
    )
    .await
    .assert_status(201);
    let mt = default_meeting_type(&app, &c.member).await;
    let nodes = [
        Server::start(&url, &FAST_RETRIES),
        Server::start(&url, &FAST_RETRIES),
    ];
    let client = reqwest::Client::new();
    let mut booked = HashSet::new();
    let first = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    for i in 0..40i64 {
        // 16 slots a day: spread over three days.
        let start = first
            + SignedDuration::from_hours(24 * (i / 16))
            + SignedDuration::from_mins(30 * (i % 16));
        let node = &nodes[(i % 2) as usize];
        let r = client
            .post(node.url("/v4/booking"))
            .bearer_auth(&c.member.pat)
            .json(&booking(&mt, start, &format!("e{i}@example.com")))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        if status == 409 {
            continue; // a weekend day in the spread: not bookable, not an event
        }
        assert_eq!(status, 201, "{body}");
        booked.insert(
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["appointmentId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(booked.len() >= 16);
    let got = receiver.wait_for(booked.len(), 60).await;
    // Once every delivery is recorded as succeeded, no node sends it again (only pending ones
    // are claimed): what the receiver holds then is final.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded'",
        )
        .fetch_one(&mut *app.db.conn().await.unwrap())
        .await
        .unwrap();
        if open == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{open} deliveries still open"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let got_after = receiver.received();
    assert_eq!(
        got_after.len(),
        got.len().max(booked.len()),
        "no event arrives twice"
    );
    let ids: HashSet<String> = got_after.iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids.len(), booked.len());
    let appointments: HashSet<String> = got_after
        .iter()
        .map(|d| d.json()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(appointments, booked);
}

/// The mail sender of `termin serve` with quick retries and short claims.
fn fast_mail(smtp_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("TERMIN_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")),
        ("TERMIN_MAIL_RETRY_SCALE", "0.0001".into()),
        ("TERMIN_SMTP_TIMEOUT_SECS", "2".into()),
        ("TERMIN_WEBHOOK_POLL_MS", "50".into()),
    ]
}

fn env<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Waits until no message is due and unsent; returns how many were sent.
async fn mail_settled(app: &TestApp) -> i64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let mut conn = app.db.conn().await.unwrap();
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_outbox WHERE status = 'pending' AND kind <> 'reminder'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if open == 0 {
            return sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE status = 'sent'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{open} mails still pending"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Distinct Message-IDs of what the SMTP server holds, and how many messages it holds.
fn received_ids(sink: &SmtpSink) -> (HashSet<String>, usize) {
    let all = sink.messages();
    let ids = all.iter().map(|m| parse(m).message_id).collect();
    (ids, all.len())
}

/// Bookings are made while the SMTP server is down, the server is killed with SIGKILL, both
/// come back: every mail arrives, once.
async fn every_mail_arrives_once_after_a_crash(url: String) {
    let app = lan_app(url.clone()).await;
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let port = free_port();
    let mail = fast_mail(port);
    let mut first = Server::start(&url, &env(&mail));
    let client = reqwest::Client::new();
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    for i in 0..3 {
        let r = client
            .post(first.url("/v4/booking"))
            .bearer_auth(&c.member.pat)
            .json(&booking(
                &mt,
                nine + SignedDuration::from_hours(i),
                &format!("m{i}@example.com"),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    // Let the sender try (and fail: nothing listens) before the kill.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let Some(sink) = SmtpSink::start_on(port) else {
        return;
    };
    let _second = Server::start(&url, &env(&mail));
    sink.wait_for(6, Duration::from_secs(90)).await;
    assert_eq!(mail_settled(&app).await, 6);
    let (ids, count) = received_ids(&sink);
    assert_eq!(
        count, 6,
        "each of the 3 confirmations and 3 host notices once"
    );
    assert_eq!(ids.len(), 6);
    let to: HashSet<String> = sink.messages().iter().map(|m| parse(m).to).collect();
    assert!(to.contains("m0@example.com") && to.contains(&c.member.user.email));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mail_arrives_once_after_a_crash_sqlite() {
    let (url, _dir) = sqlite_url();
    every_mail_arrives_once_after_a_crash(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mail_arrives_once_after_a_crash_postgres() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    every_mail_arrives_once_after_a_crash(url).await;
}

/// Two nodes on one PostgreSQL database, one SMTP server: each mail is sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_send_each_mail_once() {
    let Some(url) = crate::pg::fresh_database().await else {
        return;
    };
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = lan_app(url.clone()).await;
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let mail = fast_mail(sink.port);
    let nodes = [
        Server::start(&url, &env(&mail)),
        Server::start(&url, &env(&mail)),
    ];
    let client = reqwest::Client::new();
    let first = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let mut booked = 0;
    for i in 0..20i64 {
        let start = first + SignedDuration::from_mins(30 * i);
        let r = client
            .post(nodes[(i % 2) as usize].url("/v4/booking"))
            .bearer_auth(&c.member.pat)
            .json(&booking(&mt, start, &format!("n{i}@example.com")))
            .send()
            .await
            .unwrap();
        if r.status() == 201 {
            booked += 1;
        }
    }
    assert!(booked >= 10, "{booked} booked");
    sink.wait_for(2 * booked, Duration::from_secs(60)).await;
    assert_eq!(mail_settled(&app).await, 2 * booked as i64);
    let (ids, count) = received_ids(&sink);
    assert_eq!(count, 2 * booked, "no mail sent twice");
    assert_eq!(ids.len(), count);
}
