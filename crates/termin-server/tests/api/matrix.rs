//! The authorization matrix: every route of the router against every kind of caller, each cell
//! stating the expected status. The route list comes from the OpenAPI document that the router
//! is built from, so a new route without a row here fails `every_route_has_a_row`.

use axum::http::Method;
use serde_json::{json, Value};
use termin_domain::credential::{PlainPat, ScopeGroup, Scopes};
use termin_domain::tenancy::{Plan, Role};
use termin_domain::UserId;
use termin_service::{credentials, users};

use crate::helpers::{Auth, Company, TestApp};

/// The kinds of caller, in the column order of the table below.
const CALLERS: [&str; 24] = [
    "anonymous",                 // 0
    "malformed bearer",          // 1
    "unknown PAT",               // 2
    "expired PAT",               // 3
    "revoked PAT",               // 4
    "member PAT",                // 5
    "admin PAT",                 // 6
    "owner PAT",                 // 7
    "scope-limited PAT",         // 8 member, contacts only
    "PAT + header naming self",  // 9
    "PAT + header naming other", // 10
    "PAT of removed user",       // 11
    "PAT of deactivated user",   // 12
    "PAT on free plan",          // 13
    "API key + header",          // 14 names the member
    "API key, no header",        // 15
    "API key + other company",   // 16 header names a user of another company
    "API key + malformed hdr",   // 17
    "API key + removed user",    // 18
    "expired API key",           // 19
    "deactivated API key",       // 20
    "other company admin PAT",   // 21
    "admin session",             // 22
    "member session",            // 23
];

/// The pattern every scheduling route follows: `ok` for callers acting as a user of company A
/// who may reach the resource (the member, their admins, the member through an API key),
/// `foreign` for the other company's admin (404 for A's ids, their own data otherwise), and the
/// same refusals everywhere else. An API key without the header is 400 on these routes.
#[rustfmt::skip]
const fn scheduling(ok: u16, foreign: u16) -> [u16; 24] {
    //0    1    2    3    4   5   6   7    8   9   10   11   12   13  14   15   16   17   18   19   20   21       22  23
    [401, 401, 401, 401, 401, ok, ok, ok, 403, ok, 403, 401, 401, 401, ok, 400, 403, 400, 404, 401, 401, foreign, ok, ok]
}

/// Company-wide administration (webhooks): owners and admins, an API key acting as the owner;
/// members (also through an API key naming them) are refused. `foreign` as above.
#[rustfmt::skip]
const fn company_admin(ok: u16, foreign: u16) -> [u16; 24] {
    //0    1    2    3    4    5    6   7   8    9    10   11   12   13   14   15  16   17   18   19   20   21       22  23
    [401, 401, 401, 401, 401, 403, ok, ok, 403, 403, 403, 401, 401, 401, 403, ok, 403, 400, 404, 401, 401, foreign, ok, 403]
}

/// Contacts (`/crm`): like `scheduling`, and the PAT limited to `contacts` reaches them too.
#[rustfmt::skip]
const fn contacts(ok: u16, foreign: u16) -> [u16; 24] {
    //0    1    2    3    4   5   6   7   8   9   10   11   12   13  14   15   16   17   18   19   20   21       22  23
    [401, 401, 401, 401, 401, ok, ok, ok, ok, ok, 403, 401, 401, 401, ok, 400, 403, 400, 404, 401, 401, foreign, ok, ok]
}

/// What only the owner of a resource may do (change or remove their own calendar connection,
/// which holds their own password): like `scheduling`, but admins acting as themselves are
/// refused.
#[rustfmt::skip]
const fn own_only(ok: u16, foreign: u16) -> [u16; 24] {
    //0    1    2    3    4   5    6    7    8   9   10   11   12   13  14   15   16   17   18   19   20   21       22   23
    [401, 401, 401, 401, 401, ok, 403, 403, 403, ok, 403, 401, 401, 401, ok, 400, 403, 400, 404, 401, 401, foreign, 403, ok]
}

