//! The credential model of the seed: who a token acts as, when it stops working, and what it can
//! never do.

use axum::http::{header, Method};
use serde_json::json;
use termin_domain::credential::{ScopeGroup, Scopes};
use termin_domain::tenancy::{Plan, Role};
use termin_service::{companies, credentials, users};

use crate::helpers::{Auth, TestApp};

async fn login(app: &TestApp, email: &str, password: &str) -> Auth {
    let r = app
        .call(
            Method::POST,
            "/auth/login",
            &Auth::None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    r.assert_status(200);
    let cookie = r.headers[header::SET_COOKIE].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(
            cookie.contains(attribute),
            "cookie lacks {attribute}: {cookie}"
        );
    }
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("termin_session=")
        .unwrap();
    Auth::Session {
        cookie: value.to_owned(),
        csrf: Some(r.json()["csrfToken"].as_str().unwrap().to_owned()),
    }
}

async fn pat_lifecycle_from_the_dashboard(app: TestApp) {
    let c = app.company(Plan::Essentials).await;
    let session = login(&app, &c.member.user.email, "correct horse battery").await;

    let created = app
        .call(
            Method::POST,
            "/auth/tokens",
            &session,
            Some(json!({"name": "zapier", "expiresInDays": 30})),
        )
        .await;
    created.assert_status(201);
    let body = created.json();
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("rgo-"));
    let id = body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["token"]["state"], "active");
    assert!(body["token"]["expiresAt"].is_string());

    // The token acts as its owner...
    let me = app.get("/v4/user/me", &Auth::bearer(&secret)).await;
    me.assert_status(200);
    assert_eq!(me.json()["id"], c.member.user.id.to_string());

    // ...its use is recorded, and the list shows a prefix but never the secret.
    let list = app.get("/auth/tokens", &session).await;
    list.assert_status(200);
    assert!(
        !list.text.contains(&secret),
        "a list must never contain a secret"
    );
    let listed = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert!(listed["lastUsedAt"].is_string(), "{listed}");
    assert!(secret.starts_with(listed["prefix"].as_str().unwrap().trim_end_matches('…')));
    for field in [
        "name",
        "prefix",
        "createdAt",
        "expiresAt",
        "lastUsedAt",
        "state",
    ] {
        assert!(listed.get(field).is_some(), "list lacks {field}");
    }

    // Revoked: the very next request fails, and says why.
    app.call(
        Method::DELETE,
        &format!("/auth/tokens/{id}"),
        &session,
        None,
    )
    .await
    .assert_status(200);
    let after = app.get("/v4/user/me", &Auth::bearer(&secret)).await;
    after.assert_status(401);
    assert_eq!(
        after.error_message(),
        "Personal access token has been revoked"
    );

    // Another user's token cannot be revoked from this session.
    let other = app.pat(&c.admin.user, Scopes::unlimited(), None).await;
    let other_id = credentials::list_pats(&app.state.service, c.admin.user.id)
        .await
        .unwrap()[0]
        .id;
    app.call(
        Method::DELETE,
        &format!("/auth/tokens/{other_id}"),
        &session,
        None,
    )
    .await
    .assert_status(404);
    app.get("/v4/user/me", &Auth::bearer(&other))
        .await
        .assert_status(200);
}

async fn a_pat_stops_at_expiry_removal_deactivation_and_plan_change(app: TestApp) {
    let c = app.company(Plan::Essentials).await;
    let soon = app.clock.clock().now() + jiff::SignedDuration::from_millis(1500);
    let expiring = app
        .pat(&c.member.user, Scopes::unlimited(), Some(soon))
        .await;
    app.get("/v4/user/me", &Auth::bearer(&expiring))
        .await
        .assert_status(200);
    app.clock.advance(jiff::SignedDuration::from_millis(1600));
    let r = app.get("/v4/user/me", &Auth::bearer(&expiring)).await;
    r.assert_status(401);
    assert_eq!(r.error_message(), "Personal access token has expired");

    users::set_deactivated(&app.state.service, c.member.user.id, true)
        .await
        .unwrap();
    let r = app.get("/v4/user/me", &c.member.auth()).await;
    r.assert_status(401);
    assert_eq!(r.error_message(), "The token's owner has been deactivated");
    users::set_deactivated(&app.state.service, c.member.user.id, false)
        .await
        .unwrap();
    app.get("/v4/user/me", &c.member.auth())
        .await
        .assert_status(200);

    users::remove_user(&app.state.service, c.id, c.member.user.id)
        .await
        .unwrap();
    let r = app.get("/v4/user/me", &c.member.auth()).await;
    r.assert_status(401);
    assert!(r.error_message().contains("no longer a member"));

    companies::set_plan(&app.state.service, c.id, Plan::Free)
        .await
        .unwrap();
    let r = app.get("/v4/user/me", &c.admin.auth()).await;
    r.assert_status(401);
    assert!(r.error_message().contains("Essentials plan"), "{}", r.text);
    companies::set_plan(&app.state.service, c.id, Plan::Growth)
        .await
        .unwrap();
    app.get("/v4/user/me", &c.admin.auth())
        .await
        .assert_status(200);
}

