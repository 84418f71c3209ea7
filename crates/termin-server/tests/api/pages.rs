//! The public pages through HTTP, as a browser without script uses them: links and form posts.
//! (The browser tests drive the same pages in Chromium.)

use axum::body::Body;
use axum::http::{header, Method, Request};
use jiff::Timestamp;
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;

use crate::helpers::{Auth, Member, TestApp, TestResponse};
use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};

crate::backend_tests!(
    a_visitor_books_in_their_own_zone_and_the_host_sees_the_answers,
    the_manage_link_moves_and_cancels_the_booking,
    a_time_taken_meanwhile_keeps_the_input_and_offers_fresh_times,
    pages_say_why_nobody_can_book,
    bots_and_floods_are_turned_away,
    the_personal_page_lists_the_hosts_meeting_types_in_their_order,
    a_manage_link_shows_nothing_of_other_attendees,
    a_one_time_link_books_once,
);

pub async fn page(app: &TestApp, path: &str) -> TestResponse {
    app.get(path, &Auth::None).await
}

/// Posts a form, as a browser does.
pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> TestResponse {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    app.send(
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.finish()))
            .unwrap(),
    )
    .await
}

/// The `href`s of a page's links that contain `part`, unescaped.
pub fn links(html: &str, part: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
        .filter(|h| h.contains(part))
        .collect()
}

/// The value of query parameter `key` in `href`.
pub fn param(href: &str, key: &str) -> Option<String> {
    let q = href.split_once('?')?.1;
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A time as the pages (and the API) write it.
pub fn wire(t: Timestamp) -> String {
    termin_service::wire_time::format(t)
}

pub fn booking_path(host: &Member, mt: &Value) -> String {
    format!("/{}/{}", host.user.slug, mt["slug"].as_str().unwrap())
}

/// The time links of the day `date` on the booking page, in zone `tz`.
async fn times_on(app: &TestApp, path: &str, tz: &str, date: &str) -> Vec<String> {
    let r = page(app, &format!("{path}?tz={tz}&date={date}")).await;
    r.assert_status(200);
    links(&r.text, "time=")
}

async fn appointments_of(app: &TestApp, host: &Member) -> Vec<Value> {
    let r = app.get("/v4/appointment/paginated", &host.auth()).await;
    r.assert_status(200);
    r.json()["appointments"].as_array().unwrap().clone()
}

/// Books through the page's form, as a visitor; returns the manage link.
async fn book_on_page(app: &TestApp, path: &str, start: Timestamp, email: &str) -> String {
    let start = start.to_string();
    let r = post_form(
        app,
        path,
        &[
            ("start", &start),
            ("tz", "Europe/Berlin"),
            ("name", "Ada Lovelace"),
            ("email", email),
            ("website", ""),
        ],
    )
    .await;
    r.assert_status(303);
    let location = r.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("/manage/"), "{location}");
    location.split('?').next().unwrap().to_owned()
}