/// Expected status per caller for each route, in `CALLERS` order.
#[rustfmt::skip]
const TABLE: &[(&str, [u16; 24])] = &[
    //                                 0    1    2    3    4    5    6    7    8    9   10   11   12   13   14   15   16   17   18   19   20   21   22   23
    ("GET /health",                 [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("GET /v4/personal-page/me",    scheduling(200, 200)),
    ("PATCH /v4/personal-page/me",  scheduling(200, 200)),
    ("GET /v4/user/me",             [401, 401, 401, 401, 401, 200, 200, 200, 403, 200, 403, 401, 401, 401, 200, 200, 403, 400, 404, 401, 401, 200, 200, 200]),
    ("GET /v4/user",                [401, 401, 401, 401, 401, 403, 200, 200, 403, 403, 403, 401, 401, 401, 403, 200, 403, 400, 404, 401, 401, 200, 200, 403]),
    ("POST /v4/user",               [401, 401, 401, 401, 401, 403, 403, 403, 403, 403, 403, 401, 401, 401, 201, 201, 403, 400, 404, 401, 401, 403, 201, 403]),
    ("PATCH /v4/user/{id}",         [401, 401, 401, 401, 401, 403, 403, 403, 403, 403, 403, 401, 401, 401, 200, 200, 403, 400, 404, 401, 401, 403, 200, 403]),
    ("DELETE /v4/user/{id}",        [401, 401, 401, 401, 401, 403, 403, 403, 403, 403, 403, 401, 401, 401, 200, 200, 403, 400, 404, 401, 401, 403, 200, 403]),
    ("POST /v4/gdpr/export",        [401, 401, 401, 401, 401, 403, 403, 403, 403, 403, 403, 401, 401, 401, 200, 200, 403, 400, 404, 401, 401, 403, 200, 403]),
    ("POST /auth/login",            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    ("POST /auth/logout",           [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 204, 204]),
    ("GET /auth/session",           [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200]),
    ("GET /auth/tokens",            [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200]),
    ("POST /auth/tokens",           [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 201]),
    ("DELETE /auth/tokens/{id}",    [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200]),
    ("GET /auth/api-keys",          [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("POST /auth/api-keys",         [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 201, 403]),
    ("DELETE /auth/api-keys/{id}",  [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("POST /auth/api-keys/{id}/deactivate", [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("POST /auth/api-keys/{id}/reactivate", [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403]),
    ("GET /v4/availability",                   scheduling(200, 200)),
    ("POST /v4/availability",                  scheduling(201, 201)),
    ("GET /v4/availability/{id}",              scheduling(200, 404)),
    ("PATCH /v4/availability/{id}",            scheduling(200, 404)),
    ("DELETE /v4/availability/{id}",           scheduling(200, 404)),
    ("GET /v4/meeting-type",                   scheduling(200, 200)),
    ("POST /v4/meeting-type",                  scheduling(201, 201)),
    ("GET /v4/meeting-type/{id}",              scheduling(200, 404)),
    ("PATCH /v4/meeting-type/{id}",            scheduling(200, 404)),
    ("DELETE /v4/meeting-type/{id}",           scheduling(200, 404)),
    ("GET /v4/booking-availability",           scheduling(200, 404)),
    ("POST /v4/booking",                       scheduling(201, 404)),
    ("GET /v4/appointment/paginated",          scheduling(200, 200)),
    ("GET /v4/appointment/today",              scheduling(200, 200)),
    ("GET /v4/appointment/{id}",               scheduling(200, 404)),
    ("POST /v4/appointment/{id}/cancel",       scheduling(200, 404)),
    ("POST /v4/appointment/{id}/reschedule",   scheduling(200, 404)),
    ("PATCH /v4/appointment/{id}/guest",       scheduling(200, 404)),
    ("PATCH /v4/appointment/{id}/notes",       scheduling(200, 404)),
    ("PATCH /v4/appointment/{id}/transcription", scheduling(200, 404)),
    ("GET /v4/appointment/{id}/ics",           scheduling(200, 404)),
    ("POST /v4/attendee/quick-mail",           scheduling(201, 404)),
    ("GET /v4/mail",                           scheduling(200, 200)),
    ("GET /v4/calendar-feed",                  scheduling(200, 200)),
    ("POST /v4/calendar-feed/regenerate",      scheduling(200, 200)),
    ("DELETE /v4/calendar-feed",               scheduling(204, 204)),
    ("GET /v4/calendar-connections/connections",  scheduling(200, 200)),
    ("POST /v4/calendar-connections/connections", scheduling(201, 201)),
    ("PATCH /v4/calendar-connections/connections/{id}",  own_only(200, 404)),
    ("DELETE /v4/calendar-connections/connections/{id}", own_only(200, 404)),
    ("POST /v4/calendar-connections/connections/{id}/sync", scheduling(200, 404)),
    ("POST /v4/one-time-booking-link/create/{meetingTypeId}", scheduling(201, 404)),
    ("GET /crm",                               contacts(200, 200)),
    ("POST /crm",                              contacts(201, 201)),
    ("GET /crm/details",                       contacts(200, 404)),
    ("POST /crm/bulk",                         contacts(200, 200)),
    ("PATCH /crm/{id}",                        contacts(200, 404)),
    ("DELETE /crm/{id}",                       contacts(200, 404)),
    ("GET /webhooks",                          company_admin(200, 200)),
    ("POST /webhooks",                         company_admin(201, 201)),
    ("PATCH /webhooks/{id}",                   company_admin(200, 404)),
    ("DELETE /webhooks/{id}",                  company_admin(200, 404)),
    ("POST /webhooks/{id}/rotate-secret",      company_admin(200, 404)),
    ("GET /webhooks/{id}/deliveries",          company_admin(200, 404)),
    ("POST /webhooks/{id}/deliveries/{deliveryId}/retry", company_admin(200, 404)),
];

/// The routes the router serves, as "METHOD /path", from the OpenAPI document.
fn router_routes() -> Vec<String> {
    let doc = serde_json::to_value(termin_server::app::openapi()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    routes.sort();
    routes
}

#[test]
fn every_route_has_a_row_and_every_row_a_route() {
    let mut rows: Vec<String> = TABLE.iter().map(|(r, _)| r.to_string()).collect();
    rows.sort();
    assert_eq!(
        router_routes(),
        rows,
        "the matrix must list exactly the router's routes"
    );
}

/// Everything the callers and requests need.
struct World {
    a: Company,
    b: Company,
    callers: Vec<Auth>,
    /// The member's default meeting type.
    meeting_type: String,
    /// Slots handed out so far (each cell that books takes fresh ones).
    next_slot: std::sync::atomic::AtomicUsize,
    /// An ICS feed on loopback that calendar connections can be made to.
    feed_url: String,
}

impl World {
    /// A bookable start of the member's default meeting type nobody has used yet: weekdays
    /// from two days ahead, 09:00 to 16:30 Berlin time.
    fn fresh_start(&self) -> jiff::Timestamp {
        let n = self
            .next_slot
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let day = crate::scheduling::upcoming_weekday("Europe/Berlin", 2, 9, 0);
        let mut date = day.to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Berlin").unwrap());
        for _ in 0..n / 16 {
            date = date.tomorrow().unwrap();
            while matches!(
                date.weekday(),
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            ) {
                date = date.tomorrow().unwrap();
            }
        }
        date.timestamp() + jiff::SignedDuration::from_mins(30 * (n % 16) as i64)
    }
}

async fn world(app: &TestApp) -> World {
    let a = app.company(Plan::Platform).await;
    let b = app.company(Plan::Platform).await;
    let free = app.company(Plan::Free).await;
    let member = &a.member.user;
    let past = app.clock.clock().now() - jiff::SignedDuration::from_hours(1);

    let expired = app.pat(member, Scopes::unlimited(), Some(past)).await;
    let (revoked_record, revoked) = {
        let (r, p) = credentials::create_pat(
            &app.state.service,
            member.id,
            "r",
            None,
            Scopes::unlimited(),
        )
        .await
        .unwrap();
        (r, p.expose().to_owned())
    };
    credentials::revoke_pat(&app.state.service, revoked_record.id, None)
        .await
        .unwrap();
    let scoped = app
        .pat(member, Scopes::new([ScopeGroup::Contacts]), None)
        .await;
    let removed = app.add_user(a.id, Role::Member).await;
    users::remove_user(&app.state.service, a.id, removed.user.id)
        .await
        .unwrap();
    let deactivated = app.add_user(a.id, Role::Member).await;
    users::set_deactivated(&app.state.service, deactivated.user.id, true)
        .await
        .unwrap();

    let (_, key) = app.api_key(a.id, &a.owner.user).await;
    let expired_key = app.expired_api_key(a.id, &a.owner.user).await;
    let (deactivated_key_id, deactivated_key) = app.api_key(a.id, &a.owner.user).await;
    credentials::change_api_key(
        &app.state.service,
        a.id,
        deactivated_key_id,
        credentials::KeyAction::Deactivate,
    )
    .await
    .unwrap();

    let callers = vec![
        Auth::None,
        Auth::RawHeader("Bearer not-a-token".into()),
        Auth::bearer(PlainPat::generate().expose()),
        Auth::bearer(&expired),
        Auth::bearer(&revoked),
        a.member.auth(),
        a.admin.auth(),
        a.owner.auth(),
        Auth::bearer(&scoped),
        Auth::acting(&a.member.pat, member.id),
        Auth::acting(&a.member.pat, a.admin.user.id),
        removed.auth(),
        deactivated.auth(),
        free.member.auth(),
        Auth::acting(&key, member.id),
        Auth::bearer(&key),
        Auth::acting(&key, b.member.user.id),
        Auth::acting(&key, "not-a-uuid"),
        Auth::acting(&key, removed.user.id),
        Auth::bearer(&expired_key),
        Auth::bearer(&deactivated_key),
        b.admin.auth(),
        app.session(&a.admin.user).await,
        app.session(&a.member.user).await,
    ];
    assert_eq!(callers.len(), CALLERS.len());
    let meeting_type = crate::scheduling::default_meeting_type(app, &a.member).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (feed_url, _, _) = crate::calendars::feed_server(crate::calendars::cal("")).await;
    World {
        a,
        b,
        callers,
        meeting_type,
        next_slot: Default::default(),
        feed_url: feed_url.replace("webcal://", "http://"),
    }
}

/// The request for one cell. Routes that change state get a fresh target per cell, so cells do
/// not depend on each other.
async fn request(
    app: &TestApp,
    w: &World,
    route: &str,
    caller: usize,
) -> (Method, String, Option<Value>, Auth) {
    let mut auth = w.callers[caller].clone();
    let (method, path) = route.split_once(' ').unwrap();
    let method: Method = method.parse().unwrap();
    let session_user = match caller {
        22 => Some(&w.a.admin.user),
        23 => Some(&w.a.member.user),
        _ => None,
    };
    let fresh_user = || async { app.add_user(w.a.id, Role::Member).await.user.id };
    let (path, body) = match route {
        "POST /v4/user" => (
            path.to_owned(),
            Some(
                json!({"email": format!("new-{}@example.com", UserId::new()), "givenName": "New", "familyName": "Person", "timezone": "Europe/Berlin"}),
            ),
        ),
        "PATCH /v4/user/{id}" => (
            format!("/v4/user/{}", fresh_user().await),
            Some(json!({"givenName": "Renamed"})),
        ),
        "DELETE /v4/user/{id}" => (format!("/v4/user/{}", fresh_user().await), None),
        "POST /auth/login" => (
            path.to_owned(),
            Some(json!({"email": w.a.member.user.email, "password": "correct horse battery"})),
        ),
        "POST /auth/logout" => {
            // Each logout ends a session of its own, so later cells keep theirs.
            if let Some(user) = session_user {
                auth = app.session(user).await;
            }
            (path.to_owned(), None)
        }
        "POST /auth/tokens" => (
            path.to_owned(),
            Some(json!({"name": "ci", "scopes": ["contacts"]})),
        ),
        "DELETE /auth/tokens/{id}" => {
            let owner = session_user.unwrap_or(&w.a.member.user);
            let (record, _) = credentials::create_pat(
                &app.state.service,
                owner.id,
                "victim",
                None,
                Scopes::unlimited(),
            )
            .await
            .unwrap();
            (format!("/auth/tokens/{}", record.id), None)
        }
        "POST /auth/api-keys" => (
            path.to_owned(),
            Some(json!({"name": "ci", "expiresInDays": 30})),
        ),
        "DELETE /auth/api-keys/{id}"
        | "POST /auth/api-keys/{id}/deactivate"
        | "POST /auth/api-keys/{id}/reactivate" => {
            let (id, _) = app.api_key(w.a.id, &w.a.owner.user).await;
            if route.ends_with("reactivate") {
                credentials::change_api_key(
                    &app.state.service,
                    w.a.id,
                    id,
                    credentials::KeyAction::Deactivate,
                )
                .await
                .unwrap();
            }
            (path.replace("{id}", &id.to_string()), None)
        }
        "GET /v4/availability/{id}"
        | "PATCH /v4/availability/{id}"
        | "DELETE /v4/availability/{id}" => {
            let created = app
                .call(
                    Method::POST,
                    "/v4/availability",
                    &w.a.member.auth(),
                    Some(json!({"name": "spare"})),
                )
                .await
                .json();
            let body = (method == Method::PATCH).then(|| json!({"name": "renamed"}));
            (path.replace("{id}", created["id"].as_str().unwrap()), body)
        }
        "POST /v4/availability" => (path.to_owned(), Some(json!({"name": "mine"}))),
        "GET /v4/meeting-type/{id}"
        | "PATCH /v4/meeting-type/{id}"
        | "DELETE /v4/meeting-type/{id}" => {
            let created = app
                .call(
                    Method::POST,
                    "/v4/meeting-type",
                    &w.a.member.auth(),
                    Some(json!({"meetingInfo": {"name": format!("Spare {}", UserId::new()), "duration": 30}})),
                )
                .await
                .json();
            let body = (method == Method::PATCH).then(|| json!({"meetingInfo": {"duration": 45}}));
            (path.replace("{id}", created["id"].as_str().unwrap()), body)
        }
        "POST /v4/meeting-type" => (
            path.to_owned(),
            Some(
                json!({"meetingInfo": {"name": format!("New {}", UserId::new()), "duration": 30}}),
            ),
        ),
        "GET /v4/booking-availability" => {
            let date = w
                .fresh_start()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date();
            (
                format!(
                    "{path}?meetingTypeId={}&start={date}&end={date}",
                    w.meeting_type
                ),
                None,
            )
        }
        "POST /v4/booking" => (path.to_owned(), Some(booking_body(w, w.fresh_start()))),
        "POST /v4/one-time-booking-link/create/{meetingTypeId}" => (
            path.replace("{meetingTypeId}", &w.meeting_type.to_string()),
            None,
        ),
        r if r.starts_with("GET /v4/appointment/{id}")
            || r.starts_with("POST /v4/appointment/{id}")
            || r.starts_with("PATCH /v4/appointment/{id}")
            || r == "POST /v4/attendee/quick-mail" =>
        {
            let booked = app
                .call(
                    Method::POST,
                    "/v4/booking",
                    &w.a.member.auth(),
                    Some(booking_body(w, w.fresh_start())),
                )
                .await;
            assert_eq!(booked.status.as_u16(), 201, "{}", booked.text);
            let id = booked.json()["appointmentId"].as_str().unwrap().to_owned();
            let attendee = app
                .get(&format!("/v4/appointment/{id}"), &w.a.member.auth())
                .await
                .json()["attendees"][0]["id"]
                .clone();
            let body = match r {
                "POST /v4/appointment/{id}/cancel" => Some(json!({"reason": "matrix"})),
                "POST /v4/appointment/{id}/reschedule" => {
                    Some(json!({"start": w.fresh_start().to_string()}))
                }
                "PATCH /v4/appointment/{id}/guest" => {
                    Some(json!({"attendeeId": attendee, "email": "new@example.com"}))
                }
                "PATCH /v4/appointment/{id}/notes" => Some(json!({"note": "bring slides"})),
                "PATCH /v4/appointment/{id}/transcription" => {
                    Some(json!({"summary": "agreed on a demo"}))
                }
                "POST /v4/attendee/quick-mail" => {
                    Some(json!({"attendeeId": attendee, "title": "Agenda", "content": "Slides"}))
                }
                _ => None,
            };
            (path.replace("{id}", &id), body)
        }
        "POST /v4/calendar-connections/connections" => (
            path.to_owned(),
            Some(json!({"provider": "ics", "url": w.feed_url})),
        ),
        r if r.contains("/v4/calendar-connections/connections/{id}") => {
            // A fresh connection of A's member per cell.
            let made = app
                .call(
                    Method::POST,
                    "/v4/calendar-connections/connections",
                    &w.a.member.auth(),
                    Some(json!({"provider": "ics", "url": w.feed_url})),
                )
                .await;
            assert_eq!(made.status.as_u16(), 201, "{}", made.text);
            let id = made.json()["id"].as_str().unwrap().to_owned();
            // At most ten a user: the cell's own connection is the only one left.
            let mut tx = app.db.begin_write().await.unwrap();
            for old in termin_storage::calendars::of_user(&mut tx, w.a.member.user.id)
                .await
                .unwrap()
            {
                if old.id.to_string() != id {
                    termin_storage::calendars::remove(&mut tx, &old)
                        .await
                        .unwrap();
                }
            }
            tx.commit().await.unwrap();
            let body = (method == Method::PATCH)
                .then(|| json!({"calendars": [{"id": "feed", "readForConflicts": false}]}));
            (path.replace("{id}", &id), body)
        }
        "POST /crm" => (
            path.to_owned(),
            Some(json!({"email": format!("c-{}@example.com", UserId::new()), "firstName": "New"})),
        ),
        "POST /crm/bulk" => (
            path.to_owned(),
            Some(json!({"contacts": [{"email": format!("b-{}@example.com", UserId::new())}]})),
        ),
        "GET /crm/details" | "PATCH /crm/{id}" | "DELETE /crm/{id}" => {
            // A fresh contact of A's member per cell.
            let created = app
                .call(
                    Method::POST,
                    "/crm",
                    &w.a.member.auth(),
                    Some(json!({"email": format!("m-{}@example.com", UserId::new())})),
                )
                .await;
            assert_eq!(created.status.as_u16(), 201, "{}", created.text);
            let id = created.json()["item"]["id"].as_str().unwrap().to_owned();
            let body = (method == Method::PATCH).then(|| json!({"firstName": "Renamed"}));
            match route {
                "GET /crm/details" => (format!("{path}?contactId={id}"), None),
                _ => (path.replace("{id}", &id), body),
            }
        }
        "POST /v4/gdpr/export" => (path.to_owned(), Some(json!({"userId": w.a.member.user.id}))),
        "PATCH /v4/personal-page/me" => (
            path.to_owned(),
            Some(json!({"description": "Book a call with me"})),
        ),
        "POST /webhooks" => {
            // At most six per company: start each cell from none.
            clear_webhooks(app, w).await;
            (path.to_owned(), Some(webhook_body()))
        }
        r if r.starts_with("PATCH /webhooks/")
            || r.starts_with("DELETE /webhooks/")
            || r.starts_with("POST /webhooks/")
            || r.starts_with("GET /webhooks/") =>
        {
            clear_webhooks(app, w).await;
            let created = termin_service::webhooks::create(
                &app.state.service,
                &admin_of(w),
                &serde_json::from_value(webhook_body()).unwrap(),
            )
            .await
            .unwrap();
            let mut path = path.replace("{id}", &created.id.to_string());
            if r.contains("{deliveryId}") {
                let booked = app
                    .call(
                        Method::POST,
                        "/v4/booking",
                        &w.a.member.auth(),
                        Some(booking_body(w, w.fresh_start())),
                    )
                    .await;
                assert_eq!(booked.status.as_u16(), 201, "{}", booked.text);
                let mut conn = app.db.conn().await.unwrap();
                let delivery = termin_storage::webhooks::deliveries(&mut conn, created.id, 1)
                    .await
                    .unwrap()[0]
                    .id;
                path = path.replace("{deliveryId}", &delivery.to_string());
            }
            let body = r
                .starts_with("PATCH")
                .then(|| json!({"description": "renamed"}));
            (path, body)
        }
        _ => (path.to_owned(), None),
    };
    (method, path, body, auth)
}

fn webhook_body() -> Value {
    json!({"endpoint": "https://receiver.test/hook", "eventTypes": ["booking_created"]})
}

fn admin_of(w: &World) -> termin_domain::principal::Principal {
    termin_domain::principal::Principal {
        user_id: w.a.admin.user.id,
        company_id: w.a.id,
        role: Role::Admin,
        credential: termin_domain::principal::Credential::Session {
            id: termin_domain::SessionId::new(),
        },
    }
}

async fn clear_webhooks(app: &TestApp, w: &World) {
    let mut tx = app.db.begin_write().await.unwrap();
    for company in [w.a.id, w.b.id] {
        for hook in termin_storage::webhooks::list(&mut tx, company)
            .await
            .unwrap()
        {
            termin_storage::webhooks::soft_delete(&mut tx, hook.id, app.clock.clock().now())
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

fn booking_body(w: &World, start: jiff::Timestamp) -> Value {
    json!({"meetingTypeId": w.meeting_type, "start": start.to_string(), "attendee": {"email": "guest@example.com"}})
}

async fn authorization_matrix(app: TestApp) {
    // Calendar connections are made to a feed on loopback.
    let mut config = crate::helpers::test_config();
    config.webhooks.allow_private_networks = true;
    let app = app.with_config(config);
    let w = world(&app).await;
    let _ = &w.b;
    let mut failures = Vec::new();
    let mut cells = 0;
    for (route, row) in TABLE {
        for (caller, expected) in row.iter().enumerate() {
            let (method, path, body, auth) = request(&app, &w, route, caller).await;
            let response = app.call(method, &path, &auth, body).await;
            cells += 1;
            let got = response.status.as_u16();
            if got != *expected {
                failures.push(format!(
                    "{route} as {}: expected {expected}, got {got}: {}",
                    CALLERS[caller], response.text
                ));
            } else if got >= 400 {
                // Every refusal has the contract's error body.
                let body = response.json();
                assert_eq!(
                    body["statusCode"], got,
                    "{route} as {}: {body}",
                    CALLERS[caller]
                );
            }
        }
    }
    assert_eq!(cells, TABLE.len() * CALLERS.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The tool call standing for a REST request of the matrix: the path's id, the query and the
/// body become the tool's parameters, where the tool table says each goes.
fn tool_args(
    spec: &termin_server::mcp::tools::ToolSpec,
    path: &str,
    body: Option<&Value>,
) -> serde_json::Map<String, Value> {
    use termin_server::mcp::tools::{At, Ty};
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut args = serde_json::Map::new();
    let id = spec
        .path
        .split('/')
        .zip(path.split('/'))
        .find(|(t, _)| t.starts_with('{'))
        .map(|(_, v)| v.to_owned());
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    for p in spec.params {
        let value = match p.at {
            At::Path => id.clone().map(Value::from),
            At::Query => {
                let values: Vec<&String> = pairs
                    .iter()
                    .filter(|(k, _)| k == p.name)
                    .map(|(_, v)| v)
                    .collect();
                match (p.ty, values.first()) {
                    (_, None) => None,
                    (Ty::Uuids | Ty::Texts, _) => Some(json!(values)),
                    (Ty::Int(..), Some(v)) => Some(json!(v.parse::<i64>().unwrap())),
                    (_, Some(v)) => Some(json!(v)),
                }
            }
            At::Body => body.and_then(|b| b.get(p.name)).cloned(),
            At::Attendee(rest) => body.and_then(|b| b["attendee"].get(rest)).cloned(),
            At::MeetingInfo => body.and_then(|b| b["meetingInfo"].get(p.name)).cloned(),
        };
        if let Some(v) = value {
            args.insert(p.name.to_owned(), v);
        }
    }
    args
}

/// Every MCP tool as every caller: the same allow or deny, with the same status, as its REST
/// route, through either door of `/mcp`. A dashboard session is no credential for `/mcp` (another site could make a browser
/// send its cookie), so it is refused there.
async fn mcp_authorization_matrix(app: TestApp) {
    let mut config = crate::helpers::test_config();
    config.webhooks.allow_private_networks = true;
    let app = app.with_config(config);
    let w = world(&app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for (t, spec) in termin_server::mcp::tools::TOOLS.iter().enumerate() {
        let route = format!("{} {}", spec.method, spec.path);
        let row = TABLE
            .iter()
            .find(|(r, _)| *r == route)
            .unwrap_or_else(|| panic!("{}: no REST route {route}", spec.name))
            .1;
        for (caller, rest) in row.iter().enumerate() {
            let (_, path, body, auth) = request(&app, &w, &route, caller).await;
            let args = tool_args(spec, &path, body.as_ref());
            // Half the cells through termin's plain door, half through rmcp's service, so
            // each caller and each tool meets both (see `mcp::plain`).
            let door = if (t + caller) % 2 == 0 {
                crate::mcp::Door::Plain
            } else {
                crate::mcp::Door::Rmcp
            };
            let (got, text) = crate::mcp::tool_status_at(&app, &auth, spec.name, args, door).await;
            cells += 1;
            let expected = match caller {
                22 | 23 => 401,
                _ if (200..300).contains(rest) => 200,
                _ => *rest,
            };
            if got != expected {
                failures.push(format!(
                    "{} ({route}) as {}: expected {expected}, got {got}: {text}",
                    spec.name, CALLERS[caller]
                ));
            }
        }
    }
    assert_eq!(
        cells,
        termin_server::mcp::tools::TOOLS.len() * CALLERS.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

crate::backend_tests!(authorization_matrix, mcp_authorization_matrix);
