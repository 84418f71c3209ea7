//! `/crm`: creating, validating, searching, paging, details with appointments, updating,
//! deleting and bulk-importing contacts, and who sees which.

use axum::http::Method;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};
use termin_domain::credential::{ScopeGroup, Scopes};
use termin_domain::tenancy::{Plan, Role};

use crate::helpers::{Auth, Member, TestApp, TestResponse};
use crate::scheduling::{booking, default_meeting_type, upcoming_weekday};

async fn create(app: &TestApp, auth: &Auth, body: Value) -> TestResponse {
    app.call(Method::POST, "/crm", auth, Some(body)).await
}

/// Creates a contact and returns its object.
async fn created(app: &TestApp, auth: &Auth, body: Value) -> Value {
    let r = create(app, auth, body).await;
    r.assert_status(201);
    r.json()["item"].clone()
}

#[track_caller]
fn fields(r: &TestResponse) -> Vec<String> {
    let mut fields = r.error_fields();
    fields.sort();
    fields
}

/// The emails of a `GET /crm` page, in order.
fn emails(page: &Value) -> Vec<String> {
    page["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item"]["email"].as_str().unwrap_or("-").to_owned())
        .collect()
}

async fn list(app: &TestApp, auth: &Auth, query: &str) -> Value {
    let r = app.get(&format!("/crm{query}"), auth).await;
    r.assert_status(200);
    r.json()
}

/// Books the member's default meeting type for `email` at `start`; returns the appointment id.
async fn book(app: &TestApp, host: &Member, start: Timestamp, email: &str) -> String {
    let mt = default_meeting_type(app, host).await;
    let r = app
        .call(
            Method::POST,
            "/v4/booking",
            &host.auth(),
            Some(booking(&mt, start, email)),
        )
        .await;
    r.assert_status(201);
    r.json()["appointmentId"].as_str().unwrap().to_owned()
}

fn same_instant(shown: &Value, expected: Timestamp) {
    let shown: Timestamp = shown
        .as_str()
        .unwrap_or_else(|| panic!("not a timestamp: {shown}"))
        .parse()
        .unwrap();
    assert_eq!(shown, expected);
}

async fn create_validates_and_refuses_duplicates(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();

    // Neither email nor phone: both fields are named.
    let r = create(&app, &auth, json!({"firstName": "Ada"})).await;
    r.assert_status(400);
    assert!(
        r.error_message().starts_with("email: "),
        "{}",
        r.error_message()
    );
    assert!(r.error_message().contains("; phoneNumber: "));
    assert_eq!(fields(&r), ["email", "phoneNumber"]);
    let r = create(&app, &auth, json!({"email": "", "phoneNumber": null})).await;
    assert_eq!(fields(&r), ["email", "phoneNumber"]);
    // Blank is not empty: an address is taken as sent, and spaces are not one.
    let r = create(&app, &auth, json!({"email": "  ", "phoneNumber": null})).await;
    assert_eq!(fields(&r), ["email"]);

    // Every bad field at once.
    let r = create(
        &app,
        &auth,
        json!({"email": "not-an-email", "phoneNumber": "call me", "firstName": "x".repeat(101),
               "language": "english", "tags": ["ok", "", "a\"b"], "notes": "n".repeat(10_001),
               "additionalData": {"blob": "x".repeat(17_000)}}),
    )
    .await;
    r.assert_status(400);
    assert_eq!(
        fields(&r),
        [
            "additionalData",
            "email",
            "firstName",
            "language",
            "notes",
            "phoneNumber",
            "tags[1]",
            "tags[2]"
        ]
    );
    // Wrong JSON types name the field too.
    let r = create(
        &app,
        &auth,
        json!({"email": "a@example.com", "tags": "vip"}),
    )
    .await;
    r.assert_status(400);
    assert_eq!(fields(&r), ["tags"]);
    let r = create(
        &app,
        &auth,
        json!({"email": "a@example.com", "additionalData": [1]}),
    )
    .await;
    assert_eq!(fields(&r), ["additionalData"]);

    // A full contact.
    let item = created(
        &app,
        &auth,
        json!({"firstName": " Ada ", "lastName": "Lovelace", "email": "Ada@Example.COM",
               "phoneNumber": "+44 20 7946 0000", "language": "EN-gb", "tags": ["vip", "VIP", "london"],
               "notes": "met at the conference", "additionalData": {"company": "Analytical", "score": 3}}),
    )
    .await;
    assert_eq!(item["firstName"], "Ada");
    assert_eq!(item["lastName"], "Lovelace");
    assert_eq!(item["email"], "ada@example.com");
    assert_eq!(item["phoneNumber"], "+44 20 7946 0000");
    assert_eq!(item["language"], "en-GB");
    assert_eq!(item["tags"], json!(["vip", "london"]));
    assert_eq!(item["notes"], "met at the conference");
    assert_eq!(
        item["additionalData"],
        json!({"company": "Analytical", "score": 3})
    );
    assert_eq!(item["noShowCount"], 0);
    assert_eq!(item["accountOwnerId"], c.member.user.id.to_string());
    assert_eq!(item["createdAt"], item["updatedAt"]);
    let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 13, "{keys:?}");

    // The email is unique in the company, whatever its case and whoever owns the first.
    for who in [&c.member, &c.admin] {
        let r = create(&app, &who.auth(), json!({"email": "ADA@example.com"})).await;
        r.assert_status(409);
        assert_eq!(
            r.error_message(),
            "A contact with this email already exists"
        );
    }
    // A phone number alone is enough; any number of contacts may have no email.
    for _ in 0..2 {
        let phone_only = created(&app, &auth, json!({"phoneNumber": "030 1234567"})).await;
        assert_eq!(phone_only["email"], Value::Null);
        assert_eq!(phone_only["tags"], json!([]));
        assert_eq!(phone_only["additionalData"], json!({}));
    }
    // Another company has its own address book.
    let other = app.company(Plan::Platform).await;
    created(
        &app,
        &other.member.auth(),
        json!({"email": "ada@example.com"}),
    )
    .await;
}