async fn a_visitor_books_in_their_own_zone_and_the_host_sees_the_answers(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let patch = json!({"bookingQuestions": [
        {"id": "company", "label": "Your company", "type": "text", "required": true},
        {"id": "topic", "label": "Topic", "type": "choice", "options": ["Sales", "Support"]}
    ]});
    let url = format!("/v4/meeting-type/{}", mt["id"].as_str().unwrap());
    app.call(Method::PATCH, &url, &c.member.auth(), Some(patch))
        .await
        .assert_status(200);
    let path = booking_path(&c.member, &mt);
    // 10:00 in Berlin (the host's zone) is 04:00 in Chicago, on the Chicago day of that instant.
    let wanted = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let chicago = wanted.to_zoned_datetime(jiff::tz::TimeZone::get("America/Chicago").unwrap());
    let times = times_on(&app, &path, "America/Chicago", &chicago.date().to_string()).await;
    let link = times
        .iter()
        .find(|h| param(h, "time").as_deref() == Some(&wire(wanted)))
        .unwrap_or_else(|| panic!("{wanted} is offered: {times:?}"));
    // The link shows the form for that time, labelled in the visitor's zone.
    let form = page(&app, link).await;
    form.assert_status(200);
    let label = chicago.strftime("%H:%M").to_string();
    assert!(
        form.text.contains(&label),
        "the time reads {label} in Chicago"
    );
    assert!(form.text.contains("America/Chicago"));
    assert!(form.text.contains("Your company"), "the question is asked");
    // Without the required answer, the form comes back with what was typed.
    let start = wanted.to_string();
    let mut fields = vec![
        ("start", start.as_str()),
        ("tz", "America/Chicago"),
        ("name", "Grace Hopper"),
        ("email", "grace@example.com"),
        ("q.topic", "Support"),
        ("notes", "About compilers"),
    ];
    let missing = post_form(&app, &path, &fields).await;
    missing.assert_status(400);
    assert!(missing.text.contains("Your company is required"));
    assert!(
        missing.text.contains("value=\"Grace Hopper\""),
        "input kept"
    );
    assert!(missing.text.contains("About compilers"), "input kept");
    fields.push(("q.company", "Navy"));
    let done = post_form(&app, &path, &fields).await;
    done.assert_status(303);
    let manage = done.headers[header::LOCATION].to_str().unwrap().to_owned();
    let confirmation = page(&app, &manage).await;
    confirmation.assert_status(200);
    assert!(confirmation.text.contains("Your booking is confirmed"));
    assert!(
        confirmation.text.contains("America/Chicago")
            && confirmation.text.contains("Europe/Berlin")
    );
    assert_eq!(
        confirmation.headers[header::CACHE_CONTROL],
        "no-store",
        "a manage page is the attendee's own"
    );
    // The host sees it at the instant chosen, with the answers.
    let list = appointments_of(&app, &c.member).await;
    assert_eq!(list.len(), 1);
    let a = &list[0];
    assert_eq!(
        a["start"].as_str().unwrap().parse::<Timestamp>().unwrap(),
        wanted
    );
    let attendee = &a["attendees"][0];
    assert_eq!(attendee["email"], "grace@example.com");
    assert_eq!(attendee["timezone"], "America/Chicago");
    assert_eq!(attendee["notes"]["company"], "Navy");
    assert_eq!(attendee["notes"]["topic"], "Support");
    assert_eq!(attendee["notes"]["notes"], "About compilers");
    // The calendar file of the manage link is the appointment's.
    let ics = page(
        &app,
        &format!("{}/invite.ics", manage.split('?').next().unwrap()),
    )
    .await;
    ics.assert_status(200);
    assert!(ics.text.contains("BEGIN:VEVENT"));
    assert!(ics
        .text
        .contains(&format!("UID:{}@termin", a["id"].as_str().unwrap())));
}

async fn the_manage_link_moves_and_cancels_the_booking(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let path = booking_path(&c.member, &mt);
    let first = upcoming_weekday("Europe/Berlin", 3, 11, 0);
    let manage = book_on_page(&app, &path, first, "ada@example.com").await;
    // A wrong secret, or a wrong id, is simply not a link.
    let (base, secret) = manage.rsplit_once('/').unwrap();
    // (Another last character: one secret in 62 ends with `x` already.)
    let other = if secret.ends_with('x') { 'y' } else { 'x' };
    let wrong = format!("{base}/{}{other}", &secret[..secret.len() - 1]);
    let r = page(&app, &wrong).await;
    r.assert_status(404);
    assert!(r.text.contains("This link is not valid"));
    // Move it to another free time of the same day.
    let day = first
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Berlin").unwrap())
        .date();
    let r = page(
        &app,
        &format!("{manage}/reschedule?tz=Europe/Berlin&date={day}"),
    )
    .await;
    r.assert_status(200);
    assert!(r.text.contains("Moving your booking"));
    let offered = links(&r.text, "time=");
    let later = wire(upcoming_weekday("Europe/Berlin", 3, 14, 0));
    assert!(offered
        .iter()
        .any(|h| param(h, "time").as_deref() == Some(&later)));
    let moved = post_form(
        &app,
        &format!("{manage}/reschedule"),
        &[("start", &later), ("tz", "Europe/Berlin")],
    )
    .await;
    moved.assert_status(303);
    let list = appointments_of(&app, &c.member).await;
    assert_eq!(list[0]["start"].as_str().unwrap(), later);
    assert_eq!(list[0]["rescheduleCount"], 1);
    // Cancel with a reason: the host sees who cancelled and why.
    let cancelled = post_form(
        &app,
        &format!("{manage}/cancel"),
        &[("reason", "Found an answer")],
    )
    .await;
    cancelled.assert_status(303);
    let list = appointments_of(&app, &c.member).await;
    assert_eq!(list[0]["isCancelled"], true);
    assert_eq!(list[0]["cancel"]["reason"], "Found an answer");
    assert_eq!(list[0]["cancel"]["actionSource"], "attendee");
    let shown = page(&app, &manage).await;
    assert!(shown.text.contains("This booking is cancelled"));
    // Cancelling twice, or moving a cancelled booking, is refused with a page.
    let again = post_form(&app, &format!("{manage}/cancel"), &[]).await;
    again.assert_status(410);
    assert!(again.text.contains("already cancelled"));
    page(&app, &format!("{manage}/reschedule"))
        .await
        .assert_status(410);
}

