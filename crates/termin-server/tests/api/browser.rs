//! The booking pages in a real browser: headless Chromium driven through ChromeDriver (Debian's
//! `chromium` and `chromium-driver`), against a `termin serve` process. A visitor in another
//! zone books, reschedules and cancels, with script and without; two browsers race for one
//! time; every page passes axe-core at WCAG 2.1 AA.
//!
//! Where Chromium is not installed these tests say so and pass, unless
//! `TERMIN_TEST_REQUIRE_BROWSER=1` (CI sets it). axe-core comes from npm
//! (`target/ci-axe/node_modules/axe-core`, or `TERMIN_AXE_CORE=path/to/axe.min.js`). With
//! `TERMIN_SCREENSHOTS=DIR` the tests also save each page at desktop and phone width there
//! (that is how `docs/screenshots/` is made).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::Method;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;

use crate::helpers::{sqlite_url, test_config, Company, TestApp};
use crate::process::Server;
use crate::scheduling::default_meeting_type;
use crate::smtp::free_port;

/// The visitor's zone: the browser runs in it (the host is in Europe/Berlin).
const VISITOR_ZONE: &str = "America/Los_Angeles";

pub(crate) fn required() -> bool {
    std::env::var("TERMIN_TEST_REQUIRE_BROWSER").as_deref() == Ok("1")
}

/// A ChromeDriver process on a free port, with the browser in [`VISITOR_ZONE`].
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub(crate) fn start() -> Option<Self> {
        let present = ["/usr/bin/chromedriver", "/usr/bin/chromium"]
            .iter()
            .all(|p| std::path::Path::new(p).exists());
        if !present {
            assert!(
                !required(),
                "TERMIN_TEST_REQUIRE_BROWSER=1 but chromium or chromium-driver is not installed"
            );
            eprintln!(
                "note: chromium and chromium-driver are not installed; skipping a browser test"
            );
            return None;
        }
        let port = free_port();
        let child = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .env("TZ", VISITOR_ZONE)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, port })
    }

    pub(crate) async fn browser(&self, script: bool) -> Client {
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--disable-quic", "--window-size=1280,1000", "--lang=en-US"],
        });
        if !script {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a browser session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A host with a meeting type that asks a required question, served by a real process.
struct Site {
    app: TestApp,
    company: Company,
    server: Server,
    booking_path: String,
    _dir: tempfile::TempDir,
}

async fn site() -> Site {
    let (url, dir) = sqlite_url();
    let app = TestApp::with_url(url.clone(), None, test_config()).await;
    let company = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &company.member).await;
    let patch = json!({
        "meetingInfo": {"description": "A first conversation about what you need."},
        "meetingOptions": {"allowedDurations": [60]},
        "bookingQuestions": [
            {"id": "company", "label": "Your company", "type": "text", "required": true},
            {"id": "topic", "label": "Topic", "type": "choice", "options": ["Sales", "Support"]}
        ]
    });
    let path = format!("/v4/meeting-type/{}", mt["id"].as_str().unwrap());
    app.call(Method::PATCH, &path, &company.member.auth(), Some(patch))
        .await
        .assert_status(200);
    let page = json!({"description": "Product questions, demos and first steps.",
        "onlineProfiles": {"linkedIn": "https://www.linkedin.com/in/example"}});
    app.call(
        Method::PATCH,
        "/v4/personal-page/me",
        &company.member.auth(),
        Some(page),
    )
    .await
    .assert_status(200);
    let server = Server::start(&url, &[]);
    let booking_path = format!(
        "/{}/{}",
        company.member.user.slug,
        mt["slug"].as_str().unwrap()
    );
    Site {
        app,
        company,
        server,
        booking_path,
        _dir: dir,
    }
}

impl Site {
    async fn appointments(&self) -> Vec<Value> {
        let r = self
            .app
            .get("/v4/appointment/paginated", &self.company.member.auth())
            .await;
        r.json()["appointments"].as_array().unwrap().clone()
    }
}

