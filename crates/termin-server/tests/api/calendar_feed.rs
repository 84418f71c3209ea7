//! The outgoing calendar feed: a secret iCalendar URL of a user's appointments that parses with
//! the `icalendar` crate and lists exactly that user's appointments, cancelled ones marked;
//! 304 for a client polling with the entity tag; regenerate and revoke end the old address.

use axum::body::Body;
use axum::http::{header, Method, Request};
use termin_domain::tenancy::Plan;

use crate::helpers::TestApp;
use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest[rest.find('/').unwrap()..].to_owned()
}

async fn fetch(app: &TestApp, path: &str, etag: Option<&str>) -> crate::helpers::TestResponse {
    let mut req = Request::builder().method(Method::GET).uri(path);
    if let Some(tag) = etag {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

/// The events of a calendar: (UID, STATUS).
fn events(text: &str) -> Vec<(String, String)> {
    use icalendar::{Calendar, CalendarComponent, Component};
    let cal: Calendar = text
        .parse()
        .unwrap_or_else(|e| panic!("a valid .ics ({e}): {text}"));
    cal.components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some((
                e.property_value("UID").unwrap_or_default().to_owned(),
                e.property_value("STATUS").unwrap_or_default().to_owned(),
            )),
            _ => None,
        })
        .collect()
}

async fn the_feed_lists_exactly_the_users_appointments(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let kept = book(
        &app,
        &c.member.auth(),
        booking(
            &mt,
            upcoming_weekday("Europe/Berlin", 2, 10, 0),
            "a@example.com",
        ),
    )
    .await;
    let gone = book(
        &app,
        &c.member.auth(),
        booking(
            &mt,
            upcoming_weekday("Europe/Berlin", 2, 11, 0),
            "b@example.com",
        ),
    )
    .await;
    app.call(
        Method::POST,
        &format!("/v4/appointment/{gone}/cancel"),
        &c.member.auth(),
        Some(serde_json::json!({"reason": "ill"})),
    )
    .await
    .assert_status(200);
    let other_mt = default_meeting_type(&app, &c.admin).await;
    book(
        &app,
        &c.admin.auth(),
        booking(
            &other_mt,
            upcoming_weekday("Europe/Berlin", 2, 12, 0),
            "c@example.com",
        ),
    )
    .await;

    let feed = app.get("/v4/calendar-feed", &c.member.auth()).await;
    feed.assert_status(200);
    let url = feed.json()["url"].as_str().unwrap().to_owned();
    assert!(url.contains("/feeds/") && url.ends_with(".ics"), "{url}");
    // The same address each time it is asked for.
    assert_eq!(
        app.get("/v4/calendar-feed", &c.member.auth()).await.json()["url"],
        url.as_str()
    );
    let path = path_of(&url);
    let r = fetch(&app, &path, None).await;
    r.assert_status(200);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let mut found = events(&r.text);
    found.sort();
    let mut expected = vec![
        (format!("{kept}@termin"), "CONFIRMED".to_owned()),
        (format!("{gone}@termin"), "CANCELLED".to_owned()),
    ];
    expected.sort();
    assert_eq!(found, expected, "exactly the member's appointments");
    // A polling client that has the current calendar gets 304.
    let etag = r.headers[header::ETAG].to_str().unwrap().to_owned();
    fetch(&app, &path, Some(&etag)).await.assert_status(304);
    // Compared weakly, among several tags, as a proxy may have rewritten it.
    let strong = etag.trim_start_matches("W/").to_owned();
    fetch(&app, &path, Some(&format!("\"other\", {strong}")))
        .await
        .assert_status(304);
    // A change makes a new calendar.
    app.call(
        Method::POST,
        &format!("/v4/appointment/{kept}/cancel"),
        &c.member.auth(),
        Some(serde_json::json!({})),
    )
    .await
    .assert_status(200);
    fetch(&app, &path, Some(&etag)).await.assert_status(200);

    // The address is kept sealed: the database holds neither the token nor the URL.
    let token = path
        .trim_start_matches("/feeds/")
        .trim_end_matches(".ics")
        .to_owned();
    let mut conn = app.state.service.db.conn().await.unwrap();
    let stored = termin_storage::calendar_feeds::of_user(&mut conn, c.member.user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.token_sealed.contains(&token));
    drop(conn);

    // Regenerate: the old address stops working, the new one works.
    let fresh = app
        .call(
            Method::POST,
            "/v4/calendar-feed/regenerate",
            &c.member.auth(),
            None,
        )
        .await;
    fresh.assert_status(200);
    let fresh_path = path_of(fresh.json()["url"].as_str().unwrap());
    assert_ne!(fresh_path, path);
    fetch(&app, &path, None).await.assert_status(404);
    fetch(&app, &fresh_path, None).await.assert_status(200);
    // Revoke: gone; asking again makes another.
    app.call(Method::DELETE, "/v4/calendar-feed", &c.member.auth(), None)
        .await
        .assert_status(204);
    fetch(&app, &fresh_path, None).await.assert_status(404);
    let third = path_of(
        app.get("/v4/calendar-feed", &c.member.auth()).await.json()["url"]
            .as_str()
            .unwrap(),
    );
    assert_ne!(third, fresh_path);
    fetch(&app, &third, None).await.assert_status(200);
    // A deactivated user's feed answers 404.
    termin_service::users::set_deactivated(&app.state.service, c.member.user.id, true)
        .await
        .unwrap();
    fetch(&app, &third, None).await.assert_status(404);
    fetch(&app, "/feeds/not-a-token.ics", None)
        .await
        .assert_status(404);
    fetch(&app, "/feeds/whatever", None)
        .await
        .assert_status(404);
}

/// A feed sealed under another key (the key was rotated) is replaced when asked for.
async fn a_feed_sealed_under_an_old_key_is_replaced(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let old = app.get("/v4/calendar-feed", &c.member.auth()).await.json()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = app
        .state
        .service
        .clone()
        .with_secrets(termin_service::secrets::SecretBox::ephemeral());
    let principal = termin_domain::principal::Principal {
        user_id: c.member.user.id,
        company_id: c.id,
        role: c.member.user.role,
        credential: termin_domain::principal::Credential::Session {
            id: termin_domain::SessionId::new(),
        },
    };
    let new = termin_service::calendar_feed::get(&rotated, &principal)
        .await
        .unwrap();
    assert_ne!(new.url, old);
    fetch(&app, &path_of(&old), None).await.assert_status(404);
}

/// The first start records the key; a start with another key is refused unless it says the key
/// was replaced on purpose.
async fn a_start_with_another_secrets_key_is_refused(app: TestApp) {
    use termin_service::secrets::{check_key, SecretBox};
    let svc = &app.state.service;
    assert!(
        check_key(svc, false).await.unwrap(),
        "the first start records its key"
    );
    assert!(
        check_key(svc, false).await.unwrap(),
        "and starts again with it"
    );
    let other = svc.clone().with_secrets(SecretBox::ephemeral());
    assert!(
        !check_key(&other, false).await.unwrap(),
        "another key is refused"
    );
    assert!(
        check_key(&other, true).await.unwrap(),
        "unless replaced on purpose"
    );
    assert!(
        !check_key(svc, false).await.unwrap(),
        "then the old key is the wrong one"
    );
}

crate::backend_tests!(
    a_start_with_another_secrets_key_is_refused,
    the_feed_lists_exactly_the_users_appointments,
    a_feed_sealed_under_an_old_key_is_replaced,
);