async fn a_time_taken_meanwhile_keeps_the_input_and_offers_fresh_times(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let path = booking_path(&c.member, &mt);
    let wanted = upcoming_weekday("Europe/Berlin", 4, 9, 0);
    // Someone else books the time (through the API) while the visitor fills the form.
    book(
        &app,
        &c.member.auth(),
        booking(&mt, wanted, "first@example.com"),
    )
    .await;
    let start = wire(wanted);
    let r = post_form(
        &app,
        &path,
        &[
            ("start", &start),
            ("tz", "Europe/Berlin"),
            ("name", "Second Visitor"),
            ("email", "second@example.com"),
            ("notes", "Please call me"),
        ],
    )
    .await;
    r.assert_status(409);
    assert!(r.text.contains("someone has just booked this time"));
    assert!(r.text.contains("value=\"Second Visitor\""));
    assert!(r.text.contains("Please call me"));
    assert!(
        !r.text.contains(&format!("value=\"{start}\"")),
        "the taken time is not offered"
    );
    let next = wire(upcoming_weekday("Europe/Berlin", 4, 9, 30));
    assert!(r
        .text
        .contains(&format!("type=\"radio\" name=\"start\" value=\"{next}\"")));
    // Picking one of them books it.
    let done = post_form(
        &app,
        &path,
        &[
            ("start", &next),
            ("tz", "Europe/Berlin"),
            ("name", "Second Visitor"),
            ("email", "second@example.com"),
        ],
    )
    .await;
    done.assert_status(303);
    assert_eq!(appointments_of(&app, &c.member).await.len(), 2);
    // A link to a taken time shows the day again, with a word about it.
    let stale = page(&app, &format!("{path}?tz=Europe/Berlin&time={start}")).await;
    stale.assert_status(200);
    assert!(stale.text.contains("That time is no longer free"));
}

async fn pages_say_why_nobody_can_book(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let path = booking_path(&c.member, &mt);
    let r = page(&app, "/nobody-here/30min").await;
    r.assert_status(404);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    page(&app, &format!("/{}/no-such-type", c.member.user.slug))
        .await
        .assert_status(404);
    // Paths that cannot be a host's are the API's: its error shape.
    let api = page(&app, "/v4/no-such-route").await;
    api.assert_status(404);
    assert_eq!(api.error_message(), "Route not found");
    let api = post_form(&app, "/v4/no-such-route", &[]).await;
    api.assert_status(404);
    // A disabled meeting type.
    let url = format!("/v4/meeting-type/{}", mt["id"].as_str().unwrap());
    app.call(
        Method::PATCH,
        &url,
        &c.member.auth(),
        Some(json!({"enabled": false})),
    )
    .await
    .assert_status(200);
    let r = page(&app, &path).await;
    r.assert_status(410);
    assert!(r.text.contains("not taking bookings"));
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0).to_string();
    let r = post_form(
        &app,
        &path,
        &[("start", &start), ("name", "A"), ("email", "a@example.com")],
    )
    .await;
    r.assert_status(410);
    app.call(
        Method::PATCH,
        &url,
        &c.member.auth(),
        Some(json!({"enabled": true})),
    )
    .await
    .assert_status(200);
    page(&app, &path).await.assert_status(200);
    // A deactivated host.
    termin_service::users::set_deactivated(&app.state.service, c.member.user.id, true)
        .await
        .unwrap();
    let r = page(&app, &path).await;
    r.assert_status(410);
    let personal = page(&app, &format!("/{}", c.member.user.slug)).await;
    personal.assert_status(200);
    assert!(personal.text.contains("not taking bookings"));
    // A slug that would hide a page of termin's own is refused.
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/user/{}", c.admin.user.id),
            &Auth::acting(&key, c.owner.user.id),
            Some(json!({"slug": "manage"})),
        )
        .await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["slug"]);
}

