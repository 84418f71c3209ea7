//! The seed's credential flows, done as a person does them: in headless Chromium against a
//! `termin serve` process (the setup of `browser.rs`). A member makes and revokes a token, an
//! admin makes a Platform API Key and removes the member, availability edits reach the booking
//! page, a form without its CSRF token is refused, and the first workspace is set up through
//! the link the server prints. Every page passes axe-core at WCAG 2.1 AA; with
//! `TERMIN_SCREENSHOTS=DIR` each is saved at desktop and phone width.

use fantoccini::{Client, Locator};
use serde_json::Value;
use termin_domain::tenancy::Plan;

use crate::browser::{axe_source, fill, href, look_at, navigate, text_of, wait_for, Driver};
use crate::helpers::{sqlite_url, test_config, TestApp};
use crate::process::Server;

const SERVER_ENV: &[(&str, &str)] = &[
    ("TERMIN_INSECURE_COOKIES", "true"),
    // The webhook page's endpoint is a closed port of this machine (no DNS in tests).
    ("TERMIN_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "true"),
];

async fn log_in(client: &Client, server: &Server, email: &str, password: &str) {
    client.goto(&server.url("/login")).await.unwrap();
    fill(client, "#email", email).await;
    fill(client, "#password", password).await;
    navigate(client, "form[action='/login'] button[type=submit]").await;
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/dashboard", "{email} did not get in");
}

/// `GET path` with a bearer credential (and the acting-user header): status and body.
async fn api(server: &Server, path: &str, token: &str, acting: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token);
    if let Some(user) = acting {
        req = req.header("x-meetergo-api-user-id", user);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Clicks a form's button and waits for its answer, even when it has the same URL (a form that
/// answers with the page it was on). With script the dashboard swaps its content in place, so
/// the mark is on the dashboard's content (or the document, elsewhere), and the wait is for
/// content without it.
async fn submit(client: &Client, css: &str) {
    const MARKED: &str = "(document.querySelector('.dash') || document.documentElement)";
    client
        .execute(&format!("{MARKED}.dataset.old = '1'"), vec![])
        .await
        .unwrap();
    wait_for(client, css).await.click().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let fresh = client
            .execute(
                &format!("return document.readyState === 'complete' && !{MARKED}.dataset.old"),
                vec![],
            )
            .await
            .map(|v| v == Value::Bool(true))
            .unwrap_or(false);
        if fresh {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "submitting {css} loaded no page"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_for(client, "footer").await;
}

async fn heading(client: &Client) -> String {
    text_of(client, "h1").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_and_admins_manage_credentials_and_people_in_a_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let axe = axe_source();
    let axe = axe.as_deref();
    let (url, _dir) = sqlite_url();
    let app = TestApp::with_url(url.clone(), None, test_config()).await;
    let c = app.company(Plan::Platform).await;
    // The admin has a booking to look at in Appointments (and its attendee in Contacts).
    let mt = crate::scheduling::default_meeting_type(&app, &c.admin).await;
    let mut body = crate::scheduling::booking(
        &mt,
        crate::scheduling::upcoming_weekday("Europe/Berlin", 3, 11, 0),
        "grace@example.com",
    );
    body["attendee"]["firstname"] = "Grace".into();
    body["attendee"]["lastname"] = "Hopper".into();
    crate::scheduling::book(&app, &c.admin.auth(), body).await;
    let server = Server::start(&url, SERVER_ENV);
    let password = "correct horse battery";
    let member_id = c.member.user.id.to_string();

    // A member logs in, creates a PAT, copies it from the page and reads /v4/user/me with it.
    let member = driver.browser(true).await;
    member.goto(&server.url("/login")).await.unwrap();
    look_at(&member, axe, "dashboard-login").await;
    log_in(&member, &server, &c.member.user.email, password).await;
    look_at(&member, axe, "dashboard-home").await;
    navigate(&member, ".dash-nav a[href='/dashboard/api']").await;
    fill(&member, "#name", "My script").await;
    // With script the answer replaces the page's content: the document stays.
    member
        .execute("window.sameDocument = true", vec![])
        .await
        .unwrap();
    submit(&member, "form[action='/dashboard/api'] button[type=submit]").await;
    let secret = text_of(&member, "#new-secret").await;
    assert_eq!(
        member
            .execute("return window.sameDocument === true", vec![])
            .await
            .unwrap(),
        Value::Bool(true),
        "no full reload"
    );
    // Script shows the copy button, and it copies (or selects) the secret.
    let copy = wait_for(&member, "button[data-copy='new-secret']").await;
    assert!(
        copy.is_displayed().await.unwrap(),
        "the copy button shows with script"
    );
    look_at(&member, axe, "dashboard-tokens").await;
    let (status, me) = api(&server, "/v4/user/me", &secret, None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], member_id.as_str(), "the token acts as the member");

    // The API reference: search as you type, and "try it" with the token pasted into the page.
    member.goto(&server.url("/docs")).await.unwrap();
    wait_for(&member, "#try-token").await;
    look_at(&member, axe, "reference").await;
    fill(&member, "#docs-search", "user me").await;
    let me_op = wait_for(&member, "article.op[id='op-get_me']").await;
    assert!(me_op.is_displayed().await.unwrap());
    let other = member
        .find(Locator::Css("article.op[id='op-create_booking']"))
        .await
        .unwrap();
    assert!(
        !other.is_displayed().await.unwrap(),
        "search hides what does not match"
    );
    fill(&member, "#try-token", &secret).await;
    member
        .find(Locator::Css(
            "article#op-get_me form[data-try] button[type=submit]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let answer = text_of(&member, "article#op-get_me .try-result pre").await;
    assert!(answer.contains(&c.member.user.email), "{answer}");
    assert!(text_of(&member, "article#op-get_me .status-line")
        .await
        .starts_with("200"));
    look_at(&member, axe, "reference-try-it").await;
    member.goto(&server.url("/dashboard/api")).await.unwrap();

    // The member revokes it (after confirming), and the next request with it is 401.
    let revoke = member
        .find(Locator::XPath(
            "//tr[td[normalize-space()='My script']]//a[contains(@href, '/revoke')]",
        ))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    navigate(&member, &format!("a[href='{revoke}']")).await;
    assert!(heading(&member).await.contains("Revoke “My script”?"));
    look_at(&member, axe, "dashboard-confirm").await;
    navigate(&member, "form button.danger").await;
    assert_eq!(api(&server, "/v4/user/me", &secret, None).await.0, 401);

    // The member opens the API keys URL: 403, and the menu never offered it.
    assert!(href(&member, ".dash-nav a")
        .await
        .iter()
        .all(|h| !h.contains("api-keys")));
    let r = reqwest::Client::new()
        .get(server.url("/dashboard/settings/api-keys"))
        .header("cookie", cookie_header(&member).await)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    member
        .goto(&server.url("/dashboard/settings/api-keys"))
        .await
        .unwrap();
    assert_eq!(heading(&member).await, "Not allowed");

    // A form posted without its CSRF token is refused, and nothing is made.
    member.goto(&server.url("/dashboard/api")).await.unwrap();
    fill(&member, "#name", "Forged").await;
    member
        .execute(
            "document.querySelector(\"form[action='/dashboard/api'] input[name=csrf]\").remove()",
            vec![],
        )
        .await
        .unwrap();
    submit(&member, "form[action='/dashboard/api'] button[type=submit]").await;
    assert_eq!(heading(&member).await, "This form has expired");
    member.goto(&server.url("/dashboard/api")).await.unwrap();
    assert!(!member.source().await.unwrap().contains("Forged"));

    // An admin creates a Platform API Key in Settings and acts for the member with it.
    let admin = driver.browser(true).await;
    log_in(&admin, &server, &c.admin.user.email, password).await;
    navigate(&admin, ".dash-nav a[href='/dashboard/settings/api-keys']").await;
    fill(&admin, "#name", "Back office").await;
    fill(&admin, "#expiresInDays", "30").await;
    submit(
        &admin,
        "form[action='/dashboard/settings/api-keys'] button[type=submit]",
    )
    .await;
    let key = text_of(&admin, "#new-secret").await;
    look_at(&admin, axe, "dashboard-api-keys").await;
    let (status, me) = api(&server, "/v4/user/me", &key, Some(&member_id)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], member_id.as_str());

    // The admin removes the member: the page says what ends, and it ends.
    navigate(&admin, ".dash-nav a[href='/dashboard/members']").await;
    look_at(&admin, axe, "dashboard-members").await;
    navigate(&admin, &format!("a[href='/dashboard/members/{member_id}']")).await;
    look_at(&admin, axe, "dashboard-member").await;
    navigate(&admin, "a[href$='/remove']").await;
    let text = text_of(&admin, ".panel p").await;
    assert!(text.contains("Their 1 token stops working now."), "{text}");
    navigate(&admin, "form button.danger").await;
    assert_eq!(
        api(&server, "/v4/user/me", &c.member.pat, None).await.0,
        401
    );
    member.goto(&server.url("/dashboard")).await.unwrap();
    wait_for(&member, "form[action='/login']").await;
    assert_eq!(
        member.current_url().await.unwrap().path(),
        "/login",
        "the member's session is gone"
    );

    // Editing availability changes the bookable times on the public page.
    navigate(&admin, ".dash-nav a[href='/dashboard/availability']").await;
    for day in ["monday", "tuesday", "thursday", "friday"] {
        let b = wait_for(&admin, &format!("input[type=checkbox][name={day}]")).await;
        if b.prop("checked").await.unwrap().as_deref() == Some("true") {
            b.click().await.unwrap();
        }
    }
    let start = admin
        .find(Locator::Css("input[name='wednesday.start']"))
        .await
        .unwrap();
    start.clear().await.unwrap();
    start.send_keys("10:00").await.unwrap();
    let end = admin
        .find(Locator::Css("input[name='wednesday.end']"))
        .await
        .unwrap();
    end.clear().await.unwrap();
    end.send_keys("11:00").await.unwrap();
    submit(
        &admin,
        "form[action^='/dashboard/availability'] button[type=submit]",
    )
    .await;
    let preview = text_of(&admin, ".preview").await;
    assert!(
        preview.contains("Wednesday") && preview.contains("10:00") && preview.contains("10:30"),
        "{preview}"
    );
    assert!(
        !preview.contains("Monday") && !preview.contains("11:00"),
        "{preview}"
    );
    look_at(&admin, axe, "dashboard-availability").await;
    admin
        .goto(&server.url(&format!("/{}/30min?tz=Europe/Berlin", c.admin.user.slug)))
        .await
        .unwrap();
    let days = href(&admin, "table.month a").await;
    assert!(!days.is_empty(), "the booking page offers days");
    for d in &days {
        let date: jiff::civil::Date = crate::pages::param(d, "date").unwrap().parse().unwrap();
        assert_eq!(date.weekday(), jiff::civil::Weekday::Wednesday, "{d}");
    }
    navigate(&admin, &format!("table.month a[href='{}']", days[0])).await;
    let times: Vec<String> = {
        let mut out = Vec::new();
        for e in admin.find_all(Locator::Css(".times a")).await.unwrap() {
            out.push(e.text().await.unwrap());
        }
        out
    };
    assert_eq!(times, ["10:00", "10:30"]);

    // Every other page of the admin's dashboard passes axe (and is photographed).
    admin
        .goto(&server.url("/dashboard/contacts/import"))
        .await
        .unwrap();
    fill(&admin, "#csv", "firstName,lastName,email,tags\nAda,Lovelace,ada@example.com,vip;early\nAda,Again,ada@example.com,\n").await;
    submit(
        &admin,
        "form[action='/dashboard/contacts/import'] button[type=submit]",
    )
    .await;
    assert!(text_of(&admin, ".notice")
        .await
        .contains("1 of 2 rows imported"));
    look_at(&admin, axe, "dashboard-import").await;
    for (path, name) in [
        ("/dashboard/meeting-types", "dashboard-meeting-types"),
        ("/dashboard/personal-page", "dashboard-personal-page"),
        ("/dashboard/appointments", "dashboard-appointments"),
        ("/dashboard/contacts", "dashboard-contacts"),
        ("/dashboard/webhooks", "dashboard-webhooks"),
        ("/dashboard/export", "dashboard-export"),
    ] {
        admin.goto(&server.url(path)).await.unwrap();
        wait_for(&admin, "footer").await;
        look_at(&admin, axe, name).await;
    }
    for (list, link, name) in [
        (
            "/dashboard/meeting-types",
            ".type-list a",
            "dashboard-meeting-type",
        ),
        (
            "/dashboard/appointments",
            "table.list a",
            "dashboard-appointment",
        ),
        ("/dashboard/contacts", "table.list a", "dashboard-contact"),
    ] {
        admin.goto(&server.url(list)).await.unwrap();
        navigate(&admin, link).await;
        look_at(&admin, axe, name).await;
    }
    admin
        .goto(&server.url("/dashboard/webhooks"))
        .await
        .unwrap();
    fill(&admin, "#endpoint", "http://127.0.0.1:9/termin").await;
    submit(
        &admin,
        "form[action='/dashboard/webhooks'] button[type=submit]",
    )
    .await;
    navigate(&admin, ".type-list a").await;
    look_at(&admin, axe, "dashboard-webhook").await;
    member.close().await.unwrap();
    admin.close().await.unwrap();
}

/// The `Cookie` header a browser sends to the server.
async fn cookie_header(client: &Client) -> String {
    client
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_workspace_is_set_up_through_the_printed_link_and_people_are_invited() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let axe = axe_source();
    let axe = axe.as_deref();
    let (url, _dir) = sqlite_url();
    let server = Server::start(&url, SERVER_ENV);
    let link = server
        .output
        .lock()
        .unwrap()
        .iter()
        .find_map(|l| l.trim().strip_prefix(&server.base).map(|p| p.to_owned()))
        .filter(|p| p.starts_with("/setup/"))
        .unwrap_or_else(|| panic!("no setup link printed: {:?}", server.output.lock().unwrap()));
    let owner = driver.browser(true).await;
    owner.goto(&server.url(&link)).await.unwrap();
    assert_eq!(heading(&owner).await, "Set up termin");
    look_at(&owner, axe, "dashboard-setup").await;
    for (field, value) in [
        ("#company", "Ada's Agency"),
        ("#givenName", "Ada"),
        ("#familyName", "Lovelace"),
        ("#email", "ada@example.com"),
        ("#password", "ada's long password"),
    ] {
        fill(&owner, field, value).await;
    }
    // Script chose the browser's zone; Ada picks hers.
    let zone = wait_for(&owner, "#timezone")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(zone.as_deref(), Some("America/Los_Angeles"));
    owner
        .execute(
            "document.querySelector('#timezone').value = 'Europe/London'",
            vec![],
        )
        .await
        .unwrap();
    navigate(&owner, "form button[type=submit]").await;
    assert_eq!(owner.current_url().await.unwrap().path(), "/login");
    log_in(&owner, &server, "ada@example.com", "ada's long password").await;
    // A second visit to the link is refused.
    owner.goto(&server.url(&link)).await.unwrap();
    assert_eq!(heading(&owner).await, "Link no longer works");

    // The owner invites a member; the invitation link lets them choose a password.
    owner.goto(&server.url("/dashboard/members")).await.unwrap();
    for (field, value) in [
        ("#email", "grace@example.com"),
        ("#givenName", "Grace"),
        ("#familyName", "Hopper"),
    ] {
        fill(&owner, field, value).await;
    }
    submit(
        &owner,
        "form[action='/dashboard/members'] button[type=submit]",
    )
    .await;
    let invitation = text_of(&owner, "#invite-link").await;
    look_at(&owner, axe, "dashboard-invited").await;
    let grace = driver.browser(true).await;
    grace.goto(&invitation).await.unwrap();
    assert_eq!(heading(&grace).await, "Choose a password");
    look_at(&grace, axe, "dashboard-password").await;
    fill(&grace, "#password", "grace's own password").await;
    fill(&grace, "#confirm", "grace's own password").await;
    navigate(&grace, "form button[type=submit]").await;
    log_in(&grace, &server, "grace@example.com", "grace's own password").await;
    grace.goto(&server.url("/reset")).await.unwrap();
    look_at(&grace, axe, "dashboard-reset").await;

    // Without script every step is the same form; only the copy button stays hidden.
    let plain = driver.browser(false).await;
    log_in(&plain, &server, "grace@example.com", "grace's own password").await;
    navigate(&plain, ".dash-nav a[href='/dashboard/api']").await;
    fill(&plain, "#name", "No script").await;
    submit(&plain, "form[action='/dashboard/api'] button[type=submit]").await;
    let secret = text_of(&plain, "#new-secret").await;
    assert!(secret.starts_with("rgo-"));
    let copy = wait_for(&plain, "button[data-copy='new-secret']").await;
    assert!(!copy.is_displayed().await.unwrap());
    assert_eq!(
        api(&server, "/v4/user/me", &secret, None).await.1["email"],
        "grace@example.com"
    );
    owner.close().await.unwrap();
    grace.close().await.unwrap();
    plain.close().await.unwrap();
}

/// A member connects their CalDAV account in Integrations → Calendars, picks the calendar that
/// receives bookings, syncs, and removes the connection after confirming.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_connects_a_calendar_in_a_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let user = ("host", "s3cret-app-password");
    let Some(radicale) = crate::radicale::Radicale::start(&[user]) else {
        return;
    };
    radicale.calendar(user, "work").await;
    radicale.calendar(user, "family").await;
    let axe = axe_source();
    let axe = axe.as_deref();
    let (url, _dir) = sqlite_url();
    let app = TestApp::with_url(url.clone(), None, test_config()).await;
    let c = app.company(Plan::Platform).await;
    let server = Server::start(&url, SERVER_ENV);
    let member = driver.browser(true).await;
    log_in(
        &member,
        &server,
        &c.member.user.email,
        "correct horse battery",
    )
    .await;
    navigate(&member, ".dash-nav a[href='/dashboard/calendars']").await;
    assert_eq!(heading(&member).await, "Integrations → Calendars");
    fill(&member, "#caldav-url", &radicale.url()).await;
    fill(&member, "#username", user.0).await;
    fill(&member, "#password", user.1).await;
    submit(
        &member,
        "form[action='/dashboard/calendars'] input[value=caldav] ~ button[type=submit]",
    )
    .await;
    let notice = text_of(&member, ".notice.ok").await;
    assert!(notice.contains("Connected host: 2 calendars"), "{notice}");
    member
        .find(Locator::Css("input[name=bookings][value=work]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    member
        .find(Locator::Css("input[name=busy][value=family]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit(
        &member,
        "form[action^='/dashboard/calendars/'] button[type=submit]",
    )
    .await;
    let (status, list) = api(
        &server,
        "/v4/calendar-connections/connections",
        &c.member.pat,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let calendars = list[0]["calendars"].as_array().unwrap();
    let of = |id: &str| calendars.iter().find(|k| k["id"] == id).unwrap().clone();
    assert_eq!(of("work")["writeBookings"], true);
    assert_eq!(of("family")["readForConflicts"], false);
    look_at(&member, axe, "dashboard-calendars").await;
    submit(&member, "form[action$='/sync'] button[type=submit]").await;
    assert!(text_of(&member, ".notice.ok")
        .await
        .starts_with("Synced host"));
    navigate(&member, "a[href$='/remove']").await;
    look_at(&member, axe, "dashboard-calendars-remove").await;
    navigate(&member, "form button.danger").await;
    assert!(text_of(&member, ".card.panel p.muted")
        .await
        .contains("No calendars connected yet"));
}