/// axe-core's source, or `None` (with a note) where it is not installed.
pub(crate) fn axe_source() -> Option<String> {
    let path = std::env::var("TERMIN_AXE_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/ci-axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(_) => {
            assert!(
                !required(),
                "axe-core is not installed at {}",
                path.display()
            );
            eprintln!("note: axe-core is not installed; skipping the accessibility checks");
            None
        }
    }
}

/// The page's WCAG 2.1 AA violations, as axe-core reports them.
pub(crate) async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    let script = format!(
        "const done = arguments[arguments.length - 1];\n{axe}\n\
         axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}})\
           .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\
           .catch(e => done(['axe failed: ' + e]));"
    );
    let result = client
        .execute_async(&script, vec![])
        .await
        .expect("axe ran");
    serde_json::from_value(result.clone())
        .unwrap_or_else(|_| panic!("axe answered a list of violations, not {result}"))
}

/// Checks the page with axe-core (when installed) and saves its screenshots (when asked).
pub(crate) async fn look_at(client: &Client, axe: Option<&str>, name: &str) {
    if let Some(axe) = axe {
        let violations = axe_violations(client, axe).await;
        assert!(violations.is_empty(), "{name}: {violations:#?}");
    }
    if let Ok(dir) = std::env::var("TERMIN_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (suffix, width, height) in [("desktop", 1280, 1000), ("phone", 360, 1400)] {
            client.set_window_size(width, height).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            let png = client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{suffix}.png")), png).unwrap();
        }
        client.set_window_size(1280, 1000).await.unwrap();
    }
}

/// Waits until `css` matches an element, and returns it.
pub(crate) async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

