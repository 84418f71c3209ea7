//! The dashboard's rules over HTTP: CSRF on every form, who may open which page, what a
//! removal ends, password reset and invitation links, and the first-run setup link. The same
//! flows in a real browser are in `dashboard_browser.rs`.

use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::Value;
use termin_domain::tenancy::Plan;

use crate::helpers::{Auth, TestApp, TestResponse};

/// The session cookie and CSRF token of a test session.
pub fn cookie_of(auth: &Auth) -> (String, String) {
    match auth {
        Auth::Session { cookie, csrf } => (cookie.clone(), csrf.clone().unwrap_or_default()),
        _ => panic!("not a session"),
    }
}

pub async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> TestResponse {
    let mut req = Request::builder().method(Method::GET).uri(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("termin_session={c}"));
    }
    app.send(req.body(Body::empty()).unwrap()).await
}

pub async fn form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> TestResponse {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, format!("termin_session={c}"));
    }
    app.send(req.body(Body::from(body.finish())).unwrap()).await
}

fn location(r: &TestResponse) -> String {
    r.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The text of the element with `id`, as the page shows it.
pub fn text_by_id(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let open = rest.find('>')? + 1;
    let close = rest[open..].find('<')?;
    Some(
        rest[open..open + close]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    let before = app.state.service.clone();
    let count = |svc: termin_service::Service| async move {
        termin_service::credentials::list_pats(&svc, c.member.user.id)
            .await
            .unwrap()
            .len()
    };
    let n = count(before.clone()).await;
    let refused = form(
        &app,
        "/dashboard/api",
        Some(&cookie),
        &[("name", "sneaky"), ("expiresInDays", "30")],
    )
    .await;
    refused.assert_status(403);
    assert!(
        refused.text.contains("This form has expired"),
        "{}",
        refused.text
    );
    let wrong = form(
        &app,
        "/dashboard/api",
        Some(&cookie),
        &[("csrf", "0000"), ("name", "sneaky")],
    )
    .await;
    wrong.assert_status(403);
    assert_eq!(
        count(before.clone()).await,
        n,
        "a refused form wrote nothing"
    );
    let made = form(
        &app,
        "/dashboard/api",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("name", "my script"),
            ("expiresInDays", "30"),
            ("scopes", "contacts"),
        ],
    )
    .await;
    made.assert_status(201);
    let secret = text_by_id(&made.text, "new-secret").expect("the secret is shown once");
    assert!(secret.starts_with("rgo-"), "{secret}");
    assert_eq!(count(before).await, n + 1);
    // The page shows it once: the list afterwards has only its hint.
    let list = page(&app, "/dashboard/api", Some(&cookie)).await;
    list.assert_status(200);
    assert!(!list.text.contains(&secret));
    assert!(list.text.contains("my script") && list.text.contains("contacts"));
    // Every dashboard answer is kept out of caches.
    assert_eq!(list.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
}

async fn without_a_session_a_page_leads_to_the_login_and_back(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let r = page(&app, "/dashboard/members?page=2", None).await;
    r.assert_status(303);
    assert_eq!(
        location(&r),
        "/login?next=%2Fdashboard%2Fmembers%3Fpage%3D2"
    );
    let login = page(&app, &location(&r), None).await;
    login.assert_status(200);
    assert!(login
        .text
        .contains("name=\"next\" value=\"/dashboard/members?page=2\""));
    let bad = form(
        &app,
        "/login",
        None,
        &[
            ("email", &c.member.user.email),
            ("password", "wrong password"),
        ],
    )
    .await;
    bad.assert_status(401);
    assert!(bad.text.contains("do not match"));
    let ok = form(
        &app,
        "/login",
        None,
        &[
            ("email", &c.admin.user.email),
            ("password", "correct horse battery"),
            ("next", "/dashboard/members?page=2"),
        ],
    )
    .await;
    ok.assert_status(303);
    assert_eq!(location(&ok), "/dashboard/members?page=2");
    let set = ok
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    // Only paths of this site: never another host.
    let away = form(
        &app,
        "/login",
        None,
        &[
            ("email", &c.admin.user.email),
            ("password", "correct horse battery"),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(location(&away), "/dashboard");
}

async fn members_see_neither_api_keys_nor_members(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    let home = page(&app, "/dashboard", Some(&cookie)).await;
    home.assert_status(200);
    assert!(!home.text.contains("/dashboard/settings/api-keys"));
    assert!(!home.text.contains("/dashboard/members"));
    for path in [
        "/dashboard/settings/api-keys",
        "/dashboard/members",
        "/dashboard/export",
    ] {
        page(&app, path, Some(&cookie)).await.assert_status(403);
    }
    form(
        &app,
        "/dashboard/settings/api-keys",
        Some(&cookie),
        &[("csrf", &csrf), ("name", "x"), ("expiresInDays", "30")],
    )
    .await
    .assert_status(403);
    let (admin, _) = cookie_of(&app.session(&c.admin.user).await);
    let home = page(&app, "/dashboard", Some(&admin)).await;
    assert!(home.text.contains("/dashboard/settings/api-keys"));
    page(&app, "/dashboard/settings/api-keys", Some(&admin))
        .await
        .assert_status(200);
}

async fn removing_a_member_says_what_ends_and_ends_it(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (admin, csrf) = cookie_of(&app.session(&c.admin.user).await);
    let (member_cookie, _) = cookie_of(&app.session(&c.member.user).await);
    let id = c.member.user.id.to_string();
    let confirm = page(
        &app,
        &format!("/dashboard/members/{id}/remove"),
        Some(&admin),
    )
    .await;
    confirm.assert_status(200);
    assert!(
        confirm.text.contains("Their 1 token stops working now."),
        "{}",
        confirm.text
    );
    app.get("/v4/user/me", &c.member.auth())
        .await
        .assert_status(200);
    let done = form(
        &app,
        &format!("/dashboard/members/{id}/remove"),
        Some(&admin),
        &[("csrf", &csrf)],
    )
    .await;
    done.assert_status(303);
    app.get("/v4/user/me", &c.member.auth())
        .await
        .assert_status(401);
    let gone = page(&app, "/dashboard", Some(&member_cookie)).await;
    gone.assert_status(303);
    assert!(location(&gone).starts_with("/login"));
    // The owner cannot be removed, nor their role changed.
    let owner = c.owner.user.id.to_string();
    form(
        &app,
        &format!("/dashboard/members/{owner}/remove"),
        Some(&admin),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(403);
    form(
        &app,
        &format!("/dashboard/members/{owner}/role"),
        Some(&admin),
        &[("csrf", &csrf), ("role", "member")],
    )
    .await
    .assert_status(403);
}

async fn an_admin_changes_a_role_and_deactivates_and_reactivates_a_member(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (admin, csrf) = cookie_of(&app.session(&c.admin.user).await);
    let id = c.member.user.id.to_string();
    form(
        &app,
        &format!("/dashboard/members/{id}/role"),
        Some(&admin),
        &[("csrf", &csrf), ("role", "admin")],
    )
    .await
    .assert_status(303);
    assert_eq!(
        app.get("/v4/user/me", &c.member.auth()).await.json()["role"],
        "admin"
    );
    form(
        &app,
        &format!("/dashboard/members/{id}/deactivate"),
        Some(&admin),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(303);
    app.get("/v4/user/me", &c.member.auth())
        .await
        .assert_status(401);
    let detail = page(&app, &format!("/dashboard/members/{id}"), Some(&admin)).await;
    assert!(detail.text.contains("Deactivated"));
    form(
        &app,
        &format!("/dashboard/members/{id}/reactivate"),
        Some(&admin),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(303);
    app.get("/v4/user/me", &c.member.auth())
        .await
        .assert_status(200);
    // Nobody changes their own role.
    let me = c.admin.user.id.to_string();
    form(
        &app,
        &format!("/dashboard/members/{me}/role"),
        Some(&admin),
        &[("csrf", &csrf), ("role", "member")],
    )
    .await
    .assert_status(403);
    // Nor deactivates or removes themself.
    for action in ["deactivate", "remove"] {
        form(
            &app,
            &format!("/dashboard/members/{me}/{action}"),
            Some(&admin),
            &[("csrf", &csrf)],
        )
        .await
        .assert_status(403);
    }
    app.get("/v4/user/me", &c.admin.auth())
        .await
        .assert_status(200);
}

async fn last_mail(app: &TestApp, kind: &str, to: &str) -> Value {
    let mails = termin_service::mail::list_all(&app.state.service, None, 100)
        .await
        .unwrap();
    let m = mails
        .iter()
        .rev()
        .find(|m| m.kind == kind && m.recipient == to)
        .unwrap_or_else(|| panic!("no {kind} mail to {to}"));
    serde_json::from_str(&m.payload).unwrap()
}

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest[rest.find('/').unwrap()..].to_owned()
}

async fn a_password_reset_link_sets_a_new_password_once_and_ends_every_session(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (old_session, _) = cookie_of(&app.session(&c.member.user).await);
    // Unknown addresses get the same answer, and no mail.
    let unknown = form(&app, "/reset", None, &[("email", "nobody@example.com")]).await;
    unknown.assert_status(200);
    let known = form(&app, "/reset", None, &[("email", &c.member.user.email)]).await;
    known.assert_status(200);
    assert_eq!(unknown.text, known.text);
    let mail = last_mail(&app, "password_reset", &c.member.user.email).await;
    let link = path_of(mail["link"].as_str().unwrap());
    page(&app, &link, None).await.assert_status(200);
    let mismatch = form(
        &app,
        &link,
        None,
        &[
            ("password", "a new long password"),
            ("confirm", "another one"),
        ],
    )
    .await;
    mismatch.assert_status(400);
    let short = form(
        &app,
        &link,
        None,
        &[("password", "short"), ("confirm", "short")],
    )
    .await;
    short.assert_status(400);
    let set = form(
        &app,
        &link,
        None,
        &[
            ("password", "a new long password"),
            ("confirm", "a new long password"),
        ],
    )
    .await;
    set.assert_status(303);
    assert_eq!(location(&set), "/login?done=password");
    page(&app, &link, None).await.assert_status(410);
    page(&app, "/dashboard", Some(&old_session))
        .await
        .assert_status(303);
    let login = form(
        &app,
        "/login",
        None,
        &[
            ("email", &c.member.user.email),
            ("password", "a new long password"),
        ],
    )
    .await;
    login.assert_status(303);
    let old = form(
        &app,
        "/login",
        None,
        &[
            ("email", &c.member.user.email),
            ("password", "correct horse battery"),
        ],
    )
    .await;
    old.assert_status(401);
    // The mail reads as a person expects, with the link as its button.
    let stored = termin_service::mail::list_all(&app.state.service, None, 100)
        .await
        .unwrap();
    let record = stored.iter().find(|m| m.kind == "password_reset").unwrap();
    let rendered = termin_server::mail::render(record).unwrap();
    assert_eq!(rendered.subject, "Choose a new termin password");
    assert!(rendered.text.contains(mail["link"].as_str().unwrap()));
}

async fn an_invited_member_chooses_a_password_and_logs_in(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (admin, csrf) = cookie_of(&app.session(&c.admin.user).await);
    let invited = form(
        &app,
        "/dashboard/members",
        Some(&admin),
        &[
            ("csrf", &csrf),
            ("email", "new.person@example.com"),
            ("givenName", "Nora"),
            ("familyName", "New"),
            ("timezone", "Europe/Vienna"),
            ("role", "member"),
        ],
    )
    .await;
    invited.assert_status(201);
    let shown = text_by_id(&invited.text, "invite-link").expect("the link is shown");
    let mail = last_mail(&app, "welcome", "new.person@example.com").await;
    assert_eq!(mail["link"].as_str().unwrap(), shown);
    assert!(mail["from"]["name"]
        .as_str()
        .unwrap()
        .contains(&c.admin.user.given_name));
    // The same address again is refused by the form, with the reason by the field.
    let again = form(
        &app,
        "/dashboard/members",
        Some(&admin),
        &[
            ("csrf", &csrf),
            ("email", "new.person@example.com"),
            ("givenName", "Nora"),
            ("timezone", "Europe/Vienna"),
        ],
    )
    .await;
    assert_eq!(again.status.as_u16(), 409, "{}", again.text);
    let bad = form(
        &app,
        "/dashboard/members",
        Some(&admin),
        &[
            ("csrf", &csrf),
            ("email", "nope"),
            ("givenName", ""),
            ("timezone", "Mars/Base"),
        ],
    )
    .await;
    bad.assert_status(400);
    assert!(bad.text.contains("id=\"email-error\"") && bad.text.contains("id=\"timezone-error\""));
    let link = path_of(&shown);
    form(
        &app,
        &link,
        None,
        &[
            ("password", "nora's own password"),
            ("confirm", "nora's own password"),
        ],
    )
    .await
    .assert_status(303);
    form(
        &app,
        "/login",
        None,
        &[
            ("email", "new.person@example.com"),
            ("password", "nora's own password"),
        ],
    )
    .await
    .assert_status(303);
}

async fn the_setup_link_creates_the_first_workspace_once(app: TestApp) {
    let svc = &app.state.service;
    let url = termin_service::account_links::issue_setup_link(svc)
        .await
        .unwrap()
        .expect("an empty database");
    let newer = termin_service::account_links::issue_setup_link(svc)
        .await
        .unwrap()
        .unwrap();
    // Only the newest link works.
    page(&app, &path_of(&url), None).await.assert_status(410);
    let link = path_of(&newer);
    page(&app, &link, None).await.assert_status(200);
    let invalid = form(
        &app,
        &link,
        None,
        &[
            ("company", ""),
            ("givenName", "Ada"),
            ("email", "ada@example.com"),
            ("timezone", "Europe/Berlin"),
            ("password", "short"),
        ],
    )
    .await;
    invalid.assert_status(400);
    assert!(invalid.text.contains("id=\"company-error\""));
    let done = form(
        &app,
        &link,
        None,
        &[
            ("company", "Ada's Agency"),
            ("givenName", "Ada"),
            ("familyName", "Lovelace"),
            ("email", "ada@example.com"),
            ("timezone", "Europe/London"),
            ("password", "ada's long password"),
        ],
    )
    .await;
    done.assert_status(303);
    page(&app, &link, None).await.assert_status(410);
    form(
        &app,
        &link,
        None,
        &[
            ("company", "Again"),
            ("givenName", "Eve"),
            ("email", "eve@example.com"),
            ("timezone", "UTC"),
            ("password", "eve's long password"),
        ],
    )
    .await
    .assert_status(410);
    assert!(termin_service::account_links::issue_setup_link(svc)
        .await
        .unwrap()
        .is_none());
    let login = form(
        &app,
        "/login",
        None,
        &[
            ("email", "ada@example.com"),
            ("password", "ada's long password"),
        ],
    )
    .await;
    login.assert_status(303);
}

async fn editing_availability_changes_the_bookable_times(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    let editor = page(&app, "/dashboard/availability", Some(&cookie)).await;
    editor.assert_status(200);
    assert!(editor.text.contains("Next bookable times"));
    let action = editor
        .text
        .split("action=\"")
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        action.starts_with("/dashboard/availability?id="),
        "{action}"
    );
    let id = crate::pages::param(action, "id").unwrap();
    let path = format!("/dashboard/availability?id={id}");
    let mut fields: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("name", "Focus hours"),
        ("timezone", "Europe/Berlin"),
        ("wednesday", "on"),
        ("wednesday.start", "10:00"),
        ("wednesday.end", "11:00"),
        ("wednesday.start", "15:00"),
        ("wednesday.end", "15:30"),
        ("wednesday.start", ""),
        ("wednesday.end", ""),
    ];
    let bad: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("name", "Focus hours"),
        ("timezone", "Europe/Berlin"),
        ("monday", "on"),
        ("monday.start", "17:00"),
        ("monday.end", "09:00"),
    ];
    let refused = form(&app, &path, Some(&cookie), &bad).await;
    refused.assert_status(400);
    assert!(
        refused.text.contains("Nothing was saved") && refused.text.contains("Monday"),
        "{}",
        refused.text
    );
    fields.push(("exDate", ""));
    let saved = form(&app, &path, Some(&cookie), &fields).await;
    saved.assert_status(303);
    let after = page(&app, &location(&saved), Some(&cookie)).await;
    assert!(after.text.contains("Saved."));
    // The API, and so the booking page, now offers Wednesdays 10:00-11:00 and 15:00-15:30 only.
    let mt = crate::scheduling::default_meeting_type(&app, &c.member).await;
    let from = app
        .clock
        .clock()
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
        .date();
    let to = from + jiff::ToSpan::days(14);
    let times = app
        .get(
            &format!(
                "/v4/booking-availability?meetingTypeId={}&start={from}&end={to}",
                mt["id"].as_str().unwrap()
            ),
            &c.member.auth(),
        )
        .await
        .json();
    let starts = crate::scheduling::starts(&times);
    assert!(!starts.is_empty(), "{times}");
    for s in &starts {
        let t: jiff::Timestamp = s.parse().unwrap_or_else(|_| panic!("{s}"));
        let z = t.to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
        assert_eq!(z.weekday(), jiff::civil::Weekday::Wednesday, "{s}");
        let hm = z.strftime("%H:%M").to_string();
        assert!(["10:00", "10:30", "15:00"].contains(&hm.as_str()), "{hm}");
    }
    assert!(after.text.contains("Wednesday"));
}

async fn meeting_types_are_created_and_edited_in_every_field(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    let made = form(
        &app,
        "/dashboard/meeting-types",
        Some(&cookie),
        &[("csrf", &csrf), ("name", "Deep dive"), ("duration", "60")],
    )
    .await;
    made.assert_status(303);
    let edit = location(&made);
    let id = edit.rsplit('/').next().unwrap().to_owned();
    let editor = page(&app, &edit, Some(&cookie)).await;
    editor.assert_status(200);
    assert!(
        editor.text.contains("/deep-dive"),
        "the link name comes from the name"
    );
    let fields: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("enabled", "on"),
        ("name", "Deep dive"),
        ("slug", "deep-dive"),
        ("description", "An hour on your setup."),
        ("duration", "45"),
        ("channel", "zoom"),
        ("color", "#123456"),
        ("allowedDurations", "30, 60"),
        ("interval", "15"),
        ("bufferBefore", "5"),
        ("bufferAfter", "10"),
        ("notice", "120"),
        ("horizon", "30"),
        ("spots", "3"),
        ("reminder", "60"),
        ("availability", ""),
        ("guests", "on"),
        ("q.id", ""),
        ("q.label", "Your company"),
        ("q.kind", "text"),
        ("q.required", "yes"),
        ("q.options", ""),
        ("q.id", ""),
        ("q.label", "Topic"),
        ("q.kind", "choice"),
        ("q.required", "no"),
        ("q.options", "Sales\nSupport, EMEA"),
        ("q.id", ""),
        ("q.label", ""),
        ("q.kind", "text"),
        ("q.required", "no"),
        ("q.options", ""),
    ];
    form(&app, &edit, Some(&cookie), &fields)
        .await
        .assert_status(303);
    let m = app
        .get(&format!("/v4/meeting-type/{id}"), &c.member.auth())
        .await
        .json();
    assert_eq!(m["meetingInfo"]["duration"], 45);
    assert_eq!(m["meetingInfo"]["channel"], "zoom");
    assert_eq!(m["meetingInfo"]["bufferBefore"], 5);
    assert_eq!(m["meetingInfo"]["bufferAfter"], 10);
    assert_eq!(m["meetingInfo"]["color"], "#123456");
    assert_eq!(
        m["meetingOptions"]["allowedDurations"],
        serde_json::json!([30, 60])
    );
    assert_eq!(m["meetingOptions"]["allowAddingGuests"], true);
    assert_eq!(m["timeslotInterval"], 15);
    assert_eq!(m["bookingMinimum"], 120);
    assert_eq!(m["daysIntoFuture"]["bookingLimit"], 30);
    assert_eq!(m["spots"], 3);
    assert_eq!(m["reminderMinutesBefore"], 60);
    assert_eq!(m["bookingQuestions"][0]["id"], "your-company");
    assert_eq!(m["bookingQuestions"][0]["required"], true);
    assert_eq!(
        m["bookingQuestions"][1]["options"],
        serde_json::json!(["Sales", "Support, EMEA"])
    );
    assert_eq!(
        m["bookingQuestions"].as_array().unwrap().len(),
        2,
        "the empty row adds nothing"
    );
    // What the use case refuses comes back on the form, and nothing is saved.
    let mut bad = fields.clone();
    for f in bad.iter_mut() {
        if f.0 == "duration" {
            f.1 = "1000";
        }
        if f.0 == "bufferBefore" {
            f.1 = "lots";
        }
    }
    let refused = form(&app, &edit, Some(&cookie), &bad).await;
    refused.assert_status(400);
    assert!(
        refused
            .text
            .contains("Buffer before: must be a whole number"),
        "{}",
        refused.text
    );
    let refused = form(
        &app,
        &edit,
        Some(&cookie),
        &bad.iter()
            .map(|(k, v)| (*k, if *k == "bufferBefore" { "5" } else { *v }))
            .collect::<Vec<_>>(),
    )
    .await;
    refused.assert_status(400);
    assert!(refused.text.contains("Length:"), "{}", refused.text);
    assert_eq!(
        app.get(&format!("/v4/meeting-type/{id}"), &c.member.auth())
            .await
            .json()["meetingInfo"]["duration"],
        45
    );
    // Disable from the list; the booking page answers 410.
    form(
        &app,
        &format!("/dashboard/meeting-types/{id}/disable"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(303);
    assert_eq!(
        app.get(&format!("/v4/meeting-type/{id}"), &c.member.auth())
            .await
            .json()["enabled"],
        false
    );
    let public = page(&app, &format!("/{}/deep-dive", c.member.user.slug), None).await;
    public.assert_status(410);
    // The personal page settings.
    form(
        &app,
        "/dashboard/personal-page",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("description", "Hello there"),
            ("city", "Berlin"),
            ("useCustomColors", "on"),
            ("primaryColor", "#aa0000"),
        ],
    )
    .await
    .assert_status(303);
    let pp = app
        .get("/v4/personal-page/me", &c.member.auth())
        .await
        .json();
    assert_eq!(pp["description"], "Hello there");
    assert_eq!(pp["onlineProfiles"]["city"], "Berlin");
    assert_eq!(pp["primaryColor"], "#aa0000");
    let bad = form(
        &app,
        "/dashboard/personal-page",
        Some(&cookie),
        &[("csrf", &csrf), ("primaryColor", "red")],
    )
    .await;
    bad.assert_status(400);
    // Delete, after its confirmation page.
    page(
        &app,
        &format!("/dashboard/meeting-types/{id}/delete"),
        Some(&cookie),
    )
    .await
    .assert_status(200);
    form(
        &app,
        &format!("/dashboard/meeting-types/{id}/delete"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(303);
    app.get(&format!("/v4/meeting-type/{id}"), &c.member.auth())
        .await
        .assert_status(404);
}

async fn appointments_are_found_read_moved_and_cancelled(app: TestApp) {
    use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 2, 10, 0);
    let mut body = booking(&mt, start, "grace@example.com");
    body["attendee"]["firstname"] = "Grace".into();
    body["attendee"]["lastname"] = "Hopper".into();
    body["attendee"]["bringalongEmails"] = serde_json::json!(["friend@example.com"]);
    let id = book(&app, &c.member.auth(), body).await;
    book(
        &app,
        &c.member.auth(),
        booking(
            &mt,
            upcoming_weekday("Europe/Berlin", 2, 14, 0),
            "other@example.com",
        ),
    )
    .await;
    app.call(Method::PATCH, &format!("/v4/appointment/{id}/transcription"), &c.member.auth(),
        Some(serde_json::json!({"transcription": "Grace: hello\nHost: hi", "summary": "Said hello."})))
        .await
        .assert_status(200);
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    let list = page(&app, "/dashboard/appointments", Some(&cookie)).await;
    list.assert_status(200);
    assert!(
        list.text.contains("Grace Hopper") && list.text.contains("Ada Guest"),
        "{}",
        list.text
    );
    let found = page(
        &app,
        "/dashboard/appointments?when=upcoming&q=grace",
        Some(&cookie),
    )
    .await;
    assert!(
        found.text.contains("Grace Hopper") && !found.text.contains("Ada Guest"),
        "{}",
        found.text
    );
    let detail = page(
        &app,
        &format!("/dashboard/appointments/{id}"),
        Some(&cookie),
    )
    .await;
    detail.assert_status(200);
    for shown in [
        "grace@example.com",
        "friend@example.com",
        "Said hello.",
        "Grace: hello",
        "Move appointment",
    ] {
        assert!(detail.text.contains(shown), "{shown} missing");
    }
    // Move to the first free time offered.
    let option = detail
        .text
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let to: jiff::Timestamp = option.parse().unwrap();
    form(
        &app,
        &format!("/dashboard/appointments/{id}/move"),
        Some(&cookie),
        &[("csrf", &csrf), ("start", &option)],
    )
    .await
    .assert_status(303);
    let a = app
        .get(&format!("/v4/appointment/{id}"), &c.member.auth())
        .await
        .json();
    assert_eq!(
        a["start"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        to
    );
    // A time that is not free is refused on the page, and nothing moves.
    let taken = form(
        &app,
        &format!("/dashboard/appointments/{id}/move"),
        Some(&cookie),
        &[("csrf", &csrf), ("start", "2001-01-01T00:00:00Z")],
    )
    .await;
    assert!(taken.status.is_client_error(), "{}", taken.status);
    form(
        &app,
        &format!("/dashboard/appointments/{id}/cancel"),
        Some(&cookie),
        &[("csrf", &csrf), ("reason", "Ill")],
    )
    .await
    .assert_status(303);
    let a = app
        .get(&format!("/v4/appointment/{id}"), &c.member.auth())
        .await
        .json();
    assert_eq!(a["isCancelled"], true);
    assert_eq!(a["cancel"]["reason"], "Ill");
    let cancelled = page(
        &app,
        "/dashboard/appointments?when=cancelled",
        Some(&cookie),
    )
    .await;
    assert!(cancelled.text.contains("Grace Hopper"));
    // An admin of the company sees it too.
    let (owner_cookie, _) = cookie_of(&app.session(&c.owner.user).await);
    page(
        &app,
        &format!("/dashboard/appointments/{id}"),
        Some(&owner_cookie),
    )
    .await
    .assert_status(200);
}

async fn contacts_are_searched_edited_imported_and_deleted(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    let csv = "firstName,lastName,email,tags,Company\nAda,Lovelace,ada@example.com,vip;early,Analytical\nGrace,Hopper,grace@example.com,,Navy\nAgain,Ada,ada@example.com,,\n,,,,\n";
    let imported = form(
        &app,
        "/dashboard/contacts/import",
        Some(&cookie),
        &[("csrf", &csrf), ("csv", csv)],
    )
    .await;
    imported.assert_status(200);
    assert!(
        imported.text.contains("2 of 4 rows imported"),
        "{}",
        imported.text
    );
    assert!(
        imported.text.contains("Line 4 (ada@example.com)"),
        "{}",
        imported.text
    );
    assert!(imported.text.contains("Line 5"), "{}", imported.text);
    let unreadable = form(
        &app,
        "/dashboard/contacts/import",
        Some(&cookie),
        &[("csrf", &csrf), ("csv", "name\nx")],
    )
    .await;
    unreadable.assert_status(400);
    let list = page(&app, "/dashboard/contacts?q=lovelace", Some(&cookie)).await;
    assert!(
        list.text.contains("Ada Lovelace") && !list.text.contains("Grace"),
        "{}",
        list.text
    );
    let href = crate::pages::links(&list.text, "/dashboard/contacts/0")[0].clone();
    let detail = page(&app, &href, Some(&cookie)).await;
    assert!(detail.text.contains("vip, early"));
    form(
        &app,
        &href,
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("firstName", "Augusta Ada"),
            ("lastName", "King"),
            ("email", "ada@example.com"),
            ("tags", "vip"),
            ("notes", "Met at the fair"),
        ],
    )
    .await
    .assert_status(303);
    let id = href.rsplit('/').next().unwrap();
    let api = app
        .get(&format!("/crm/details?contactId={id}"), &c.member.auth())
        .await;
    let body = api.json();
    let item = if body.get("item").is_some() {
        body["item"].clone()
    } else {
        body
    };
    assert_eq!(item["firstName"], "Augusta Ada");
    assert_eq!(item["tags"], serde_json::json!(["vip"]));
    let dup = form(
        &app,
        &href,
        Some(&cookie),
        &[("csrf", &csrf), ("email", "grace@example.com")],
    )
    .await;
    assert!(dup.status.is_client_error());
    form(
        &app,
        &format!("{href}/delete"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(303);
    page(&app, &href, Some(&cookie)).await.assert_status(404);
}

async fn webhooks_are_created_rotated_and_their_deliveries_retried(app: TestApp) {
    use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};
    let c = app.company(Plan::Platform).await;
    let (cookie, csrf) = cookie_of(&app.session(&c.admin.user).await);
    let (member, _) = cookie_of(&app.session(&c.member.user).await);
    page(&app, "/dashboard/webhooks", Some(&member))
        .await
        .assert_status(403);
    let bad = form(
        &app,
        "/dashboard/webhooks",
        Some(&cookie),
        &[("csrf", &csrf), ("endpoint", "not a url")],
    )
    .await;
    bad.assert_status(400);
    assert!(
        bad.text.contains("Endpoint:") && bad.text.contains("Events:"),
        "{}",
        bad.text
    );
    let made = form(
        &app,
        "/dashboard/webhooks",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("endpoint", "https://receiver.test/hook"),
            ("events", "booking_created"),
        ],
    )
    .await;
    made.assert_status(201);
    let secret = text_by_id(&made.text, "new-secret").unwrap();
    assert!(!secret.is_empty());
    let href = crate::pages::links(&made.text, "/dashboard/webhooks/0")[0].clone();
    let mt = default_meeting_type(&app, &c.member).await;
    book(
        &app,
        &c.member.auth(),
        booking(
            &mt,
            upcoming_weekday("Europe/Berlin", 2, 11, 0),
            "x@example.com",
        ),
    )
    .await;
    let detail = page(&app, &href, Some(&cookie)).await;
    detail.assert_status(200);
    assert!(detail.text.contains("booking_created"));
    let retry = detail
        .text
        .split("action=\"")
        .find(|s| s.contains("/retry"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    form(&app, &retry, Some(&cookie), &[("csrf", &csrf)])
        .await
        .assert_status(303);
    let rotated = form(
        &app,
        &format!("{href}/rotate"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    rotated.assert_status(200);
    let new_secret = text_by_id(&rotated.text, "new-secret").unwrap();
    assert_ne!(new_secret, secret);
    form(
        &app,
        &format!("{href}/disable"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(303);
    assert!(page(&app, &href, Some(&cookie))
        .await
        .text
        .contains("Disabled"));
    form(
        &app,
        &format!("{href}/delete"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await
    .assert_status(303);
    assert!(app
        .get("/webhooks", &c.admin.auth())
        .await
        .json()
        .as_array()
        .map(|a| a.is_empty())
        .unwrap_or(true));
}

/// No dashboard list loads unbounded rows: what is not paged is capped where it is made.
async fn what_the_dashboard_lists_without_pages_is_capped(app: TestApp) {
    use serde_json::json;
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    // The member starts with one meeting type and one schedule.
    for n in 1..100 {
        let r = app
            .call(Method::POST, "/v4/meeting-type", &auth, Some(json!({"meetingInfo": {"name": format!("Type {n}"), "duration": 30}, "slug": format!("type-{n}")})))
            .await;
        r.assert_status(201);
    }
    let r = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "One more", "duration": 30}, "slug": "one-more"})),
        )
        .await;
    r.assert_status(406);
    for _ in 1..100 {
        app.call(
            Method::POST,
            "/v4/availability",
            &auth,
            Some(json!({"name": "More"})),
        )
        .await
        .assert_status(201);
    }
    app.call(
        Method::POST,
        "/v4/availability",
        &auth,
        Some(json!({"name": "Too many"})),
    )
    .await
    .assert_status(406);
    let (cookie, csrf) = cookie_of(&app.session(&c.member.user).await);
    // The fixture's token is live; 99 more reach the cap.
    for n in 1..100 {
        let name = format!("t{n}");
        form(
            &app,
            "/dashboard/api",
            Some(&cookie),
            &[("csrf", &csrf), ("name", &name), ("expiresInDays", "30")],
        )
        .await
        .assert_status(201);
    }
    let refused = form(
        &app,
        "/dashboard/api",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("name", "one more"),
            ("expiresInDays", "30"),
        ],
    )
    .await;
    assert_eq!(refused.status.as_u16(), 409, "{}", refused.text);
    assert!(refused
        .text
        .contains("At most 100 live personal access tokens"));
}

/// A password set through any link ends the user's other links; a sent account mail keeps no
/// working link in the outbox; API-platform users get no reset mail.
async fn account_links_end_together_and_are_not_kept_once_sent(app: TestApp) {
    use termin_service::mail::{self as mail_svc, Outcome};
    let c = app.company(Plan::Platform).await;
    let (admin, csrf) = cookie_of(&app.session(&c.admin.user).await);
    let invited = form(
        &app,
        "/dashboard/members",
        Some(&admin),
        &[
            ("csrf", &csrf),
            ("email", "lin@example.com"),
            ("givenName", "Lin"),
            ("timezone", "Asia/Tokyo"),
            ("role", "member"),
        ],
    )
    .await;
    invited.assert_status(201);
    let invitation = path_of(&text_by_id(&invited.text, "invite-link").unwrap());
    // She asks for a reset before using the invitation, and sets her password through it.
    form(&app, "/reset", None, &[("email", "lin@example.com")])
        .await
        .assert_status(200);
    let reset = path_of(
        last_mail(&app, "password_reset", "lin@example.com").await["link"]
            .as_str()
            .unwrap(),
    );
    form(
        &app,
        &reset,
        None,
        &[
            ("password", "lin's long password"),
            ("confirm", "lin's long password"),
        ],
    )
    .await
    .assert_status(303);
    // The invitation no longer works: no one else can set her password with it.
    page(&app, &invitation, None).await.assert_status(410);
    // Once a mail with a link is sent, the outbox keeps no working link.
    let svc = &app.state.service;
    let claimed = mail_svc::claim_due(svc, jiff::SignedDuration::from_mins(5), 100)
        .await
        .unwrap();
    let welcome = claimed
        .iter()
        .find(|m| m.record.kind == "welcome")
        .expect("the welcome mail is due");
    assert!(welcome.record.payload.contains("/password/"));
    assert!(mail_svc::record(svc, welcome, &Outcome::Sent)
        .await
        .unwrap());
    let stored = mail_svc::list_all(svc, None, 100).await.unwrap();
    let sent = stored.iter().find(|m| m.id == welcome.record.id).unwrap();
    assert!(!sent.payload.contains("/password/"), "{}", sent.payload);
    assert!(sent.payload.contains(mail_svc::LINK_SENT));
    // An API-platform user gets no reset mail.
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let key = Auth::bearer(&key);
    let created = app
        .call(Method::POST, "/v4/user", &key, Some(serde_json::json!({"email": "bot@example.com", "givenName": "Bot", "familyName": "One", "timezone": "UTC"})))
        .await;
    created.assert_status(201);
    form(&app, "/reset", None, &[("email", "bot@example.com")])
        .await
        .assert_status(200);
    let mails = mail_svc::list_all(svc, None, 100).await.unwrap();
    assert!(!mails
        .iter()
        .any(|m| m.kind == "password_reset" && m.recipient == "bot@example.com"));
}

crate::backend_tests!(
    a_form_without_its_csrf_token_is_refused_and_changes_nothing,
    without_a_session_a_page_leads_to_the_login_and_back,
    members_see_neither_api_keys_nor_members,
    removing_a_member_says_what_ends_and_ends_it,
    an_admin_changes_a_role_and_deactivates_and_reactivates_a_member,
    a_password_reset_link_sets_a_new_password_once_and_ends_every_session,
    an_invited_member_chooses_a_password_and_logs_in,
    the_setup_link_creates_the_first_workspace_once,
    editing_availability_changes_the_bookable_times,
    meeting_types_are_created_and_edited_in_every_field,
    appointments_are_found_read_moved_and_cancelled,
    contacts_are_searched_edited_imported_and_deleted,
    webhooks_are_created_rotated_and_their_deliveries_retried,
    what_the_dashboard_lists_without_pages_is_capped,
    account_links_end_together_and_are_not_kept_once_sent,
);

/// The API reference at `/docs`: grouped in a newcomer's order, markdown rendered, an example
/// request and response for every operation, and a search that works without script.
#[tokio::test]
async fn the_reference_is_grouped_rendered_exemplified_and_searchable() {
    let app = TestApp::sqlite().await;
    let r = page(&app, "/docs", None).await;
    r.assert_status(200);
    let csp = r
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = &r.text;
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("<h2>Your account and users</h2>") < at("<h2>Meeting types</h2>"));
    assert!(at("<h2>Booking</h2>") < at("<h2>Appointments</h2>"));
    assert!(
        at("<h2>Appointments</h2>") < at("<h2>Dashboard session</h2>"),
        "the session-only routes come late"
    );
    // Markdown is rendered: no backticks are left in the text.
    assert!(html.contains("<code>x-meetergo-api-user-id</code>"));
    assert!(!html.contains("`Authorization"));
    // Every operation has its example request, and the ones with a JSON answer an example of it.
    let doc: Value = serde_json::from_str(&page(&app, "/openapi.json", None).await.text).unwrap();
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| {
            ["get", "post", "put", "patch", "delete"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count()
        })
        .sum();
    assert_eq!(html.matches("<h4>Example request</h4>").count(), operations);
    assert_eq!(html.matches("class=\"card panel op\"").count(), operations);
    assert!(
        html.contains("curl -X POST &#39;http://")
            || html.contains("curl -X POST 'http://")
            || html.contains("curl -X POST &#x27;"),
        "curl examples"
    );
    assert!(
        html.contains("&quot;meetingTypeId&quot;") || html.contains("\"meetingTypeId\""),
        "a body example"
    );
    // Search without script: only matching operations are sent.
    let found = page(&app, "/docs?q=webhooks+retry", None).await;
    assert_eq!(
        found.text.matches("class=\"card panel op\"").count(),
        1,
        "{}",
        found.text.len()
    );
    assert!(found.text.contains("1 operation matches"));
    let none = page(&app, "/docs?q=nothing-like-this", None).await;
    assert!(none.text.contains("0 operations match"));
}
