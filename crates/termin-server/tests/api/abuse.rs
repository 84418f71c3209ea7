//! Limits that cannot be dodged: rate limits keyed on who the caller is, and a login throttle
//! that holds across nodes.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request};
use axum::Router;
use jiff::SignedDuration;
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;
use termin_server::config::RateLimitConfig;

use crate::helpers::{send, test_config, TestApp, TestResponse};

/// A request from `peer`, with extra headers.
async fn from(
    router: &Router,
    peer: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> TestResponse {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let peer: SocketAddr = peer.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    send(router, request).await
}

/// However a token is written (scheme case, padding), it is one credential with one bucket.
async fn a_credential_has_one_bucket_however_it_is_written(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mut config = test_config();
    config.rate_limit = RateLimitConfig {
        per_minute: 60,
        burst: 3,
    };
    let router = app.reconfigured(config);
    let pat = &c.member.pat;
    let spellings = [
        format!("Bearer {pat}"),
        format!("bearer {pat}"),
        format!("Bearer    {pat}   "),
        format!("Bearer {pat}\t"),
    ];
    let mut statuses = Vec::new();
    for (i, auth) in spellings.iter().enumerate() {
        let peer = format!("192.0.2.{}:4000", i + 1);
        let r = from(
            &router,
            &peer,
            Method::GET,
            "/v4/user/me",
            &[("authorization", auth)],
            None,
        )
        .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
}

/// Credentials that do not authenticate spend their network's failure budget, and then every
/// request from there presenting one is refused before any lookup. Other networks are not
/// affected, and requests without a credential keep their own budget.
async fn junk_credentials_share_their_networks_failure_budget(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mut config = test_config();
    config.auth_failure_limit = RateLimitConfig {
        per_minute: 1,
        burst: 5,
    };
    let router = app.reconfigured(config);
    let mut statuses = Vec::new();
    for i in 0..7 {
        // A fresh, random-looking header every time, as an attacker would send.
        let junk = format!("Bearer rgo-{i}xQ7pLm{}", "Z".repeat(i));
        let r = from(
            &router,
            "198.51.100.7:1000",
            Method::GET,
            "/v4/user/me",
            &[("authorization", &junk)],
            None,
        )
        .await;
        statuses.push(r.status.as_u16());
        if r.status == 429 {
            assert_eq!(
                r.json()["message"],
                "Too many requests with credentials that did not authenticate"
            );
            assert!(r.headers.contains_key(header::RETRY_AFTER));
        }
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    // Junk on a route that never reads a credential counts too.
    let r = from(
        &router,
        "198.51.100.8:1000",
        Method::POST,
        "/auth/login",
        &[("authorization", "Bearer junk")],
        Some(json!({"email": "nobody@example.com", "password": "wrong password"})),
    )
    .await;
    r.assert_status(401);
    // Another network has its own budget; a good token from there works.
    let good = format!("Bearer {}", c.member.pat);
    from(
        &router,
        "203.0.113.1:1000",
        Method::GET,
        "/v4/user/me",
        &[("authorization", &good)],
        None,
    )
    .await
    .assert_status(200);
    // An IPv6 client cannot escape by changing addresses inside its /64.
    for peer in [
        "[2001:db8:1:2::1]:1",
        "[2001:db8:1:2::2]:1",
        "[2001:db8:1:2:ffff::3]:1",
        "[2001:db8:1:2::4]:1",
        "[2001:db8:1:2::5]:1",
    ] {
        from(
            &router,
            peer,
            Method::GET,
            "/v4/user/me",
            &[("authorization", "Bearer nope")],
            None,
        )
        .await
        .assert_status(401);
    }
    let r = from(
        &router,
        "[2001:db8:1:2:1234::9]:1",
        Method::GET,
        "/v4/user/me",
        &[("authorization", "Bearer nope")],
        None,
    )
    .await;
    r.assert_status(429);
}

/// `X-Forwarded-For` names the client only when the peer is a configured proxy.
async fn forwarded_headers_count_only_from_trusted_proxies(app: TestApp) {
    let mut config = test_config();
    config.auth_failure_limit = RateLimitConfig {
        per_minute: 1,
        burst: 2,
    };
    config.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    let router = app.reconfigured(config);
    let junk = |router: &Router, peer: &'static str, client: &'static str| {
        let router = router.clone();
        async move {
            from(
                &router,
                peer,
                Method::GET,
                "/v4/user/me",
                &[
                    ("authorization", "Bearer junk"),
                    ("x-forwarded-for", client),
                ],
                None,
            )
            .await
            .status
            .as_u16()
        }
    };
    // Behind the proxy: per forwarded client.
    let mut a = Vec::new();
    for _ in 0..3 {
        a.push(junk(&router, "10.0.0.1:1", "203.0.113.5").await);
    }
    assert_eq!(a, [401, 401, 429]);
    assert_eq!(junk(&router, "10.0.0.1:1", "203.0.113.6").await, 401);
    // What the client wrote left of what the proxy appended does not count.
    assert_eq!(
        junk(&router, "10.0.0.1:1", "6.6.6.6, 203.0.113.5").await,
        429
    );
    // Not from a proxy: the header is ignored, and the peer is the client whatever it claims.
    let mut b = Vec::new();
    for claimed in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
        b.push(junk(&router, "198.51.100.20:1", claimed).await);
    }
    assert_eq!(b, [401, 401, 429]);
}

/// Wrong passwords are counted per account and per network, in the database: past five free
/// failures the account is blocked for growing times, on every node, and even the right
/// password waits. A success forgets the account's failures.
async fn failed_logins_are_throttled_across_nodes(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let email = c.member.user.email.clone();
    let nodes = [
        app.reconfigured(test_config()),
        app.reconfigured(test_config()),
    ];
    let login = |node: usize, password: &str, peer: &str| {
        let router = nodes[node].clone();
        let body = json!({"email": email.to_uppercase(), "password": password});
        let peer = peer.to_owned();
        async move { from(&router, &peer, Method::POST, "/auth/login", &[], Some(body)).await }
    };
    for i in 0..5 {
        // Alternating nodes and addresses: the account's count is one.
        let peer = format!("192.0.2.{}:1", 10 + i);
        login(i % 2, "wrong password", &peer)
            .await
            .assert_status(401);
    }
    // The sixth failure blocks the account for 2 s...
    login(1, "wrong password", "192.0.2.30:1")
        .await
        .assert_status(401);
    // ... so that even the right password, on the other node, waits.
    let r = login(0, "correct horse battery", "192.0.2.31:1").await;
    r.assert_status(429);
    assert_eq!(
        r.json()["message"],
        "Too many failed logins; try again in 2 seconds"
    );
    assert_eq!(r.headers[header::RETRY_AFTER], "2");
    app.clock.advance(SignedDuration::from_secs(3));
    // The seventh failure doubles the block.
    login(0, "wrong password", "192.0.2.32:1")
        .await
        .assert_status(401);
    let r = login(1, "correct horse battery", "192.0.2.33:1").await;
    r.assert_status(429);
    assert_eq!(r.headers[header::RETRY_AFTER], "4");
    app.clock.advance(SignedDuration::from_secs(5));
    login(1, "correct horse battery", "192.0.2.33:1")
        .await
        .assert_status(200);
    // The success forgot the account's failures: five more are free again.
    for _ in 0..5 {
        login(0, "wrong password", "192.0.2.34:1")
            .await
            .assert_status(401);
    }
    login(0, "correct horse battery", "192.0.2.34:1")
        .await
        .assert_status(200);

    // One network guessing many accounts (one guess each) is blocked after twenty failures.
    let router = nodes[1].clone();
    for i in 0..21 {
        let body = json!({"email": format!("guess{i}@example.com"), "password": "wrong password"});
        from(
            &router,
            "198.51.100.50:1",
            Method::POST,
            "/auth/login",
            &[],
            Some(body),
        )
        .await
        .assert_status(401);
    }
    let other = c.admin.user.email.clone();
    let r = from(
        &nodes[0],
        "198.51.100.50:2",
        Method::POST,
        "/auth/login",
        &[],
        Some(json!({"email": other, "password": "correct horse battery"})),
    )
    .await;
    r.assert_status(429);
    // A quiet hour later, the next failure prunes every row that no longer counts.
    let rows = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let mut conn = db.conn().await.unwrap();
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM login_throttle")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
        }
    };
    assert!(rows(&app).await > 20);
    app.clock.advance(SignedDuration::from_hours(2));
    from(
        &nodes[0],
        "198.51.100.60:1",
        Method::POST,
        "/auth/login",
        &[],
        Some(json!({"email": "late@example.com", "password": "wrong password"})),
    )
    .await
    .assert_status(401);
    assert_eq!(
        rows(&app).await,
        2,
        "only the new failure's account and network"
    );
    // From elsewhere the account itself is fine.
    from(
        &nodes[0],
        "198.51.100.51:2",
        Method::POST,
        "/auth/login",
        &[],
        Some(json!({"email": other, "password": "correct horse battery"})),
    )
    .await
    .assert_status(200);
}

