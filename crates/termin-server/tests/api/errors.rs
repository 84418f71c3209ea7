//! Bad input gets a clear 4xx in the contract's body shape, never a 500.

use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::json;
use termin_domain::tenancy::Plan;
use termin_server::config::RateLimitConfig;

use crate::helpers::{build, send, test_config, Auth, TestApp};

async fn bad_bodies_get_clear_errors(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let auth = format!("Bearer {key}");
    let raw = |content_type: &str, body: Body| {
        Request::builder()
            .method(Method::POST)
            .uri("/v4/user")
            .header(header::AUTHORIZATION, &auth)
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .unwrap()
    };

    let r = app
        .send(raw("application/json", Body::from("{\"email\": ")))
        .await;
    r.assert_status(400);
    assert!(r.error_message().starts_with("Malformed JSON"));

    let r = app.send(raw("text/plain", Body::from("{}"))).await;
    r.assert_status(415);
    r.error_message();

    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let r = app.send(raw("application/json", Body::from(big))).await;
    r.assert_status(413);
    r.error_message();

    let r = app
        .send(raw("application/json", Body::from("{\"email\": 42}")))
        .await;
    r.assert_status(400);
    assert_eq!(r.json()["errors"][0]["field"], "email");

    // Every bad field is named at once.
    let r = app
        .call(
            Method::POST,
            "/v4/user",
            &Auth::bearer(&key),
            Some(json!({"email": "not-an-email", "givenName": "", "timezone": "Mars/Base", "role": "king"})),
        )
        .await;
    r.assert_status(400);
    // The message names each bad field with what is wrong, so a client showing only it helps.
    let message = r.error_message();
    for field in ["email: ", "givenName: ", "timezone: ", "role: "] {
        assert!(message.contains(field), "{message}");
    }
    let mut fields = r.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["email", "familyName", "givenName", "role", "timezone"]
    );
}

async fn bad_paths_and_routes_get_clear_errors(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let r = app
        .call(
            Method::DELETE,
            "/v4/user/not-a-uuid",
            &Auth::bearer(&key),
            None,
        )
        .await;
    r.assert_status(400);
    r.error_message();
    let r = app.get("/v4/nothing-here", &Auth::None).await;
    r.assert_status(404);
    r.error_message();
    let r = app
        .call(Method::PUT, "/v4/user/me", &c.member.auth(), None)
        .await;
    r.assert_status(405);
    r.error_message();
    let r = app
        .get("/v4/user/me", &Auth::RawHeader("Basic abc".into()))
        .await;
    r.assert_status(401);
    r.error_message();
}

async fn rate_limits_answer_429_with_headers(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mut config = test_config();
    config.rate_limit = RateLimitConfig {
        per_minute: 60,
        burst: 3,
    };
    let router = app.reconfigured(config);
    for remaining in [2, 1, 0] {
        let r = send(
            &router,
            build(Method::GET, "/v4/user/me", &c.member.auth(), None),
        )
        .await;
        r.assert_status(200);
        assert_eq!(r.headers["ratelimit-limit"], "3");
        assert_eq!(
            r.headers["ratelimit-remaining"],
            remaining.to_string().as_str()
        );
        assert!(r.headers.contains_key("ratelimit-reset"));
    }
    let r = send(
        &router,
        build(Method::GET, "/v4/user/me", &c.member.auth(), None),
    )
    .await;
    r.assert_status(429);
    assert_eq!(
        r.json(),
        json!({"statusCode": 429, "message": "Too Many Requests", "error": "Too Many Requests"})
    );
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    // Another credential has its own budget.
    send(
        &router,
        build(Method::GET, "/v4/user/me", &c.admin.auth(), None),
    )
    .await
    .assert_status(200);
}

/// A request that outlives the configured limit is answered 408 in the contract's shape, with
/// its request id. The test holds the host's write lock, so a booking has to wait.
async fn slow_requests_are_answered_408(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = crate::scheduling::default_meeting_type(&app, &c.member).await;
    let start = crate::scheduling::upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let mut config = test_config();
    config.request_timeout = std::time::Duration::from_millis(200);
    let router = app.reconfigured(config);
    let mut held = app.db.begin_write().await.unwrap();
    termin_storage::lock_users(&mut held, app.db.backend(), &[c.member.user.id])
        .await
        .unwrap();
    let body = crate::scheduling::booking(&mt, start, "slow@example.com");
    let r = send(
        &router,
        build(Method::POST, "/v4/booking", &c.member.auth(), Some(body)),
    )
    .await;
    r.assert_status(408);
    assert_eq!(r.json()["statusCode"], 408);
    assert_eq!(r.error_message(), "The request took too long");
    assert!(r.headers.contains_key("x-request-id"));
    drop(held);
}

