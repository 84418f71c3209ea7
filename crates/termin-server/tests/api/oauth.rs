//! OAuth 2.1 for remote AI assistants: discovery, registration, the authorization code flow
//! with PKCE through the dashboard's consent page, tokens that are exactly PATs of the approved
//! scope groups, refresh rotation with reuse detection, and revocation. The whole dance runs
//! once in headless Chromium against a `termin serve` process, with an MCP client at the end.

use axum::http::Method;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use termin_domain::tenancy::Plan;

use crate::dashboard::{cookie_of, form, page};
use crate::helpers::{Auth, TestApp};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// A PKCE pair: the verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&verifier));
    (verifier, challenge)
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

async fn json_post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app.call(Method::POST, path, &Auth::None, Some(body)).await;
    (
        r.status.as_u16(),
        serde_json::from_str(&r.text).unwrap_or(Value::Null),
    )
}

async fn token_post(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Value) {
    let r = form(app, "/oauth/token", None, fields).await;
    (
        r.status.as_u16(),
        serde_json::from_str(&r.text).unwrap_or(Value::Null),
    )
}

async fn register(app: &TestApp) -> String {
    let (status, body) = json_post(
        app,
        "/oauth/register",
        json!({"client_name": "Test Assistant", "redirect_uris": [REDIRECT]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["token_endpoint_auth_method"], "none");
    body["client_id"].as_str().unwrap().to_owned()
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn authorize_path(client: &str, challenge: &str, scope: &str) -> String {
    format!(
        "/oauth/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", REDIRECT),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "st4te"),
            ("scope", scope),
            ("resource", "http://termin.test/mcp"),
        ])
    )
}

/// Where the authorization endpoint hands a fresh request of `client` (the consent page's
/// path), and the request as that page carries it.
async fn consent_request(
    app: &TestApp,
    client: &str,
    challenge: &str,
    scope: &str,
) -> (String, String) {
    let r = page(app, &authorize_path(client, challenge, scope), None).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text);
    let consent = r.headers["location"].to_str().unwrap().to_owned();
    let request = param(&query_of(&consent), "request").unwrap();
    (consent, request)
}

/// Posts the consent form as `session` with `decision` (`allow` or `deny`).
async fn decide(
    app: &TestApp,
    session: &Auth,
    request: &str,
    decision: &str,
) -> crate::helpers::TestResponse {
    let (cookie, csrf) = cookie_of(session);
    form(
        app,
        "/dashboard/oauth/authorize",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("request", request),
            ("decision", decision),
        ],
    )
    .await
}

/// Consents as `session` through the dashboard's page; answers the code.
async fn consent(
    app: &TestApp,
    session: &Auth,
    client: &str,
    challenge: &str,
    scope: &str,
) -> String {
    let (cookie, _) = cookie_of(session);
    let (consent, request) = consent_request(app, client, challenge, scope).await;
    assert!(consent.starts_with("/dashboard/oauth/authorize?request="));
    // Without a session the consent page leads to the login, and back.
    let anonymous = page(app, &consent, None).await;
    assert_eq!(anonymous.status.as_u16(), 303);
    assert!(anonymous.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));
    let shown = page(app, &consent, Some(&cookie)).await;
    assert_eq!(shown.status.as_u16(), 200, "{}", shown.text);
    assert!(shown.text.contains("Test Assistant"), "{}", shown.text);
    let r = decide(app, session, &request, "allow").await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text);
    let back = r.headers["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(REDIRECT), "{back}");
    let q = query_of(&back);
    assert_eq!(param(&q, "state").as_deref(), Some("st4te"));
    assert_eq!(param(&q, "iss").as_deref(), Some("http://termin.test"));
    param(&q, "code").expect("a code")
}