async fn api_keys_need_their_plan_and_obey_their_lifecycle(app: TestApp) {
    let c = app.company(Plan::Enterprise).await;
    let session = app.session(&c.admin.user).await;
    for days in [0, 91] {
        let r = app
            .call(
                Method::POST,
                "/auth/api-keys",
                &session,
                Some(json!({"name": "k", "expiresInDays": days})),
            )
            .await;
        r.assert_status(400);
        assert_eq!(r.json()["errors"][0]["field"], "expiresInDays");
    }
    let r = app
        .call(
            Method::POST,
            "/auth/api-keys",
            &session,
            Some(json!({"name": "k"})),
        )
        .await;
    r.assert_status(400);

    let created = app
        .call(
            Method::POST,
            "/auth/api-keys",
            &session,
            Some(json!({"name": "platform", "expiresInDays": 90})),
        )
        .await;
    created.assert_status(201);
    let key = created.json()["secret"].as_str().unwrap().to_owned();
    let id = created.json()["apiKey"]["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&format!("ak_live:{id}:")));

    let as_member = Auth::acting(&key, c.member.user.id);
    let me = app.get("/v4/user/me", &as_member).await;
    me.assert_status(200);
    assert_eq!(me.json()["id"], c.member.user.id.to_string());
    // Without the header, owner-fallback routes act as the owner...
    assert_eq!(
        app.get("/v4/user/me", &Auth::bearer(&key)).await.json()["id"],
        c.owner.user.id.to_string()
    );

    // ...deactivated keys stop, reactivated ones work again, revoked ones never.
    let path = |action: &str| format!("/auth/api-keys/{id}/{action}");
    app.call(Method::POST, &path("deactivate"), &session, None)
        .await
        .assert_status(200);
    let r = app.get("/v4/user/me", &as_member).await;
    r.assert_status(401);
    assert_eq!(r.error_message(), "API key has been deactivated");
    app.call(Method::POST, &path("reactivate"), &session, None)
        .await
        .assert_status(200);
    app.get("/v4/user/me", &as_member).await.assert_status(200);

    let list = app.get("/auth/api-keys", &session).await;
    assert!(!list.text.contains(&key));
    assert!(list.json()[0]["lastUsedAt"].is_string());

    companies::set_plan(&app.state.service, c.id, Plan::Growth)
        .await
        .unwrap();
    let r = app.get("/v4/user/me", &as_member).await;
    r.assert_status(401);
    assert!(r.error_message().contains("Enterprise or Platform plan"));
    let r = app
        .call(
            Method::POST,
            "/auth/api-keys",
            &session,
            Some(json!({"name": "k", "expiresInDays": 5})),
        )
        .await;
    r.assert_status(403);
    companies::set_plan(&app.state.service, c.id, Plan::Platform)
        .await
        .unwrap();

    app.call(
        Method::DELETE,
        &format!("/auth/api-keys/{id}"),
        &session,
        None,
    )
    .await
    .assert_status(200);
    let r = app.get("/v4/user/me", &as_member).await;
    r.assert_status(401);
    assert_eq!(r.error_message(), "API key has been revoked");
    app.call(Method::POST, &path("reactivate"), &session, None)
        .await
        .assert_status(409);

    // A key whose secret is altered fails on its checksum; one for another id is unknown.
    let tampered = format!(
        "{}{}",
        &key[..key.len() - 1],
        if key.ends_with('A') { 'B' } else { 'A' }
    );
    let r = app.get("/v4/user/me", &Auth::bearer(&tampered)).await;
    r.assert_status(401);
    assert_eq!(r.error_message(), "Invalid API key");
}

async fn the_acting_user_header_follows_the_contract(app: TestApp) {
    let a = app.company(Plan::Platform).await;
    let b = app.company(Plan::Platform).await;
    let (_, key) = app.api_key(a.id, &a.owner.user).await;

    // A PAT naming its own owner is accepted; naming anyone else is 403, even for an owner.
    app.get("/v4/user/me", &Auth::acting(&a.owner.pat, a.owner.user.id))
        .await
        .assert_status(200);
    let r = app
        .get("/v4/user/me", &Auth::acting(&a.owner.pat, a.member.user.id))
        .await;
    r.assert_status(403);
    assert!(r.error_message().contains("always acts as its owner"));

    // An API key acts as the named user, refuses other companies, removed users and bad UUIDs.
    assert_eq!(
        app.get("/v4/user/me", &Auth::acting(&key, a.admin.user.id))
            .await
            .json()["role"],
        "admin"
    );
    app.get("/v4/user/me", &Auth::acting(&key, b.member.user.id))
        .await
        .assert_status(403);
    app.get("/v4/user/me", &Auth::acting(&key, "1234"))
        .await
        .assert_status(400);
    let gone = app.add_user(a.id, Role::Member).await;
    users::remove_user(&app.state.service, a.id, gone.user.id)
        .await
        .unwrap();
    app.get("/v4/user/me", &Auth::acting(&key, gone.user.id))
        .await
        .assert_status(404);
}

async fn scope_limited_pats_reach_only_their_groups(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let account = app
        .pat(&c.admin.user, Scopes::new([ScopeGroup::Account]), None)
        .await;
    let contacts = app
        .pat(&c.admin.user, Scopes::new([ScopeGroup::Contacts]), None)
        .await;
    app.get("/v4/user/me", &Auth::bearer(&account))
        .await
        .assert_status(200);
    app.get("/v4/user/me", &Auth::bearer(&contacts))
        .await
        .assert_status(403);
    // The company's user list belongs to no group: only an unlimited admin PAT reads it.
    app.get("/v4/user", &Auth::bearer(&account))
        .await
        .assert_status(403);
    app.get("/v4/user", &c.admin.auth())
        .await
        .assert_status(200);
}

async fn sessions_need_csrf_tokens_and_end_at_logout(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let wrong = app
        .call(
            Method::POST,
            "/auth/login",
            &Auth::None,
            Some(json!({"email": c.member.user.email, "password": "wrong password"})),
        )
        .await;
    wrong.assert_status(401);
    assert_eq!(wrong.error_message(), "Invalid email or password");
    let unknown = app
        .call(
            Method::POST,
            "/auth/login",
            &Auth::None,
            Some(json!({"email": "nobody@example.com", "password": "whatever123"})),
        )
        .await;
    assert_eq!(unknown.error_message(), "Invalid email or password");

    let session = login(&app, &c.member.user.email, "correct horse battery").await;
    let Auth::Session { cookie, .. } = &session else {
        unreachable!()
    };
    let no_csrf = Auth::Session {
        cookie: cookie.clone(),
        csrf: None,
    };
    let bad_csrf = Auth::Session {
        cookie: cookie.clone(),
        csrf: Some("0".repeat(64)),
    };
    // Reads need no CSRF token; writes do.
    app.get("/auth/tokens", &no_csrf).await.assert_status(200);
    let body = json!({"name": "x"});
    app.call(Method::POST, "/auth/tokens", &no_csrf, Some(body.clone()))
        .await
        .assert_status(403);
    app.call(Method::POST, "/auth/tokens", &bad_csrf, Some(body.clone()))
        .await
        .assert_status(403);
    app.call(Method::POST, "/auth/tokens", &session, Some(body))
        .await
        .assert_status(201);
    // The CSRF token can be fetched again by same-origin code.
    let again = app.get("/auth/session", &no_csrf).await;
    assert_eq!(
        again.json()["csrfToken"],
        match &session {
            Auth::Session { csrf, .. } => json!(csrf),
            _ => unreachable!(),
        }
    );

    app.call(Method::POST, "/auth/logout", &session, None)
        .await
        .assert_status(204);
    app.get("/auth/tokens", &session).await.assert_status(401);
}

async fn malformed_tokens_are_rejected_before_any_database_work(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    app.db.close().await;
    // With the pool closed, anything that reached the database would fail with a 500.
    let (head, last) = c.member.pat.split_at(c.member.pat.len() - 1);
    let valid_but_altered = format!("{head}{}", if last == "x" { "y" } else { "x" });
    for raw in [
        "rgo-short",
        valid_but_altered.as_str(),
        "ak_live:nope:nope",
        "garbage",
    ] {
        let r = app.get("/v4/user/me", &Auth::bearer(raw)).await;
        r.assert_status(401);
    }
}

/// Many credentials used for the first time at once: recording each use (a write) never waits
/// while holding a read connection, so a burst larger than the pool is served in full.
async fn a_burst_of_first_uses_is_served(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mut tokens = Vec::new();
    for _ in 0..40 {
        tokens.push(app.pat(&c.member.user, Scopes::unlimited(), None).await);
    }
    let mut tasks = Vec::new();
    for token in tokens {
        let router = app.router.clone();
        let request =
            crate::helpers::build(Method::GET, "/v4/user/me", &Auth::bearer(&token), None);
        tasks.push(tokio::spawn(async move {
            crate::helpers::send(&router, request).await
        }));
    }
    for task in tasks {
        let r = task.await.unwrap();
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    }
}

crate::backend_tests!(
    a_burst_of_first_uses_is_served,
    pat_lifecycle_from_the_dashboard,
    a_pat_stops_at_expiry_removal_deactivation_and_plan_change,
    api_keys_need_their_plan_and_obey_their_lifecycle,
    the_acting_user_header_follows_the_contract,
    scope_limited_pats_reach_only_their_groups,
    sessions_need_csrf_tokens_and_end_at_logout,
    malformed_tokens_are_rejected_before_any_database_work,
);