async fn search_tags_paging_and_sort(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.admin.auth();
    for body in [
        json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.org", "tags": ["vip", "london"]}),
        json!({"firstName": "Alan", "lastName": "Turing", "email": "alan@example.com", "tags": ["VIP"]}),
        json!({"firstName": "Grace", "lastName": "Hopper", "email": "grace@navy.test", "phoneNumber": "+1 555 0100", "tags": ["navy"]}),
        json!({"lastName": "Anonymous", "email": "zed_100%@example.com"}),
    ] {
        created(&app, &auth, body).await;
    }
    let all = list(&app, &auth, "").await;
    assert_eq!(all["total"], 4);
    assert_eq!(
        (all["page"].clone(), all["limit"].clone()),
        (json!(1), json!(20))
    );
    assert_eq!(all["totalPages"], 1);
    assert_eq!(
        emails(&all),
        [
            "zed_100%@example.com",
            "grace@navy.test",
            "alan@example.com",
            "ada@example.org"
        ],
        "newest first by default"
    );
    for (query, expected) in [
        ("?searchTerm=LOVE", vec!["ada@example.org"]),
        ("?searchTerm=ada%20lov", vec!["ada@example.org"]),
        ("?searchTerm=555%200100", vec!["grace@navy.test"]),
        ("?searchTerm=example.org", vec!["ada@example.org"]),
        ("?searchTerm=anonym", vec!["zed_100%@example.com"]),
        // LIKE wildcards in the term are plain characters.
        ("?searchTerm=%25", vec!["zed_100%@example.com"]),
        ("?searchTerm=d_1", vec!["zed_100%@example.com"]),
        ("?searchTerm=a_a", vec![]),
        (
            "?tags=vip&sortOrder=asc",
            vec!["ada@example.org", "alan@example.com"],
        ),
        ("?tags=Vip,london", vec!["ada@example.org"]),
        ("?tags=vip&tags=london", vec!["ada@example.org"]),
        ("?tags=lon", vec![]),
        ("?tags=navy&searchTerm=grace", vec!["grace@navy.test"]),
        ("?tags=navy&searchTerm=ada", vec![]),
    ] {
        let page = list(&app, &auth, query).await;
        assert_eq!(emails(&page), expected, "{query}");
        assert_eq!(page["total"], expected.len(), "{query}");
    }
    for (query, expected) in [
        (
            "?sortBy=firstName&sortOrder=asc",
            [
                "ada@example.org",
                "alan@example.com",
                "grace@navy.test",
                "zed_100%@example.com",
            ],
        ),
        (
            // A missing value sorts last in either direction.
            "?sortBy=firstName&sortOrder=desc",
            [
                "grace@navy.test",
                "alan@example.com",
                "ada@example.org",
                "zed_100%@example.com",
            ],
        ),
        (
            "?sortBy=lastName&sortOrder=ASC",
            [
                "zed_100%@example.com",
                "grace@navy.test",
                "ada@example.org",
                "alan@example.com",
            ],
        ),
        (
            "?sortBy=email&sortOrder=asc",
            [
                "ada@example.org",
                "alan@example.com",
                "grace@navy.test",
                "zed_100%@example.com",
            ],
        ),
        (
            "?sortBy=createdAt&sortOrder=asc",
            [
                "ada@example.org",
                "alan@example.com",
                "grace@navy.test",
                "zed_100%@example.com",
            ],
        ),
    ] {
        assert_eq!(emails(&list(&app, &auth, query).await), expected, "{query}");
    }
    // updatedAt follows the last change.
    let alan = list(&app, &auth, "?searchTerm=alan").await["result"][0]["item"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.clock.advance(jiff::SignedDuration::from_millis(5));
    app.call(
        Method::PATCH,
        &format!("/crm/{alan}"),
        &auth,
        Some(json!({"notes": "touched"})),
    )
    .await
    .assert_status(200);
    let by_update = list(&app, &auth, "?sortBy=updatedAt").await;
    assert_eq!(emails(&by_update)[0], "alan@example.com");

    // Pages are 1-based.
    let query = "?sortBy=email&sortOrder=asc&limit=3";
    let first = list(&app, &auth, &format!("{query}&page=1")).await;
    assert_eq!(emails(&first).len(), 3);
    assert_eq!(
        (
            first["total"].clone(),
            first["totalPages"].clone(),
            first["limit"].clone()
        ),
        (json!(4), json!(2), json!(3))
    );
    let second = list(&app, &auth, &format!("{query}&page=2")).await;
    assert_eq!(emails(&second), ["zed_100%@example.com"]);
    assert_eq!(second["page"], 2);
    let beyond = list(&app, &auth, &format!("{query}&page=3")).await;
    assert_eq!(emails(&beyond), Vec::<String>::new());
    assert_eq!(beyond["total"], 4);

    let bad = app
        .get(
            "/crm?page=0&limit=101&sortBy=name&sortOrder=up&tags=a%22b",
            &auth,
        )
        .await;
    bad.assert_status(400);
    assert_eq!(
        fields(&bad),
        ["limit", "page", "sortBy", "sortOrder", "tags"]
    );
    let bad = app.get("/crm?page=two&limit=0", &auth).await;
    bad.assert_status(400);
    assert_eq!(fields(&bad), ["limit", "page"]);
}

async fn details_by_contact_and_attendee(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let later = upcoming_weekday("Europe/Berlin", 5, 14, 0);
    let sooner = upcoming_weekday("Europe/Berlin", 3, 10, 0);
    let first = book(&app, &c.member, later, "Guest@Example.com").await;

    // The booking made the host a contact for the attendee.
    let page = list(&app, &auth, "?searchTerm=guest").await;
    assert_eq!(page["total"], 1);
    let found = &page["result"][0];
    let contact = found["item"].clone();
    let id = contact["id"].as_str().unwrap().to_owned();
    assert_eq!(contact["email"], "guest@example.com");
    assert_eq!(contact["firstName"], "Ada");
    assert_eq!(contact["lastName"], "Guest");
    assert_eq!(contact["accountOwnerId"], c.member.user.id.to_string());
    assert_eq!(found["appointments"].as_array().unwrap().len(), 1);
    assert_eq!(found["appointments"][0]["id"], first.as_str());
    assert_eq!(
        found["appointments"][0]["hostIds"][0],
        c.member.user.id.to_string()
    );
    same_instant(&found["nextAppointmentIso"], later);

    // A second booking: both appointments, the sooner one is next.
    let second = book(&app, &c.member, sooner, "guest@example.com").await;
    let details = app
        .get(&format!("/crm/details?contactId={id}"), &auth)
        .await;
    details.assert_status(200);
    let details = details.json();
    assert_eq!(details["item"]["id"], id.as_str());
    let ids: Vec<&str> = details["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "by start");
    same_instant(&details["nextAppointmentIso"], sooner);

    // Found by one of its attendees just the same.
    let appointment = app
        .get(&format!("/v4/appointment/{second}"), &auth)
        .await
        .json();
    let attendee = appointment["attendees"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_attendee = app
        .get(&format!("/crm/details?attendeeId={attendee}"), &auth)
        .await;
    by_attendee.assert_status(200);
    assert_eq!(by_attendee.json(), details);

    // Cancelled appointments stay listed but are never next.
    app.call(
        Method::POST,
        &format!("/v4/appointment/{second}/cancel"),
        &auth,
        Some(json!({"reason": "ill"})),
    )
    .await
    .assert_status(200);
    let details = app
        .get(&format!("/crm/details?contactId={id}"), &auth)
        .await
        .json();
    assert_eq!(details["appointments"].as_array().unwrap().len(), 2);
    assert_eq!(details["appointments"][0]["isCancelled"], true);
    same_instant(&details["nextAppointmentIso"], later);
    app.call(
        Method::POST,
        &format!("/v4/appointment/{first}/cancel"),
        &auth,
        Some(json!({})),
    )
    .await
    .assert_status(200);
    let details = app
        .get(&format!("/crm/details?contactId={id}"), &auth)
        .await
        .json();
    assert_eq!(details["nextAppointmentIso"], Value::Null);

    // A contact made through the API has no appointments yet.
    let plain = created(&app, &auth, json!({"email": "plain@example.com"})).await;
    let details = app
        .get(
            &format!("/crm/details?contactId={}", plain["id"].as_str().unwrap()),
            &auth,
        )
        .await
        .json();
    assert_eq!(details["appointments"], json!([]));
    assert_eq!(details["nextAppointmentIso"], Value::Null);

    // Exactly one of the two parameters, each a UUID.
    for query in [
        String::new(),
        format!("?contactId={id}&attendeeId={attendee}"),
    ] {
        let r = app.get(&format!("/crm/details{query}"), &auth).await;
        r.assert_status(400);
        assert_eq!(fields(&r), ["attendeeId", "contactId"]);
    }
    let r = app.get("/crm/details?contactId=nope", &auth).await;
    r.assert_status(400);
    assert_eq!(fields(&r), ["contactId"]);
    for query in [
        format!("contactId={}", uuid::Uuid::now_v7()),
        format!("attendeeId={}", uuid::Uuid::now_v7()),
    ] {
        let r = app.get(&format!("/crm/details?{query}"), &auth).await;
        r.assert_status(404);
        assert_eq!(r.error_message(), "Contact not found");
    }
}

async fn patch_changes_only_given_fields(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let item = created(
        &app,
        &auth,
        json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
               "tags": ["vip"], "notes": "first", "additionalData": {"a": 1}}),
    )
    .await;
    created(&app, &auth, json!({"email": "taken@example.com"})).await;
    let id = item["id"].as_str().unwrap().to_owned();
    let path = format!("/crm/{id}");
    app.clock.advance(jiff::SignedDuration::from_millis(5));

    let r = app
        .call(
            Method::PATCH,
            &path,
            &auth,
            Some(json!({"firstName": "Augusta", "tags": ["vip", "royal"]})),
        )
        .await;
    r.assert_status(200);
    let patched = r.json()["item"].clone();
    assert_eq!(patched["firstName"], "Augusta");
    assert_eq!(patched["tags"], json!(["vip", "royal"]));
    for same in [
        "lastName",
        "email",
        "notes",
        "additionalData",
        "createdAt",
        "accountOwnerId",
    ] {
        assert_eq!(patched[same], item[same], "{same}");
    }
    assert!(
        patched["updatedAt"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap()
            > item["updatedAt"]
                .as_str()
                .unwrap()
                .parse::<Timestamp>()
                .unwrap()
    );
    // What PATCH answered is what a read shows.
    let read = app
        .get(&format!("/crm/details?contactId={id}"), &auth)
        .await
        .json();
    assert_eq!(read["item"], patched);

    // Null clears; a contact keeps an email or a phone number.
    let r = app
        .call(Method::PATCH, &path, &auth, Some(json!({"email": null})))
        .await;
    r.assert_status(400);
    assert_eq!(fields(&r), ["email", "phoneNumber"]);
    let r = app
        .call(
            Method::PATCH,
            &path,
            &auth,
            Some(
                json!({"email": null, "phoneNumber": "+49 30 123456", "notes": null,
                        "tags": null, "additionalData": null, "lastName": ""}),
            ),
        )
        .await;
    r.assert_status(200);
    let cleared = r.json()["item"].clone();
    assert_eq!(cleared["email"], Value::Null);
    assert_eq!(cleared["phoneNumber"], "+49 30 123456");
    assert_eq!(cleared["notes"], Value::Null);
    assert_eq!(cleared["lastName"], Value::Null);
    assert_eq!(cleared["tags"], json!([]));
    assert_eq!(cleared["additionalData"], json!({}));
    assert_eq!(cleared["firstName"], "Augusta");

    // Another contact's email: 409; a bad one: 400; nothing changes.
    let r = app
        .call(
            Method::PATCH,
            &path,
            &auth,
            Some(json!({"email": "TAKEN@example.com"})),
        )
        .await;
    r.assert_status(409);
    assert_eq!(
        r.error_message(),
        "A contact with this email already exists"
    );
    let r = app
        .call(
            Method::PATCH,
            &path,
            &auth,
            Some(json!({"email": "bad", "language": "xx-yyy"})),
        )
        .await;
    r.assert_status(400);
    assert_eq!(fields(&r), ["email", "language"]);
    let read = app
        .get(&format!("/crm/details?contactId={id}"), &auth)
        .await
        .json();
    assert_eq!(read["item"], cleared);
    // Its own email again is fine.
    app.call(
        Method::PATCH,
        &path,
        &auth,
        Some(json!({"email": "ada@example.com"})),
    )
    .await
    .assert_status(200);
    app.call(
        Method::PATCH,
        &path,
        &auth,
        Some(json!({"email": "Ada@example.com"})),
    )
    .await
    .assert_status(200);

    app.call(
        Method::PATCH,
        &format!("/crm/{}", uuid::Uuid::now_v7()),
        &auth,
        Some(json!({"firstName": "X"})),
    )
    .await
    .assert_status(404);
    app.call(Method::PATCH, "/crm/not-a-uuid", &auth, Some(json!({})))
        .await
        .assert_status(400);
}

async fn delete_unlinks_attendees(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let start = upcoming_weekday("Europe/Berlin", 3, 11, 0);
    let appointment = book(&app, &c.member, start, "leaving@example.com").await;
    let contact = list(&app, &auth, "?searchTerm=leaving").await["result"][0]["item"].clone();
    let id = contact["id"].as_str().unwrap().to_owned();
    let attendee = app
        .get(&format!("/v4/appointment/{appointment}"), &auth)
        .await
        .json()["attendees"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app
        .call(Method::DELETE, &format!("/crm/{id}"), &auth, None)
        .await;
    r.assert_status(200);
    assert_eq!(r.text, "");
    for query in [format!("contactId={id}"), format!("attendeeId={attendee}")] {
        app.get(&format!("/crm/details?{query}"), &auth)
            .await
            .assert_status(404);
    }
    assert_eq!(list(&app, &auth, "").await["total"], 0);
    app.call(Method::DELETE, &format!("/crm/{id}"), &auth, None)
        .await
        .assert_status(404);
    // The appointment keeps its attendee.
    let kept = app
        .get(&format!("/v4/appointment/{appointment}"), &auth)
        .await;
    kept.assert_status(200);
    assert_eq!(kept.json()["attendees"][0]["email"], "leaving@example.com");

    // A new booking makes a new contact.
    book(
        &app,
        &c.member,
        start + SignedDuration::from_hours(1),
        "leaving@example.com",
    )
    .await;
    let again = list(&app, &auth, "?searchTerm=leaving").await;
    assert_eq!(again["total"], 1);
    assert_ne!(again["result"][0]["item"]["id"], id.as_str());
    assert_eq!(
        again["result"][0]["appointments"].as_array().unwrap().len(),
        1
    );
}

async fn bulk_reports_each_row(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    created(
        &app,
        &c.admin.auth(),
        json!({"email": "existing@example.com"}),
    )
    .await;
    // A row that is not an object is the list's shape gone wrong: nothing is imported.
    let r = app
        .call(
            Method::POST,
            "/crm/bulk",
            &auth,
            Some(json!({"contacts": [{"email": "early@example.com"}, 42]})),
        )
        .await;
    r.assert_status(400);
    assert_eq!(r.json()["errors"][0]["field"], "contacts[1]");
    let rows = json!([
        {"email": "one@example.com", "firstName": "One", "tags": ["import"]},
        {"email": "not an email"},
        {"email": "Existing@example.com"},
        {"phoneNumber": "+49 170 1234567", "tags": ["import"]},
        {"email": "ONE@example.com"},
        {"email": "  "},
        {"email": "typed@example.com", "tags": "import"},
        {"firstName": "Nobody"},
        {"email": "two@example.com", "additionalData": {"source": "csv"}},
    ]);
    let r = app
        .call(
            Method::POST,
            "/crm/bulk",
            &auth,
            Some(json!({"contacts": rows})),
        )
        .await;
    r.assert_status(200);
    let body = r.json();
    assert_eq!(body["created"], 3);
    assert_eq!(body["failed"], 6);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 9);
    let summary: Vec<(u64, &str, Value)> = results
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["status"].as_str().unwrap(),
                r["error"]["statusCode"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (0, "created", Value::Null),
            (1, "error", json!(400)),
            (2, "error", json!(409)),
            (3, "created", Value::Null),
            (4, "error", json!(409)),
            (5, "error", json!(400)),
            (6, "error", json!(400)),
            (7, "error", json!(400)),
            (8, "created", Value::Null),
        ]
    );
    assert_eq!(results[0]["item"]["email"], "one@example.com");
    assert_eq!(
        results[0]["item"]["accountOwnerId"],
        c.member.user.id.to_string()
    );
    assert!(results[0].get("error").is_none());
    assert!(results[1].get("item").is_none());
    assert_eq!(results[1]["error"]["errors"][0]["field"], "email");
    assert_eq!(
        results[2]["error"]["message"],
        "A contact with this email already exists"
    );
    assert_eq!(results[6]["error"]["errors"][0]["field"], "tags");
    let mut missing: Vec<&str> = results[7]["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    missing.sort();
    assert_eq!(missing, ["email", "phoneNumber"]);
    assert_eq!(
        results[8]["item"]["additionalData"],
        json!({"source": "csv"})
    );
    // Exactly the created rows were stored.
    let mine = list(&app, &auth, "?sortBy=createdAt&sortOrder=asc").await;
    assert_eq!(emails(&mine), ["one@example.com", "-", "two@example.com"]);
    assert_eq!(list(&app, &auth, "?tags=import").await["total"], 2);

    // 1 to 1000 rows.
    let many = |n: usize, prefix: &str| {
        let rows: Vec<Value> = (0..n)
            .map(|i| json!({"email": format!("{prefix}-{i}@example.com")}))
            .collect();
        json!({ "contacts": rows })
    };
    for body in [many(1001, "over"), json!({"contacts": []}), json!({})] {
        let r = app.call(Method::POST, "/crm/bulk", &auth, Some(body)).await;
        r.assert_status(400);
        assert_eq!(fields(&r), ["contacts"]);
    }
    assert_eq!(list(&app, &auth, "?searchTerm=over-").await["total"], 0);
    let r = app
        .call(Method::POST, "/crm/bulk", &auth, Some(many(1000, "max")))
        .await;
    r.assert_status(200);
    assert_eq!(
        (r.json()["created"].clone(), r.json()["failed"].clone()),
        (json!(1000), json!(0))
    );
    let page = list(&app, &auth, "?searchTerm=max-&limit=100").await;
    assert_eq!(
        (page["total"].clone(), page["totalPages"].clone()),
        (json!(1000), json!(10))
    );
}

async fn members_see_their_own_admins_see_all(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let other_member = app.add_user(c.id, Role::Member).await;
    let mine = created(&app, &c.member.auth(), json!({"email": "mine@example.com"})).await;
    let admins = created(
        &app,
        &c.admin.auth(),
        json!({"email": "admins@example.com"}),
    )
    .await;
    let theirs = created(
        &app,
        &other_member.auth(),
        json!({"email": "theirs@example.com"}),
    )
    .await;
    assert_eq!(admins["accountOwnerId"], c.admin.user.id.to_string());

    let seen = list(&app, &c.member.auth(), "?sortBy=email&sortOrder=asc").await;
    assert_eq!(emails(&seen), ["mine@example.com"]);
    assert_eq!(seen["total"], 1);
    for who in [&c.admin, &c.owner] {
        let seen = list(&app, &who.auth(), "?sortBy=email&sortOrder=asc").await;
        assert_eq!(
            emails(&seen),
            [
                "admins@example.com",
                "mine@example.com",
                "theirs@example.com"
            ]
        );
    }
    // Someone else's contact is not there for a member, whatever the verb.
    for other in [&admins, &theirs] {
        let id = other["id"].as_str().unwrap();
        let auth = c.member.auth();
        app.get(&format!("/crm/details?contactId={id}"), &auth)
            .await
            .assert_status(404);
        app.call(
            Method::PATCH,
            &format!("/crm/{id}"),
            &auth,
            Some(json!({"firstName": "Mine now"})),
        )
        .await
        .assert_status(404);
        app.call(Method::DELETE, &format!("/crm/{id}"), &auth, None)
            .await
            .assert_status(404);
    }
    // An admin reaches the member's contact.
    let id = mine["id"].as_str().unwrap();
    app.call(
        Method::PATCH,
        &format!("/crm/{id}"),
        &c.admin.auth(),
        Some(json!({"notes": "checked by admin"})),
    )
    .await
    .assert_status(200);
    // An API key acting as the member sees what the member sees.
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let seen = list(&app, &Auth::acting(&key, c.member.user.id), "").await;
    assert_eq!(emails(&seen), ["mine@example.com"]);
    // A token limited to scheduling does not reach contacts; one limited to contacts does.
    let scheduling = app
        .pat(&c.member.user, Scopes::new([ScopeGroup::Scheduling]), None)
        .await;
    app.get("/crm", &Auth::bearer(&scheduling))
        .await
        .assert_status(403);
    let contacts = app
        .pat(&c.member.user, Scopes::new([ScopeGroup::Contacts]), None)
        .await;
    assert_eq!(list(&app, &Auth::bearer(&contacts), "").await["total"], 1);

    // One attendee booked by two hosts: the contact is the first host's, and a member sees only
    // the appointments they host in it; an admin sees both.
    let start = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let own = book(&app, &c.member, start, "shared@example.com").await;
    let foreign = book(&app, &other_member, start, "shared@example.com").await;
    let as_member = list(&app, &c.member.auth(), "?searchTerm=shared").await;
    let appointment_ids = |page: &Value| -> Vec<String> {
        let mut ids: Vec<String> = page["result"][0]["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(appointment_ids(&as_member), [own.as_str()]);
    assert_eq!(
        as_member["result"][0]["item"]["accountOwnerId"],
        c.member.user.id.to_string()
    );
    let as_admin = list(&app, &c.admin.auth(), "?searchTerm=shared").await;
    let mut both = vec![own, foreign];
    both.sort();
    assert_eq!(appointment_ids(&as_admin), both);
    // The other host does not own the contact, so does not see it.
    assert_eq!(
        list(&app, &other_member.auth(), "?searchTerm=shared").await["total"],
        0
    );
}

async fn other_companies_get_404(app: TestApp) {
    let a = app.company(Plan::Platform).await;
    let b = app.company(Plan::Platform).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 15, 0);
    let appointment = book(&app, &a.member, start, "private@example.com").await;
    let contact =
        list(&app, &a.admin.auth(), "?searchTerm=private").await["result"][0]["item"].clone();
    let id = contact["id"].as_str().unwrap().to_owned();
    let attendee = app
        .get(&format!("/v4/appointment/{appointment}"), &a.member.auth())
        .await
        .json()["attendees"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for who in [&b.admin, &b.owner, &b.member] {
        let auth = who.auth();
        for query in [format!("contactId={id}"), format!("attendeeId={attendee}")] {
            let r = app.get(&format!("/crm/details?{query}"), &auth).await;
            r.assert_status(404);
            assert_eq!(r.error_message(), "Contact not found");
        }
        app.call(
            Method::PATCH,
            &format!("/crm/{id}"),
            &auth,
            Some(json!({"firstName": "Stolen"})),
        )
        .await
        .assert_status(404);
        app.call(Method::DELETE, &format!("/crm/{id}"), &auth, None)
            .await
            .assert_status(404);
        assert_eq!(list(&app, &auth, "").await["total"], 0);
    }
    // Untouched, and the same email is free in company B.
    let read = app
        .get(&format!("/crm/details?contactId={id}"), &a.admin.auth())
        .await
        .json();
    assert_eq!(read["item"], contact);
    created(
        &app,
        &b.admin.auth(),
        json!({"email": "private@example.com"}),
    )
    .await;
}

crate::backend_tests!(
    create_validates_and_refuses_duplicates,
    search_tags_paging_and_sort,
    details_by_contact_and_attendee,
    patch_changes_only_given_fields,
    delete_unlinks_attendees,
    bulk_reports_each_row,
    members_see_their_own_admins_see_all,
    other_companies_get_404,
);
