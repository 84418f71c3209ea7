//! Webhooks: subscriptions, signed deliveries to a real receiver, retries, the SSRF guard.

use std::time::Duration;

use axum::http::Method;
use jiff::SignedDuration;
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;
use termin_server::config::Config;
use termin_server::jobs::webhooks as worker;

use crate::helpers::{test_config, Auth, Company, TestApp};
use crate::receiver::Receiver;
use crate::scheduling::{booking, default_meeting_type, upcoming_weekday};

/// The same database, with webhooks allowed to reach 127.0.0.1 and a fast retry schedule.
async fn lan_app(app: TestApp, retry_scale: f64, disable_after: i64) -> TestApp {
    let mut config: Config = test_config();
    config.webhooks.allow_private_networks = true;
    config.webhooks.retry_scale = retry_scale;
    config.webhooks.disable_after_failed_deliveries = disable_after;
    config.webhooks.poll_interval = Duration::from_millis(20);
    app.with_config(config)
}

async fn subscribe(app: &TestApp, c: &Company, endpoint: &str, events: Value) -> Value {
    let r = app
        .call(
            Method::POST,
            "/webhooks",
            &c.admin.auth(),
            Some(json!({"endpoint": endpoint, "eventTypes": events, "description": "crm"})),
        )
        .await;
    r.assert_status(201);
    r.json()
}