/// Login finds an account by the address as typed (trimmed, in any case), not by today's rules
/// for new addresses: an account stored under older, looser rules (a non-ASCII domain) still
/// logs in, and a trailing space from a password manager is not a failure.
async fn logins_find_accounts_stored_under_older_rules(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mut conn = app.db.conn().await.unwrap();
    sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
        .bind("anna@müller.de")
        .bind(c.member.user.id.to_string())
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    for typed in ["anna@müller.de", "  Anna@MÜLLER.de "] {
        let r = app
            .send(crate::helpers::build(
                Method::POST,
                "/auth/login",
                &crate::helpers::Auth::None,
                Some(json!({"email": typed, "password": "correct horse battery"})),
            ))
            .await;
        r.assert_status(200);
    }
    // Bounded before anything is looked up or hashed.
    let r = app
        .send(crate::helpers::build(
            Method::POST,
            "/auth/login",
            &crate::helpers::Auth::None,
            Some(json!({"email": "anna@müller.de", "password": "p".repeat(1025)})),
        ))
        .await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["password"]);
}

crate::backend_tests!(
    a_credential_has_one_bucket_however_it_is_written,
    junk_credentials_share_their_networks_failure_budget,
    forwarded_headers_count_only_from_trusted_proxies,
    failed_logins_are_throttled_across_nodes,
    logins_find_accounts_stored_under_older_rules,
);