async fn bots_and_floods_are_turned_away(app: TestApp) {
    let mut config = crate::helpers::test_config();
    config.pages.bookings_per_email_hour = 2;
    let app = app.with_config(config);
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let path = booking_path(&c.member, &mt);
    let start = upcoming_weekday("Europe/Berlin", 3, 10, 0).to_string();
    // The honeypot: a field people never see, which programs fill in.
    let r = post_form(
        &app,
        &path,
        &[
            ("start", &start),
            ("name", "Bot"),
            ("email", "bot@example.com"),
            ("website", "http://spam.example"),
        ],
    )
    .await;
    r.assert_status(400);
    assert!(appointments_of(&app, &c.member).await.is_empty());
    // At most N bookings per e-mail and hour.
    for hour in [10, 11] {
        book_on_page(
            &app,
            &path,
            upcoming_weekday("Europe/Berlin", 3, hour, 0),
            "same@example.com",
        )
        .await;
    }
    let third = upcoming_weekday("Europe/Berlin", 3, 12, 0).to_string();
    let r = post_form(
        &app,
        &path,
        &[
            ("start", &third),
            ("tz", "Europe/Berlin"),
            ("name", "Same"),
            ("email", "same@example.com"),
        ],
    )
    .await;
    r.assert_status(429);
    assert!(r
        .text
        .contains("Too many bookings with this e-mail address"));
    assert!(r.text.contains("value=\"Same\""), "input kept");
    // An hour later the address may book again.
    app.clock.advance(jiff::SignedDuration::from_mins(61));
    book_on_page(
        &app,
        &path,
        upcoming_weekday("Europe/Berlin", 3, 12, 0),
        "same@example.com",
    )
    .await;
}

async fn the_personal_page_lists_the_hosts_meeting_types_in_their_order(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let first = default_meeting_type(&app, &c.member).await;
    let mut ids = vec![first["id"].as_str().unwrap().to_owned()];
    for (name, enabled) in [("Deep dive", true), ("Secret", false), ("Quick chat", true)] {
        let r = app
            .call(
                Method::POST,
                "/v4/meeting-type",
                &auth,
                Some(json!({"meetingInfo": {"name": name, "duration": 45}, "enabled": enabled})),
            )
            .await;
        r.assert_status(201);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let path = format!("/{}", c.member.user.slug);
    let r = page(&app, &path).await;
    r.assert_status(200);
    assert!(r.text.contains("Test Person"));
    assert!(
        !r.text.contains("Secret"),
        "a disabled meeting type is not listed"
    );
    let at = |name: &str| r.text.find(name).unwrap_or_else(|| panic!("{name} listed"));
    assert!(
        at("Deep dive") < at("Quick chat"),
        "created order by default"
    );
    // The host's order, and only the ordered ones when not all are shown.
    let order = json!({"meetingTypeOrder": [ids[3], ids[1]], "showAllMeetingTypes": false,
        "description": "Book me", "useCustomColors": false, "primaryColor": "#ffcc00"});
    app.call(Method::PATCH, "/v4/personal-page/me", &auth, Some(order))
        .await
        .assert_status(200);
    let r = page(&app, &path).await;
    let at = |name: &str| r.text.find(name);
    assert!(at("Quick chat").unwrap() < at("Deep dive").unwrap());
    assert!(at(first["meetingInfo"]["name"].as_str().unwrap()).is_none());
    assert!(r.text.contains("Book me"));
    assert!(
        !r.text.contains("#ffcc00"),
        "colours apply only with useCustomColors"
    );
    app.call(
        Method::PATCH,
        "/v4/personal-page/me",
        &auth,
        Some(json!({"useCustomColors": true})),
    )
    .await
    .assert_status(200);
    let r = page(&app, &path).await;
    assert!(r
        .text
        .contains("--primary: #ffcc00; --primary-ink: #111111;"));
    let policy = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        policy.contains("'sha256-"),
        "the colours' style is allowed by its hash: {policy}"
    );
    assert!(!policy.contains("unsafe-inline"));
}

async fn a_manage_link_shows_nothing_of_other_attendees(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let r = app
        .call(
            Method::POST,
            "/v4/meeting-type",
            &auth,
            Some(json!({"meetingInfo": {"name": "Workshop", "duration": 60}, "spots": 5})),
        )
        .await;
    r.assert_status(201);
    let mt = r.json();
    let path = booking_path(&c.member, &mt);
    let at = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let first = book_on_page(&app, &path, at, "first@example.com").await;
    book(&app, &auth, booking(&mt, at, "second@example.com")).await;
    let r = page(&app, &first).await;
    r.assert_status(200);
    assert!(!r.text.contains("second@example.com"));
    assert!(!r.text.contains("Guest"), "not the other attendee's name");
    assert!(
        !r.text.contains("Reschedule"),
        "a shared meeting is not one attendee's to move"
    );
    // Cancelling through the link frees this attendee's seat only.
    post_form(&app, &format!("{first}/cancel"), &[])
        .await
        .assert_status(303);
    let list = appointments_of(&app, &c.member).await;
    assert_eq!(list[0]["isCancelled"], false);
    assert_eq!(list[0]["takenSpots"], 1);
}