async fn webhook_crud_limits_and_secrets(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.admin.auth();
    let first = subscribe(
        &app,
        &c,
        "https://receiver.test/hook",
        json!(["booking_created"]),
    )
    .await;
    let secret = first["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let list = app.get("/webhooks", &auth).await;
    assert!(!list.text.contains(&secret), "the secret is shown once");
    assert_eq!(list.json()[0]["eventTypes"], json!(["booking_created"]));
    for _ in 1..6 {
        subscribe(
            &app,
            &c,
            "https://receiver.test/hook",
            json!(["new_employee"]),
        )
        .await;
    }
    let seventh = app
        .call(Method::POST, "/webhooks", &auth, Some(json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_created"]})))
        .await;
    seventh.assert_status(406);
    seventh.error_message();

    let id = first["id"].as_str().unwrap();
    let rotated = app
        .call(
            Method::POST,
            &format!("/webhooks/{id}/rotate-secret"),
            &auth,
            None,
        )
        .await
        .json();
    assert!(rotated["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_ne!(rotated["secret"], first["secret"]);
    let patched = app
        .call(Method::PATCH, &format!("/webhooks/{id}"), &auth, Some(json!({"eventTypes": ["booking_cancelled", "booking_rescheduled"], "enabled": false})))
        .await
        .json();
    assert_eq!(
        patched["eventTypes"],
        json!(["booking_cancelled", "booking_rescheduled"])
    );
    assert_eq!(patched["enabled"], false);
    assert_eq!(patched["disabledReason"], "disabled by a user");
    app.call(Method::DELETE, &format!("/webhooks/{id}"), &auth, None)
        .await
        .assert_status(200);
    app.call(
        Method::PATCH,
        &format!("/webhooks/{id}"),
        &auth,
        Some(json!({})),
    )
    .await
    .assert_status(404);

    let bad = app
        .call(
            Method::POST,
            "/webhooks",
            &auth,
            Some(json!({"endpoint": "http://receiver.test/hook", "eventTypes": ["booking_moved"]})),
        )
        .await;
    bad.assert_status(400);
    assert_eq!(
        bad.error_fields(),
        ["endpoint", "eventTypes[0]"],
        "plain http to a public host and an unknown event are both refused"
    );
    // A member cannot manage the company's webhooks.
    app.get("/webhooks", &c.member.auth())
        .await
        .assert_status(403);
}

/// Internal targets are refused at creation, without opening any connection: IP literals need
/// none, and names go through the test's resolver.
async fn internal_targets_are_refused(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    app.lookup
        .set("loopback.test", vec!["127.0.0.1".parse().unwrap()]);
    for endpoint in [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "https://loopback.test/hook",
        "https://[::ffff:127.0.0.1]/hook",
    ] {
        let r = app
            .call(
                Method::POST,
                "/webhooks",
                &c.admin.auth(),
                Some(json!({"endpoint": endpoint, "eventTypes": ["booking_created"]})),
            )
            .await;
        r.assert_status(400);
        let message = r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.contains("internal address"),
            "{endpoint}: {message}"
        );
    }
}

/// DNS can change after creation: the guard runs again at delivery, before any connection.
async fn the_guard_runs_again_at_delivery(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    app.lookup
        .set("rebind.test", vec!["93.184.216.34".parse().unwrap()]);
    let hook = subscribe(
        &app,
        &c,
        "https://rebind.test/hook",
        json!(["booking_created"]),
    )
    .await;
    // Before any event exists, the name starts pointing at loopback.
    app.lookup
        .set("rebind.test", vec!["127.0.0.1".parse().unwrap()]);
    let mt = default_meeting_type(&app, &c.member).await;
    app.call(
        Method::POST,
        "/v4/booking",
        &c.member.auth(),
        Some(booking(
            &mt,
            upcoming_weekday("Europe/Berlin", 3, 9, 0),
            "x@example.com",
        )),
    )
    .await
    .assert_status(201);
    let attempted = worker::deliver_due(&app.state, &worker::client(&app.state))
        .await
        .unwrap();
    assert_eq!(attempted, 1);
    let log = app
        .get(
            &format!("/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
            &c.admin.auth(),
        )
        .await
        .json();
    let error = log[0]["attemptLog"][0]["error"].as_str().unwrap();
    assert!(error.contains("internal address"), "{error}");
    assert_eq!(log[0]["attemptLog"][0]["statusCode"], Value::Null);
    assert_eq!(log[0]["status"], "pending", "it will be tried again later");
}

async fn every_event_reaches_a_real_receiver_signed(app: TestApp) {
    let app = lan_app(app, 1.0, 5).await;
    let c = app.company(Plan::Platform).await;
    let receiver = Receiver::start(0).await;
    let hook = subscribe(
        &app,
        &c,
        &receiver.url(),
        json!([
            "booking_created",
            "booking_cancelled",
            "booking_rescheduled",
            "new_employee"
        ]),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap();

    let mt = default_meeting_type(&app, &c.member).await;
    let nine = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let id = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(booking(&mt, nine, "guest@example.com")),
        )
        .await
        .json()["appointmentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let ten = nine + SignedDuration::from_hours(1);
    app.call(
        Method::POST,
        &format!("/v4/appointment/{id}/reschedule"),
        &c.member.auth(),
        Some(json!({"start": ten.to_string()})),
    )
    .await
    .assert_status(200);
    app.call(
        Method::POST,
        &format!("/v4/appointment/{id}/cancel"),
        &c.member.auth(),
        Some(json!({"reason": "ill"})),
    )
    .await
    .assert_status(200);
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    app.call(Method::POST, "/v4/user", &Auth::bearer(&key), Some(json!({"email": "new@example.com", "givenName": "New", "familyName": "Hire", "timezone": "UTC"})))
        .await
        .assert_status(201);

    worker::deliver_due(&app.state, &worker::client(&app.state))
        .await
        .unwrap();
    let got = receiver.wait_for(4, 10).await;
    assert!(
        got.iter().all(|d| d.verify(secret)),
        "every delivery carries a valid signature"
    );
    let by_type = |t: &str| {
        got.iter()
            .map(|d| d.json())
            .find(|b| b["webhookType"] == t)
            .unwrap_or_else(|| panic!("no {t}"))
    };
    let created = by_type("booking_created");
    assert_eq!(created["id"], id.as_str());
    assert_eq!(created["meetingType"]["slug"], "30min");
    assert_eq!(created["meetingType"]["meetingInfo"]["duration"], 30);
    assert_eq!(created["attendees"][0]["email"], "guest@example.com");
    assert_eq!(created["hostIds"], json!([c.member.user.id]));
    assert_eq!(created["companyId"], c.id.to_string());
    for field in [
        "start",
        "end",
        "isCancelled",
        "rescheduledAt",
        "hosts",
        "meetingTypeId",
        "createdAt",
        "updatedAt",
    ] {
        assert!(
            created.get(field).is_some(),
            "booking_created lacks {field}"
        );
    }
    let rescheduled = by_type("booking_rescheduled");
    assert_eq!(
        rescheduled["previousStart"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        nine
    );
    let cancelled = by_type("booking_cancelled");
    assert_eq!(cancelled["cancel"]["reason"], "ill");
    assert_eq!(cancelled["isCancelled"], true);
    assert_eq!(by_type("new_employee")["email"], "new@example.com");
    // A tampered body does not verify.
    let mut forged = got[0].clone();
    forged.body = axum::body::Bytes::from_static(b"{\"webhookType\":\"booking_created\"}");
    assert!(!forged.verify(secret));
}

async fn a_receiver_that_is_down_gets_everything_once_it_is_up(app: TestApp) {
    let app = lan_app(app, 0.0002, 5).await;
    let c = app.company(Plan::Platform).await;
    let receiver = Receiver::start(3).await;
    let hook = subscribe(&app, &c, &receiver.url(), json!(["booking_created"])).await;
    let mt = default_meeting_type(&app, &c.member).await;
    app.call(
        Method::POST,
        "/v4/booking",
        &c.member.auth(),
        Some(booking(
            &mt,
            upcoming_weekday("Europe/Berlin", 3, 9, 0),
            "x@example.com",
        )),
    )
    .await
    .assert_status(201);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker::run(app.state.clone(), stopped));
    // The service's clock moves a second every poll, so each retry falls due in turn.
    let clock = app.clock.clone();
    let ticker = tokio::spawn(async move {
        loop {
            clock.advance(jiff::SignedDuration::from_secs(1));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let got = receiver.wait_for(1, 20).await;
    ticker.abort();
    assert_eq!(got.len(), 1);
    let _ = stop.send(true);
    running.await.unwrap();
    let log = app
        .get(
            &format!("/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
            &c.admin.auth(),
        )
        .await
        .json();
    assert_eq!(log[0]["status"], "succeeded");
    let attempts = log[0]["attemptLog"].as_array().unwrap();
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    assert!(attempts[..3]
        .iter()
        .all(|a| a["statusCode"] == 503 && a["error"].is_string()));
    assert_eq!(attempts[3]["statusCode"], 204);
}

async fn an_endpoint_that_keeps_failing_is_disabled_and_can_be_retried(app: TestApp) {
    // 1e-5 of the schedule is under a second in all; one failed delivery disables.
    let app = lan_app(app, 0.00001, 1).await;
    let c = app.company(Plan::Platform).await;
    let receiver = Receiver::start(usize::MAX).await;
    let hook = subscribe(&app, &c, &receiver.url(), json!(["booking_created"])).await;
    let id = hook["id"].as_str().unwrap().to_owned();
    let mt = default_meeting_type(&app, &c.member).await;
    app.call(
        Method::POST,
        "/v4/booking",
        &c.member.auth(),
        Some(booking(
            &mt,
            upcoming_weekday("Europe/Berlin", 3, 9, 0),
            "x@example.com",
        )),
    )
    .await
    .assert_status(201);
    let client = worker::client(&app.state);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        worker::deliver_due(&app.state, &client).await.unwrap();
        let log = app
            .get(&format!("/webhooks/{id}/deliveries"), &c.admin.auth())
            .await
            .json();
        if log[0]["status"] == "failed" {
            assert_eq!(log[0]["attempts"], 8, "the first attempt and 7 retries");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still not failed: {log}"
        );
        // The next retry falls due: no waiting on the wall clock.
        app.clock.advance(jiff::SignedDuration::from_secs(1));
    }
    let hooks = app.get("/webhooks", &c.admin.auth()).await.json();
    assert_eq!(hooks[0]["enabled"], false);
    assert!(
        hooks[0]["disabledReason"]
            .as_str()
            .unwrap()
            .contains("endpoint answered 503"),
        "{hooks}"
    );

    // Fixed receiver, webhook re-enabled, failed delivery retried by hand: it arrives.
    let fixed = Receiver::start(0).await;
    app.call(
        Method::PATCH,
        &format!("/webhooks/{id}"),
        &c.admin.auth(),
        Some(json!({"endpoint": fixed.url(), "enabled": true})),
    )
    .await
    .assert_status(200);
    let log = app
        .get(&format!("/webhooks/{id}/deliveries"), &c.admin.auth())
        .await
        .json();
    let delivery = log[0]["id"].as_str().unwrap();
    let retried = app
        .call(
            Method::POST,
            &format!("/webhooks/{id}/deliveries/{delivery}/retry"),
            &c.admin.auth(),
            None,
        )
        .await;
    retried.assert_status(200);
    assert_eq!(retried.json()["status"], "pending");
    worker::deliver_due(&app.state, &client).await.unwrap();
    assert_eq!(fixed.wait_for(1, 10).await.len(), 1);
    assert!(receiver.requests() >= 8);
}

crate::backend_tests!(
    webhook_crud_limits_and_secrets,
    internal_targets_are_refused,
    the_guard_runs_again_at_delivery,
    every_event_reaches_a_real_receiver_signed,
    a_receiver_that_is_down_gets_everything_once_it_is_up,
    an_endpoint_that_keeps_failing_is_disabled_and_can_be_retried,
);