async fn exchange(app: &TestApp, client: &str, code: &str, verifier: &str) -> (u16, Value) {
    token_post(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("resource", "http://termin.test/mcp"),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, client: &str, refresh_token: &str) -> (u16, Value) {
    token_post(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// `tool_status` with a bearer token.
async fn status_with(app: &TestApp, tool: &str, token: &str) -> u16 {
    tool_status(app, &Auth::bearer(token), tool).await
}

async fn tool_status(app: &TestApp, auth: &Auth, tool: &str) -> u16 {
    crate::mcp::tool_status(app, auth, tool, Default::default())
        .await
        .0
}

async fn discovery_documents_point_at_each_other(app: TestApp) {
    let r = app
        .call(Method::POST, "/mcp", &Auth::None, Some(json!({})))
        .await;
    assert_eq!(r.status.as_u16(), 401);
    let challenge = r.headers["www-authenticate"].to_str().unwrap().to_owned();
    assert_eq!(
        challenge,
        "Bearer realm=\"termin\", resource_metadata=\"http://termin.test/.well-known/oauth-protected-resource/mcp\""
    );
    let resource = app
        .get("/.well-known/oauth-protected-resource/mcp", &Auth::None)
        .await
        .json();
    assert_eq!(resource["resource"], "http://termin.test/mcp");
    assert_eq!(
        resource["authorization_servers"],
        json!(["http://termin.test"])
    );
    let server = app
        .get("/.well-known/oauth-authorization-server", &Auth::None)
        .await
        .json();
    assert_eq!(server["issuer"], "http://termin.test");
    assert_eq!(server["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(server["token_endpoint"], "http://termin.test/oauth/token");
    assert_eq!(
        server["registration_endpoint"],
        "http://termin.test/oauth/register"
    );
}

async fn registration_and_authorization_refuse_what_they_must(app: TestApp) {
    for (body, error) in [
        (
            json!({"redirect_uris": ["http://evil.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"}),
            "invalid_client_metadata",
        ),
        (json!("not an object"), "invalid_client_metadata"),
    ] {
        let (status, answer) = json_post(&app, "/oauth/register", body.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(error)),
            "{body}: {answer}"
        );
    }
    let client = register(&app).await;
    let (_, challenge) = pkce();
    // An unknown client or an unregistered redirect URI: shown, never sent anywhere.
    let unknown = authorize_path(&uuid::Uuid::now_v7().to_string(), &challenge, "");
    let r = page(&app, &unknown, None).await;
    assert_eq!(r.status.as_u16(), 400);
    assert!(r.headers.get("location").is_none());
    let elsewhere =
        authorize_path(&client, &challenge, "").replace("127.0.0.1%3A9", "127.0.0.1%3A10");
    let r = page(&app, &elsewhere, None).await;
    assert_eq!(r.status.as_u16(), 400);
    assert!(r.headers.get("location").is_none());
    // Without PKCE, or with the plain method, an unknown scope or resource, or a parameter sent
    // twice: the error is shown, and the browser is not sent to the (unvouched) redirect URI.
    for (from, to, error) in [
        (
            "code_challenge_method=S256",
            "code_challenge_method=plain",
            "invalid_request",
        ),
        ("&code_challenge=", "&x=", "invalid_request"),
        ("scope=", "scope=admin&y=", "invalid_scope"),
        (
            "resource=http",
            "resource=https%3A%2F%2Fother.example%2Fmcp&z=http",
            "invalid_target",
        ),
        ("scope=", "scope=scheduling&scope=", "repeats a parameter"),
    ] {
        let path = authorize_path(&client, &challenge, "").replacen(from, to, 1);
        let r = page(&app, &path, None).await;
        assert_eq!(r.status.as_u16(), 400, "{path}");
        assert!(r.headers.get("location").is_none(), "{path}");
        assert!(r.text.contains(error), "{path}: {}", r.text);
    }
    // A scope named three times is one group, not everything.
    let session = {
        let c = app.company(Plan::Platform).await;
        app.session(&c.member.user).await
    };
    let (cookie, _) = cookie_of(&session);
    let r = page(
        &app,
        &authorize_path(&client, &challenge, "scheduling scheduling scheduling"),
        None,
    )
    .await;
    let consent = page(&app, r.headers["location"].to_str().unwrap(), Some(&cookie)).await;
    assert!(consent.text.contains("Scheduling:"), "{}", consent.text);
    assert!(
        !consent.text.contains("Everything you may do"),
        "{}",
        consent.text
    );
    let (status, answer) = token_post(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client),
            ("code", "nope"),
            ("code_verifier", &"v".repeat(43)),
        ],
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, answer) =
        token_post(&app, &[("grant_type", "password"), ("client_id", &client)]).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

/// The code flow through the consent page, then what the tokens may do, rotation and reuse.
async fn tokens_are_pats_of_the_consent_and_rotate(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let session = app.session(&c.member.user).await;
    let client = register(&app).await;
    let (verifier, challenge) = pkce();
    let code = consent(&app, &session, &client, &challenge, "scheduling").await;
    // A wrong verifier is refused (and does not use the code up).
    let (status, answer) = exchange(&app, &client, &code, &"x".repeat(64)).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, tokens) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "scheduling");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    // The token acts as the member through /mcp, within the approved group only, with a
    // PAT's limits; the REST API does not take it (its resource is /mcp).
    assert_eq!(
        status_with(&app, "get_me", &access).await,
        403,
        "get_me is the account group"
    );
    let rest = app.get("/v4/meeting-type", &Auth::bearer(&access)).await;
    assert_eq!(rest.status.as_u16(), 401, "{}", rest.text);
    assert!(rest.text.contains("/mcp"), "{}", rest.text);
    assert_eq!(status_with(&app, "list_meeting_types", &access).await, 200);
    assert_eq!(status_with(&app, "search_contacts", &access).await, 403);
    assert_eq!(
        tool_status(
            &app,
            &Auth::acting(&access, c.admin.user.id),
            "list_meeting_types"
        )
        .await,
        403,
        "no impersonation"
    );
    // It is not one of the member's own tokens.
    let (cookie, _) = cookie_of(&session);
    let listed = page(&app, "/dashboard/api", Some(&cookie)).await;
    assert!(listed.text.contains("Connected apps") && listed.text.contains("Test Assistant"));
    assert!(
        !listed.text.contains("App: Test Assistant"),
        "its tokens are not listed as the user's"
    );
    // The code works once; a second exchange revokes what the first gave.
    let (status, answer) = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(status_with(&app, "list_meeting_types", &access).await, 401);

    // A second consent: refresh rotates, and a used refresh token revokes the family.
    let (verifier, challenge) = pkce();
    let code = consent(
        &app,
        &session,
        &client,
        &challenge,
        "scheduling contacts account",
    )
    .await;
    let (_, first) = exchange(&app, &client, &code, &verifier).await;
    assert!(
        first.get("scope").is_none(),
        "all groups: everything the user may do"
    );
    let old_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = refresh(&app, &client, &old_refresh).await;
    assert_eq!(status, 200, "{second}");
    let access = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(access, first["access_token"].as_str().unwrap());
    assert_eq!(status_with(&app, "get_me", &access).await, 200);
    // Even with every group, a PAT's limits: no user management, no credentials, no GDPR. No
    // tool does those, and the REST routes that do refuse the token outright.
    for (method, path, body) in [
        (
            Method::POST,
            "/v4/user",
            json!({"email": "x@example.com", "givenName": "X", "familyName": "Y", "timezone": "Europe/Berlin"}),
        ),
        (
            Method::POST,
            "/v4/gdpr/export",
            json!({"userId": c.member.user.id}),
        ),
    ] {
        let r = app
            .call(method, path, &Auth::bearer(&access), Some(body))
            .await;
        assert_eq!(r.status.as_u16(), 401, "{path}: {}", r.text);
    }
    let (status, other) = refresh(
        &app,
        &uuid::Uuid::now_v7().to_string(),
        second["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        (status, other["error"].as_str()),
        (400, Some("invalid_grant")),
        "another client's"
    );
    let (status, replay) = refresh(&app, &client, &old_refresh).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        status_with(&app, "get_me", &access).await,
        401,
        "the family is revoked"
    );
    let (status, _) = refresh(&app, &client, second["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400, "the newest refresh token went with it");

    // Access tokens expire after an hour; the refresh token gets a new one.
    let (verifier, challenge) = pkce();
    let code = consent(&app, &session, &client, &challenge, "scheduling").await;
    let (_, t) = exchange(&app, &client, &code, &verifier).await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    app.clock.advance(jiff::SignedDuration::from_mins(61));
    assert_eq!(status_with(&app, "list_meeting_types", &access).await, 401);
    let (status, t) = refresh(&app, &client, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        status_with(
            &app,
            "list_meeting_types",
            t["access_token"].as_str().unwrap()
        )
        .await,
        200
    );

    // Denying sends the app away with access_denied (a fresh session: the clock moved on).
    let session = app.session(&c.member.user).await;
    let (_, challenge) = pkce();
    let (_, request) = consent_request(&app, &client, &challenge, "").await;
    let (cookie, _) = cookie_of(&session);
    let r = decide(&app, &session, &request, "deny").await;
    let q = query_of(r.headers["location"].to_str().unwrap());
    assert_eq!(param(&q, "error").as_deref(), Some("access_denied"));
    // Without the CSRF field nothing is granted.
    let r = form(
        &app,
        "/dashboard/oauth/authorize",
        Some(&cookie),
        &[("request", &request), ("decision", "allow")],
    )
    .await;
    assert_eq!(r.status.as_u16(), 403);
}

/// A workspace whose plan has no personal access tokens cannot connect apps: the consent page
/// says so instead of handing out tokens that would not work.
async fn a_plan_without_tokens_cannot_consent(app: TestApp) {
    let c = app.company(Plan::Free).await;
    let session = app.session(&c.member.user).await;
    let (cookie, _) = cookie_of(&session);
    let client = register(&app).await;
    let (_, challenge) = pkce();
    let (consent_path, request) = consent_request(&app, &client, &challenge, "").await;
    let shown = page(&app, &consent_path, Some(&cookie)).await;
    assert!(shown.text.contains("Essentials plan"), "{}", shown.text);
    assert!(!shown.text.contains("id=\"allow\""));
    let r = decide(&app, &session, &request, "allow").await;
    assert_eq!(r.status.as_u16(), 403);
}

/// An app with its own scheme (`cursor://…`) can be sent back to: the consent page's CSP names
/// the scheme, since such a URI has no origin.
async fn an_apps_own_scheme_is_allowed_by_the_consent_pages_policy(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (cookie, _) = cookie_of(&app.session(&c.member.user).await);
    let (status, body) = json_post(
        &app,
        "/oauth/register",
        json!({"client_name": "Editor", "redirect_uris": ["cursor://anysphere.cursor-retrieval/oauth/callback"]}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let client = body["client_id"].as_str().unwrap();
    let (_, challenge) = pkce();
    let path = authorize_path(client, &challenge, "").replace(
        &query(&[("redirect_uri", REDIRECT)]),
        &query(&[(
            "redirect_uri",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
        )]),
    );
    let r = page(&app, &path, None).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text);
    let shown = page(&app, r.headers["location"].to_str().unwrap(), Some(&cookie)).await;
    assert_eq!(shown.status.as_u16(), 200, "{}", shown.text);
    let csp = shown.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("form-action 'self' cursor:;"), "{csp}");
}

crate::backend_tests!(
    an_apps_own_scheme_is_allowed_by_the_consent_pages_policy,
    discovery_documents_point_at_each_other,
    registration_and_authorization_refuse_what_they_must,
    tokens_are_pats_of_the_consent_and_rotate,
    a_plan_without_tokens_cannot_consent,
);

/// A one-route server standing in for an assistant's OAuth callback: it keeps each query it
/// gets.
async fn callback_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(move |axum::extract::RawQuery(q): axum::extract::RawQuery| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(q.unwrap_or_default());
                axum::response::Html(
                    "<!doctype html><title>Done</title><p>You can close this window.",
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/callback"), seen)
}

/// The code the callback got for `state`, once the browser arrived there.
async fn code_at_callback(seen: &std::sync::Mutex<Vec<String>>, state: &str) -> String {
    for _ in 0..200 {
        let found = seen.lock().unwrap().iter().find_map(|q| {
            let pairs: Vec<(String, String)> =
                form_urlencoded::parse(q.as_bytes()).into_owned().collect();
            (param(&pairs, "state").as_deref() == Some(state))
                .then(|| param(&pairs, "code").expect("a code, not an error"))
        });
        if let Some(code) = found {
            return code;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the browser never reached the callback with state {state}");
}

/// The whole dance as an assistant and a person do it: discovery from a 401, registration,
/// login and consent in headless Chromium, tokens, MCP calls, refresh, a replayed refresh token
/// revoking the family, and a revoke in the dashboard that stops the next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assistant_connects_by_url_in_a_browser() {
    use crate::browser::{axe_source, fill, look_at, navigate, text_of, wait_for, Driver};
    let Some(driver) = Driver::start() else {
        return;
    };
    let axe = axe_source();
    let axe = axe.as_deref();
    let (url, _dir) = crate::helpers::sqlite_url();
    let app = TestApp::with_url(url.clone(), None, crate::helpers::test_config()).await;
    let c = app.company(Plan::Platform).await;
    let server = crate::process::Server::start(&url, &[("TERMIN_INSECURE_COOKIES", "true")]);
    let http = reqwest::Client::new();
    let (redirect, seen) = callback_server().await;

    // Discovery, from the 401 of /mcp.
    let r = http
        .post(server.url("/mcp"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    let metadata_url = challenge
        .split("resource_metadata=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the challenge names the resource metadata")
        .to_owned();
    let resource: Value = http
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resource["resource"], server.url("/mcp"));
    let issuer = resource["authorization_servers"][0].as_str().unwrap();
    let meta: Value = http
        .get(format!("{issuer}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let registered: Value = http
        .post(meta["registration_endpoint"].as_str().unwrap())
        .json(&json!({"client_name": "Claude (test)", "redirect_uris": [redirect]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = registered["client_id"].as_str().unwrap().to_owned();
    let token_endpoint = meta["token_endpoint"].as_str().unwrap().to_owned();
    let authorize = |challenge: &str, state: &str| {
        format!(
            "{}?{}",
            meta["authorization_endpoint"].as_str().unwrap(),
            query(&[
                ("response_type", "code"),
                ("client_id", &client),
                ("redirect_uri", &redirect),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
                ("state", state),
                ("scope", "scheduling account"),
                ("resource", resource["resource"].as_str().unwrap()),
            ])
        )
    };
    let tokens = |fields: Vec<(&'static str, String)>| {
        let http = http.clone();
        let endpoint = token_endpoint.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = http
                .post(endpoint)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(query(&pairs))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };

    // The person logs in and consents in the browser.
    let browser = driver.browser(true).await;
    let (verifier, challenge) = pkce();
    browser.goto(&authorize(&challenge, "first")).await.unwrap();
    wait_for(&browser, "#email").await;
    assert_eq!(browser.current_url().await.unwrap().path(), "/login");
    fill(&browser, "#email", &c.member.user.email).await;
    fill(&browser, "#password", "correct horse battery").await;
    navigate(&browser, "form[action='/login'] button[type=submit]").await;
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/dashboard/oauth/authorize"
    );
    assert_eq!(
        text_of(&browser, "h1").await,
        "Connect “Claude (test)” to termin?"
    );
    look_at(&browser, axe, "dashboard-oauth-consent").await;
    // The answer leads to the app's callback (no page of termin's).
    wait_for(&browser, "#allow").await.click().await.unwrap();
    let code = code_at_callback(&seen, "first").await;
    let (status, first) = tokens(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", client.clone()),
        ("code", code),
        ("redirect_uri", redirect.clone()),
        ("code_verifier", verifier),
        ("resource", server.url("/mcp")),
    ])
    .await;
    assert_eq!(status, 200, "{first}");

    // The assistant uses /mcp with the access token.
    let access = first["access_token"].as_str().unwrap().to_owned();
    let mcp = crate::mcp::connect(&server.url(""), &access, None).await;
    let me = crate::mcp::ok(&crate::mcp::call(&mcp, "get_me", json!({})).await);
    assert_eq!(me["id"], c.member.user.id.to_string());
    let types = crate::mcp::ok(&crate::mcp::call(&mcp, "list_meeting_types", json!({})).await);
    assert!(!types["items"].as_array().unwrap().is_empty());
    let contacts = crate::mcp::failed(&crate::mcp::call(&mcp, "search_contacts", json!({})).await);
    assert!(
        contacts.starts_with("termin API 403"),
        "not granted: {contacts}"
    );
    mcp.cancel().await.unwrap();

    // Refresh rotates; replaying the old refresh token revokes the family.
    let old_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = tokens(vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", client.clone()),
        ("refresh_token", old_refresh.clone()),
    ])
    .await;
    assert_eq!(status, 200, "{second}");
    let access = second["access_token"].as_str().unwrap().to_owned();
    let mcp_status = |token: String| {
        let http = http.clone();
        let url = server.url("/mcp");
        async move {
            http.post(url)
                .bearer_auth(token)
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2025-11-25")
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                              "params": {"name": "get_me", "arguments": {}}}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(mcp_status(access.clone()).await, 200);
    let (status, replay) = tokens(vec![
        ("grant_type", "refresh_token".into()),
        ("client_id", client.clone()),
        ("refresh_token", old_refresh),
    ])
    .await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(mcp_status(access).await, 401, "the family is revoked");

    // Connected again (the session is still there: straight to the consent), then revoked in
    // the dashboard: the next call is 401.
    let (verifier, challenge) = pkce();
    browser
        .goto(&authorize(&challenge, "second"))
        .await
        .unwrap();
    wait_for(&browser, "#allow").await.click().await.unwrap();
    let code = code_at_callback(&seen, "second").await;
    let (_, third) = tokens(vec![
        ("grant_type", "authorization_code".into()),
        ("client_id", client.clone()),
        ("code", code),
        ("redirect_uri", redirect.clone()),
        ("code_verifier", verifier),
    ])
    .await;
    let access = third["access_token"].as_str().unwrap().to_owned();
    assert_eq!(mcp_status(access.clone()).await, 200);
    browser.goto(&server.url("/dashboard/api")).await.unwrap();
    wait_for(&browser, "#apps table").await;
    assert!(text_of(&browser, "#apps").await.contains("Claude (test)"));
    look_at(&browser, axe, "dashboard-connected-apps").await;
    navigate(&browser, "#apps a[href$='/revoke']").await;
    navigate(&browser, "form button.danger").await;
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/dashboard/api"
    );
    assert!(text_of(&browser, "#apps")
        .await
        .contains("No app is connected"));
    assert_eq!(mcp_status(access).await, 401, "revoked in the dashboard");
    browser.close().await.unwrap();
}