/// Every answer carries a request id (the client's, or a new one each time); answers are
/// compressed for clients that ask, and only for them.
async fn answers_carry_ids_and_compress_when_asked(app: TestApp) {
    let get = |headers: &[(&str, &str)]| {
        let mut request = Request::builder().method(Method::GET).uri("/openapi.json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let router = app.router.clone();
        let request = request.body(Body::empty()).unwrap();
        async move { send(&router, request).await }
    };
    let (a, b) = (get(&[]).await, get(&[]).await);
    let id =
        |r: &crate::helpers::TestResponse| r.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id(&a), id(&b));
    assert!(a.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(a.json()["paths"].is_object());
    let mine = get(&[("x-request-id", "trace-42")]).await;
    assert_eq!(id(&mine), "trace-42");
    let gz = get(&[("accept-encoding", "gzip")]).await;
    gz.assert_status(200);
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    // `/health` is answered before all of this (load balancers ask it every few seconds), with
    // or without a trailing slash.
    for path in ["/health", "/health/"] {
        let r = send(
            &app.router,
            Request::builder().uri(path).body(Body::empty()).unwrap(),
        )
        .await;
        r.assert_status(200);
        assert_eq!(r.json()["status"], "ok");
    }
    // gzip's magic number (its second byte is not UTF-8, and reads as U+FFFD here).
    assert!(gz.text.starts_with("\u{1f}\u{fffd}"), "{:?}", &gz.text[..8]);
}

/// One text policy and one JSON reading on both backends: U+0000 is refused naming the field
/// (body, key or query), trailing data after the document is refused, and integers may be
/// written with a zero fraction.
async fn strict_input_is_the_same_on_both_backends(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let raw = |method: Method, path: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", c.member.pat))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let nul = send(
        &app.router,
        raw(Method::POST, "/v4/availability", r#"{"name": "a\u0000b"}"#),
    )
    .await;
    nul.assert_status(400);
    assert_eq!(nul.json()["errors"][0]["field"], "name", "{}", nul.text);
    assert_eq!(
        nul.json()["errors"][0]["message"],
        "must not contain the character U+0000"
    );
    let deep = send(&app.router, raw(Method::POST, "/v4/availability",
        r#"{"name": "ok", "exceptions": [{"date": "2030-01-01", "type": "blocked", "note\u0000": 1}]}"#)).await;
    deep.assert_status(400);
    assert_eq!(
        deep.json()["errors"][0]["field"],
        "exceptions[0].note\\u0000",
        "{}",
        deep.text
    );
    // An escaped backslash before "u0000" is no U+0000.
    send(
        &app.router,
        raw(
            Method::POST,
            "/v4/availability",
            r#"{"name": "C:\\u0000dir"}"#,
        ),
    )
    .await
    .assert_status(201);
    let query = app
        .get("/v4/appointment/paginated?search=a%00b", &auth)
        .await;
    query.assert_status(400);
    assert_eq!(query.json()["errors"][0]["field"], "search");
    app.get("/v4/contacts/%00", &auth).await.assert_status(400);

    let trailing = send(
        &app.router,
        raw(
            Method::POST,
            "/v4/availability",
            r#"{"name": "x"} {"name": "y"}"#,
        ),
    )
    .await;
    trailing.assert_status(400);
    assert!(
        trailing
            .error_message()
            .starts_with("Malformed JSON: trailing characters"),
        "{}",
        trailing.text
    );
    send(
        &app.router,
        raw(Method::POST, "/v4/availability", "{\"name\": \"x\"} \n\t"),
    )
    .await
    .assert_status(201);

    // Time zones are canonical IANA names; a case slip is told the right spelling.
    for (zone, message) in [
        (
            "europe/berlin",
            "must be written as the IANA time zone name Europe/Berlin",
        ),
        (
            "localtime",
            "must be an IANA time zone name such as Europe/Berlin",
        ),
        (
            "Factory",
            "must be an IANA time zone name such as Europe/Berlin",
        ),
    ] {
        let r = app
            .call(
                Method::POST,
                "/v4/availability",
                &auth,
                Some(json!({"name": "z", "timezone": zone})),
            )
            .await;
        r.assert_status(400);
        assert_eq!(r.json()["errors"][0]["field"], "timezone");
        assert_eq!(r.json()["errors"][0]["message"], message);
    }

    // Messages say what happened: a session naming another user is told about sessions, and
    // an instant past year 9999 is RFC 3339 all the same.
    let session = app.session(&c.member.user).await;
    let crate::helpers::Auth::Session { cookie, .. } = &session else {
        unreachable!()
    };
    let r = send(
        &app.router,
        Request::builder()
            .uri("/v4/user/me")
            .header(header::COOKIE, format!("termin_session={cookie}"))
            .header("x-meetergo-api-user-id", c.admin.user.id.to_string())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    r.assert_status(403);
    assert!(
        r.error_message()
            .starts_with("A dashboard session acts as its logged-in user"),
        "{}",
        r.text
    );
    let mut late = crate::scheduling::booking(
        &crate::scheduling::default_meeting_type(&app, &c.member).await,
        crate::scheduling::upcoming_weekday("Europe/Berlin", 3, 10, 0),
        "late@example.com",
    );
    late["start"] = json!("9999-12-31T23:59:59Z");
    let r = app
        .call(Method::POST, "/v4/booking", &auth, Some(late))
        .await;
    r.assert_status(400);
    assert_eq!(
        r.json()["errors"][0]["message"],
        "is out of range: instants must be before 9999-01-01",
        "{}",
        r.text
    );

    // Fields once bounded only by the 1 MiB body limit.
    let long_endpoint = format!("https://receiver.test/{}", "a".repeat(2100));
    let r = app
        .call(
            Method::POST,
            "/webhooks",
            &c.admin.auth(),
            Some(json!({"endpoint": long_endpoint, "eventTypes": ["booking_created"]})),
        )
        .await;
    r.assert_status(400);
    assert_eq!(r.json()["errors"][0]["field"], "endpoint");
    let r = app
        .call(Method::POST, "/v4/meeting-type", &auth,
            Some(json!({"meetingInfo": {"name": "Far", "duration": 30}, "locations": [{"address": "x".repeat(3000)}]})))
        .await;
    r.assert_status(400);
    assert_eq!(r.json()["errors"][0]["field"], "locations[0]", "{}", r.text);
    let mt = crate::scheduling::default_meeting_type(&app, &c.member).await;
    let mut big = crate::scheduling::booking(
        &mt,
        crate::scheduling::upcoming_weekday("Europe/Berlin", 3, 10, 0),
        "n@example.com",
    );
    big["attendee"]["notes"] = json!({"answer": "y".repeat(20_000)});
    let r = app
        .call(Method::POST, "/v4/booking", &auth, Some(big))
        .await;
    r.assert_status(400);
    assert_eq!(
        r.json()["errors"][0]["field"],
        "attendee.notes",
        "{}",
        r.text
    );

    let integral = send(
        &app.router,
        raw(
            Method::POST,
            "/v4/meeting-type",
            r#"{"meetingInfo": {"name": "Float", "duration": 30.0}}"#,
        ),
    )
    .await;
    integral.assert_status(201);
    assert_eq!(integral.json()["meetingInfo"]["duration"], 30);
    let fractional = send(
        &app.router,
        raw(
            Method::POST,
            "/v4/meeting-type",
            r#"{"meetingInfo": {"name": "Float", "duration": 30.5}}"#,
        ),
    )
    .await;
    fractional.assert_status(400);
    assert_eq!(
        fractional.json()["errors"][0]["field"],
        "meetingInfo.duration",
        "{}",
        fractional.text
    );
}

crate::backend_tests!(
    slow_requests_are_answered_408,
    bad_bodies_get_clear_errors,
    bad_paths_and_routes_get_clear_errors,
    rate_limits_answer_429_with_headers,
    answers_carry_ids_and_compress_when_asked,
    strict_input_is_the_same_on_both_backends,
);