async fn a_one_time_link_books_once(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let create = format!(
        "/v4/one-time-booking-link/create/{}",
        mt["id"].as_str().unwrap()
    );
    let r = app
        .call(Method::POST, &create, &c.member.auth(), None)
        .await;
    r.assert_status(201);
    let link = r.json();
    let url = link["url"].as_str().unwrap();
    assert_eq!(link["link"], link["url"]);
    let path = url.strip_prefix("http://termin.test").unwrap().to_owned();
    assert!(path.starts_with(&booking_path(&c.member, &mt)), "{path}");
    let token = param(&path, "link").unwrap();
    assert_eq!(link["token"], token.as_str());
    // The page keeps the link through every step.
    let r = page(&app, &path).await;
    r.assert_status(200);
    let times = links(&r.text, "time=");
    assert!(
        !times.is_empty()
            && times
                .iter()
                .all(|h| param(h, "link").as_deref() == Some(&token))
    );
    let form = page(&app, &times[0]).await;
    assert!(form
        .text
        .contains(&format!("name=\"link\" value=\"{token}\"")));
    let start = param(&times[0], "time").unwrap();
    let fields = [
        ("start", start.as_str()),
        ("link", token.as_str()),
        ("name", "Ada"),
        ("email", "ada@example.com"),
    ];
    post_form(&app, &booking_path(&c.member, &mt), &fields)
        .await
        .assert_status(303);
    // Used: the link says so, and books no more.
    let r = page(&app, &path).await;
    r.assert_status(410);
    assert!(r.text.contains("This link has been used"), "{}", r.text);
    let other = param(&times[1], "time").unwrap();
    let again = [
        ("start", other.as_str()),
        ("link", token.as_str()),
        ("name", "Bob"),
        ("email", "bob@example.com"),
    ];
    let r = post_form(&app, &booking_path(&c.member, &mt), &again).await;
    r.assert_status(410);
    assert!(r.text.contains("This link has been used"));
    assert_eq!(appointments_of(&app, &c.member).await.len(), 1);
    // A made-up token is no link; the meeting type's own page still books.
    let r = page(
        &app,
        &format!("{}?link=abcdef123", booking_path(&c.member, &mt)),
    )
    .await;
    r.assert_status(404);
    let fields = [
        ("start", other.as_str()),
        ("name", "Bob"),
        ("email", "bob@example.com"),
    ];
    post_form(&app, &booking_path(&c.member, &mt), &fields)
        .await
        .assert_status(303);
    // Another company cannot make links to this meeting type.
    let foreign = app.company(Plan::Platform).await;
    app.call(Method::POST, &create, &foreign.owner.auth(), None)
        .await
        .assert_status(404);
}

/// A signed-in host looking at their own pages spends the anonymous budget, not the network's
/// budget of failed credentials; far-off or malformed times are pages, not failures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_anonymous_and_bounded_in_time() {
    let mut config = crate::helpers::test_config();
    config.auth_failure_limit = termin_server::config::RateLimitConfig {
        per_minute: 2,
        burst: 2,
    };
    let app = TestApp::sqlite().await.with_config(config);
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let path = booking_path(&c.member, &mt);
    for _ in 0..5 {
        let r = app
            .send(
                Request::builder()
                    .uri(&path)
                    .header(header::COOKIE, "termin_session=not-a-session")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        r.assert_status(200);
    }
    app.get("/v4/user/me", &c.member.auth())
        .await
        .assert_status(200);
    for far in ["9998-12-31T09:00:00Z", "9999-06-01T00:00:00Z", "yesterday"] {
        let r = post_form(
            &app,
            &path,
            &[("start", far), ("name", "A"), ("email", "a@example.com")],
        )
        .await;
        r.assert_status(200);
        assert!(r.text.contains("Please pick a time"), "{far}");
        page(
            &app,
            &format!("{path}?time={far}&month=9999-12&date=9999-12-01"),
        )
        .await
        .assert_status(200);
    }
    let manage = book_on_page(
        &app,
        &path,
        upcoming_weekday("Europe/Berlin", 3, 10, 0),
        "a@example.com",
    )
    .await;
    let r = post_form(
        &app,
        &format!("{manage}/reschedule"),
        &[("start", "9998-12-31T09:00:00Z")],
    )
    .await;
    r.assert_status(200);
    page(&app, &format!("{manage}?done=booked&done=moved"))
        .await
        .assert_status(200);
}