/// The text of `css`, once it is there (a page being replaced is read again).
pub(crate) async fn text_of(client: &Client, css: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = wait_for(client, css).await.text().await {
            return text;
        }
        assert!(Instant::now() < deadline, "{css} could not be read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks what loads a new page (a link or a form's button) and waits until the browser is on
/// it.
pub(crate) async fn navigate(client: &Client, css: &str) {
    let before = client.current_url().await.unwrap();
    wait_for(client, css).await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.current_url().await.unwrap() == before {
        assert!(Instant::now() < deadline, "clicking {css} loaded no page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for(client, "footer").await;
}

pub(crate) async fn href(client: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in client.find_all(Locator::Css(css)).await.unwrap() {
        out.extend(e.attr("href").await.unwrap());
    }
    out
}

/// Waits until the page's `css` text differs from `before` (a day or month swapped in place).
async fn wait_change(client: &Client, css: &str, before: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            if e.text().await.map(|t| t != before).unwrap_or(false) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{css} still reads {before}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn param(href: &str, key: &str) -> Option<String> {
    crate::pages::param(href, key)
}

/// Clicks `css`. Where it loads a new page (`loads`), waits until the browser is on it; where
/// script swaps part of the page in place, the caller waits for that part.
async fn press(client: &Client, css: &str, loads: bool) {
    if loads {
        navigate(client, css).await;
    } else {
        wait_for(client, css).await.click().await.unwrap();
    }
}

/// On the calendar step: goes to the next month, picks its second free day, and returns the
/// link of that day's first free time.
async fn pick_a_time(client: &Client, script: bool) -> String {
    let month = text_of(client, "#month-label").await;
    press(client, "a[aria-label='Next month']", !script).await;
    if script {
        wait_change(client, "#month-label", &month).await;
    }
    let days = href(client, "table.month a").await;
    assert!(days.len() >= 2, "free days next month: {days:?}");
    let day = text_of(client, "#day-label").await;
    press(
        client,
        &format!("table.month a[href='{}']", days[1]),
        !script,
    )
    .await;
    if script {
        wait_change(client, "#day-label", &day).await;
    }
    let times = href(client, ".times a").await;
    assert!(!times.is_empty());
    times[0].clone()
}

pub(crate) async fn fill(client: &Client, css: &str, text: &str) {
    let e = wait_for(client, css).await;
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// The whole flow of one visitor: book in their zone, reschedule, cancel.
async fn book_move_and_cancel(site: &Site, client: &Client, script: bool, axe: Option<&str>) {
    let base = site.server.url(&site.booking_path);
    if script {
        // The personal page first, as a visitor arriving from a link.
        client
            .goto(
                &site
                    .server
                    .url(&format!("/{}", site.company.member.user.slug)),
            )
            .await
            .unwrap();
        wait_for(client, "ul.types a").await;
        look_at(client, axe, "personal-page").await;
        wait_for(client, "ul.types a").await.click().await.unwrap();
        // Script finds the visitor's zone and shows times in it.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("tz=America%2FLos_Angeles")
        {
            assert!(Instant::now() < deadline, "the zone was not detected");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    } else {
        // Without script the visitor picks their zone from the list.
        client.goto(&base).await.unwrap();
        wait_for(client, "select#tz")
            .await
            .select_by_label(VISITOR_ZONE)
            .await
            .unwrap();
        press(client, "form.zone button", true).await;
        assert!(client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .contains("tz=America%2FLos_Angeles"));
    }
    look_at(client, axe, "booking-calendar").await;
    let time_link = pick_a_time(client, script).await;
    let start: jiff::Timestamp = param(&time_link, "time").unwrap().parse().unwrap();
    press(client, &format!(".times a[href='{time_link}']"), !script).await;
    let chosen = text_of(client, "#chosen-label").await;
    let la = start.to_zoned_datetime(jiff::tz::TimeZone::get(VISITOR_ZONE).unwrap());
    assert!(
        chosen.contains(&la.strftime("%H:%M").to_string()),
        "{chosen} reads in {VISITOR_ZONE}"
    );
    // Send without the required answer: the page says what is missing and keeps the rest.
    fill(client, "#name", "Grace Hopper").await;
    fill(client, "#email", "grace@example.com").await;
    fill(client, "#notes", "About compilers").await;
    client
        .execute(
            "document.querySelector('form[method=post]').noValidate = true",
            vec![],
        )
        .await
        .ok();
    if !script {
        // (No script to lift the browser's own check: the required field blocks the send.)
        fill(client, "#q-company", "Navy").await;
    } else {
        press(client, "button[type=submit]", true).await;
        let error = text_of(client, "#q-company-error").await;
        assert!(error.contains("required"), "{error}");
        let kept = wait_for(client, "#name").await.prop("value").await.unwrap();
        assert_eq!(kept.as_deref(), Some("Grace Hopper"));
        fill(client, "#q-company", "Navy").await;
    }
    wait_for(client, "#q-topic")
        .await
        .select_by_label("Support")
        .await
        .unwrap();
    look_at(client, axe, "booking-form").await;
    press(client, "button[type=submit]", true).await;
    let notice = text_of(client, ".notice.ok").await;
    assert!(notice.contains("Your booking is confirmed"), "{notice}");
    look_at(client, axe, "booking-confirmed").await;
    // The host sees it at that instant, with the answers.
    let list = site.appointments().await;
    let mine = list
        .iter()
        .find(|a| a["attendees"][0]["email"] == "grace@example.com" && a["isCancelled"] == false)
        .expect("the booking");
    assert_eq!(
        mine["start"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        start
    );
    let attendee = &mine["attendees"][0];
    assert_eq!(attendee["timezone"], VISITOR_ZONE);
    assert_eq!(attendee["notes"]["company"], "Navy");
    assert_eq!(attendee["notes"]["topic"], "Support");
    let id = mine["id"].as_str().unwrap().to_owned();

    // Reschedule through the manage page.
    press(client, "a[href$='/reschedule']", true).await;
    look_at(client, axe, "reschedule-calendar").await;
    let times = href(client, ".times a").await;
    let new_link = times
        .iter()
        .find(|h| param(h, "time").map(|t| t.parse::<jiff::Timestamp>().unwrap()) != Some(start))
        .expect("another free time")
        .clone();
    let new_start: jiff::Timestamp = param(&new_link, "time").unwrap().parse().unwrap();
    press(client, &format!(".times a[href='{new_link}']"), !script).await;
    wait_for(client, "#chosen-label").await;
    press(client, "button[type=submit]", true).await;
    let notice = text_of(client, ".notice.ok").await;
    assert!(notice.contains("moved"), "{notice}");
    let a = site
        .app
        .get(
            &format!("/v4/appointment/{id}"),
            &site.company.member.auth(),
        )
        .await
        .json();
    assert_eq!(
        a["start"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap(),
        new_start
    );

    // Cancel with a reason.
    fill(client, "#reason", "Found the answer in the docs").await;
    press(client, "button.danger", true).await;
    let notice = text_of(client, ".notice.ok").await;
    assert!(notice.contains("cancelled"), "{notice}");
    look_at(client, axe, "booking-cancelled").await;
    let a = site
        .app
        .get(
            &format!("/v4/appointment/{id}"),
            &site.company.member.auth(),
        )
        .await
        .json();
    assert_eq!(a["isCancelled"], true);
    assert_eq!(a["cancel"]["reason"], "Found the answer in the docs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_books_moves_and_cancels_in_a_browser() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let axe = axe_source();
    let site = site().await;
    let client = driver.browser(true).await;
    book_move_and_cancel(&site, &client, true, axe.as_deref()).await;
    // The confirmation e-mail, as a mail program shows its HTML.
    if std::env::var("TERMIN_SCREENSHOTS").is_ok() {
        let mails = termin_service::mail::list_all(&site.app.state.service, None, 50)
            .await
            .unwrap();
        let confirmation = mails
            .iter()
            .rev()
            .find(|m| m.kind == "confirmation")
            .unwrap();
        let html = termin_server::mail::render(confirmation).unwrap().html;
        client.goto("about:blank").await.unwrap();
        client
            .execute(
                "document.open(); document.write(arguments[0]); document.close();",
                vec![json!(html)],
            )
            .await
            .unwrap();
        look_at(&client, None, "mail-confirmation").await;
    }
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flow_works_without_javascript() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let site = site().await;
    let client = driver.browser(false).await;
    book_move_and_cancel(&site, &client, false, None).await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browsers_race_for_one_time() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let axe = axe_source();
    let site = site().await;
    let (a, b) = (driver.browser(true).await, driver.browser(true).await);
    let url = site
        .server
        .url(&format!("{}?tz={VISITOR_ZONE}", site.booking_path));
    a.goto(&url).await.unwrap();
    let time_link = pick_a_time(&a, true).await;
    for (client, name) in [(&a, "Ada First"), (&b, "Bob Second")] {
        client.goto(&site.server.url(&time_link)).await.unwrap();
        fill(client, "#name", name).await;
        fill(
            client,
            "#email",
            &format!(
                "{}@example.com",
                name.split(' ').next().unwrap().to_lowercase()
            ),
        )
        .await;
        fill(client, "#q-company", "Acme").await;
    }
    press(&a, "button[type=submit]", true).await;
    assert!(text_of(&a, ".notice.ok").await.contains("confirmed"));
    press(&b, "button[type=submit]", true).await;
    let notice = text_of(&b, ".notice.warn").await;
    assert!(
        notice.contains("someone has just booked this time"),
        "{notice}"
    );
    let kept = wait_for(&b, "#name").await.prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("Bob Second"), "the input is kept");
    let offered = b
        .find_all(Locator::Css("input[type=radio][name=start]"))
        .await
        .unwrap();
    assert!(!offered.is_empty(), "fresh times are offered");
    look_at(&b, axe.as_deref(), "booking-taken").await;
    // Bob takes one of them.
    offered[0].click().await.unwrap();
    press(&b, "button[type=submit]", true).await;
    assert!(text_of(&b, ".notice.ok").await.contains("confirmed"));
    assert_eq!(site.appointments().await.len(), 2);
    a.close().await.unwrap();
    b.close().await.unwrap();
}
