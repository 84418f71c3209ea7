//! `/v4/user`: the user API of the contract.

use axum::http::Method;
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;

use crate::helpers::{Auth, TestApp};

async fn an_api_key_creates_updates_and_removes_users(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let owner = Auth::bearer(&key);

    let created = app
        .call(
            Method::POST,
            "/v4/user",
            &owner,
            Some(json!({"email": "Ada@Example.com", "givenName": "Ada", "familyName": "Lovelace", "timezone": "Europe/London"})),
        )
        .await;
    created.assert_status(201);
    let body = created.json();
    assert_eq!(body["companyId"], c.id.to_string());
    assert_eq!(body["bookingUrl"], "http://termin.test/ada-lovelace/30min");
    assert!(body["availabilityId"].is_string() && body["meetingTypeId"].is_string());
    let id = body["userId"].as_str().unwrap().to_owned();

    let me = app
        .get("/v4/user/me", &Auth::acting(&key, &id))
        .await
        .json();
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["userType"], "api-platform");
    assert_eq!(me["role"], "member");
    assert_eq!(me["isAdmin"], false);
    assert_eq!(me["fullName"], "Ada Lovelace");
    assert_eq!(me["timezone"], "Europe/London");

    // Same email again: 409. Same name: a distinct slug.
    let dup = app
        .call(Method::POST, "/v4/user", &owner, Some(json!({"email": "ada@example.com", "givenName": "A", "familyName": "B", "timezone": "UTC"})))
        .await;
    dup.assert_status(409);
    let twin = app
        .call(Method::POST, "/v4/user", &owner, Some(json!({"email": "ada2@example.com", "givenName": "Ada", "familyName": "Lovelace", "timezone": "UTC"})))
        .await;
    assert_eq!(
        twin.json()["bookingUrl"],
        "http://termin.test/ada-lovelace-2/30min"
    );

    let patched = app
        .call(
            Method::PATCH,
            &format!("/v4/user/{id}"),
            &owner,
            Some(json!({"slug": "ada-the-countess", "language": "de"})),
        )
        .await;
    patched.assert_status(200);
    // A slug is stored as sent, so it must already be one.
    let unslugged = app
        .call(
            Method::PATCH,
            &format!("/v4/user/{id}"),
            &owner,
            Some(json!({"slug": "Ada The Countess"})),
        )
        .await;
    unslugged.assert_status(400);
    assert_eq!(unslugged.json()["errors"][0]["field"], "slug");
    assert_eq!(patched.json()["slug"], "ada-the-countess");
    assert_eq!(patched.json()["language"], "de");
    let taken = app
        .call(
            Method::PATCH,
            &format!("/v4/user/{id}"),
            &owner,
            Some(json!({"slug": c.member.user.slug})),
        )
        .await;
    taken.assert_status(409);
    let short = app
        .call(
            Method::PATCH,
            &format!("/v4/user/{id}"),
            &owner,
            Some(json!({"slug": "ab"})),
        )
        .await;
    short.assert_status(400);
    assert_eq!(short.json()["errors"][0]["field"], "slug");

    // The owner is never removed; others are, and their credentials stop at once.
    let r = app
        .call(
            Method::DELETE,
            &format!("/v4/user/{}", c.owner.user.id),
            &owner,
            None,
        )
        .await;
    r.assert_status(403);
    app.call(
        Method::DELETE,
        &format!("/v4/user/{}", c.member.user.id),
        &owner,
        None,
    )
    .await
    .assert_status(200);
    app.get("/v4/user/me", &c.member.auth())
        .await
        .assert_status(401);
    app.call(
        Method::DELETE,
        &format!("/v4/user/{}", c.member.user.id),
        &owner,
        None,
    )
    .await
    .assert_status(404);
}

async fn another_companys_ids_answer_404(app: TestApp) {
    let a = app.company(Plan::Platform).await;
    let b = app.company(Plan::Platform).await;
    let (_, key_b) = app.api_key(b.id, &b.owner.user).await;
    let target = format!("/v4/user/{}", a.member.user.id);
    let r = app
        .call(
            Method::PATCH,
            &target,
            &Auth::bearer(&key_b),
            Some(json!({"givenName": "X"})),
        )
        .await;
    r.assert_status(404);
    app.call(Method::DELETE, &target, &Auth::bearer(&key_b), None)
        .await
        .assert_status(404);
    let list = app.get("/v4/user", &b.admin.auth()).await.json();
    assert!(!list.to_string().contains(&a.member.user.id.to_string()));
}

async fn the_user_list_pages_and_filters(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    for _ in 0..3 {
        app.add_user(c.id, termin_domain::tenancy::Role::Member)
            .await;
    }
    let page = app
        .get("/v4/user?limit=2&offset=1", &c.admin.auth())
        .await
        .json();
    assert_eq!(page["total"], 6);
    assert_eq!(page["count"], 2);
    assert_eq!(page["offset"], 1);
    assert_eq!(page["users"].as_array().unwrap().len(), 2);
    let standard = app
        .get("/v4/user?userType=standard", &c.admin.auth())
        .await
        .json();
    assert_eq!(standard["total"], 6);
    let none = app
        .get("/v4/user?userType=resource", &c.admin.auth())
        .await
        .json();
    assert_eq!(none["total"], 0);
    app.get("/v4/user?limit=0", &c.admin.auth())
        .await
        .assert_status(400);
    app.get("/v4/user?limit=101", &c.admin.auth())
        .await
        .assert_status(400);
    app.get("/v4/user?userType=robot", &c.admin.auth())
        .await
        .assert_status(400);
}

async fn a_dashboard_member_edits_only_themself(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let session = app.session(&c.member.user).await;
    let own = format!("/v4/user/{}", c.member.user.id);
    let r = app
        .call(
            Method::PATCH,
            &own,
            &session,
            Some(json!({"timezone": "America/New_York"})),
        )
        .await;
    r.assert_status(200);
    assert_eq!(r.json()["timezone"], "America/New_York");
    let other = format!("/v4/user/{}", c.admin.user.id);
    app.call(
        Method::PATCH,
        &other,
        &session,
        Some(json!({"givenName": "X"})),
    )
    .await
    .assert_status(403);
}

/// The personal page settings: defaults until changed; only what is sent changes, nested
/// `onlineProfiles` fields included; null clears; every bad field is named; the meeting type
/// order takes only the user's own meeting types.
async fn personal_page_settings_merge_and_validate(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let page = app.get("/v4/personal-page/me", &auth).await;
    page.assert_status(200);
    let page = page.json();
    assert_eq!(page["showAllMeetingTypes"], true);
    assert_eq!(page["useCustomColors"], false);
    assert_eq!(page["onlineProfiles"]["customLinks"], json!([]));
    let mine = crate::scheduling::default_meeting_type(&app, &c.member).await;
    let others = crate::scheduling::default_meeting_type(&app, &c.admin).await;
    let patch = |body: Value| {
        let (app, auth) = (&app, &auth);
        async move {
            app.call(Method::PATCH, "/v4/personal-page/me", auth, Some(body))
                .await
        }
    };

    let r = patch(json!({
        "useCustomColors": true, "primaryColor": "#112233", "description": "Hello",
        "meetingTypeOrder": [mine["id"]],
        "onlineProfiles": {"linkedIn": "https://www.linkedin.com/in/ada", "phone": "+49 30 1234",
                           "customLinks": [{"name": "Blog", "url": "https://ada.example/blog"}]}
    }))
    .await;
    r.assert_status(200);
    let r = patch(json!({"onlineProfiles": {"city": "Berlin"}, "description": null})).await;
    r.assert_status(200);
    let page = app.get("/v4/personal-page/me", &auth).await.json();
    assert_eq!(page["primaryColor"], "#112233");
    assert_eq!(page["description"], Value::Null);
    assert_eq!(page["meetingTypeOrder"], json!([mine["id"]]));
    assert_eq!(
        page["onlineProfiles"]["linkedIn"],
        "https://www.linkedin.com/in/ada"
    );
    assert_eq!(page["onlineProfiles"]["city"], "Berlin");
    assert_eq!(page["onlineProfiles"]["customLinks"][0]["name"], "Blog");

    let r = patch(json!({
        "primaryColor": "red", "headerImage": "ftp://x/y.png",
        "meetingTypeOrder": [mine["id"], others["id"], mine["id"]],
        "onlineProfiles": {"email": "not an email", "customLinks": [{"name": " ", "url": "https://x.example"}]}
    }))
    .await;
    r.assert_status(400);
    assert_eq!(
        r.error_fields(),
        [
            "primaryColor",
            "headerImage",
            "onlineProfiles.email",
            "onlineProfiles.customLinks[0].name",
            "meetingTypeOrder[1]",
            "meetingTypeOrder[2]",
        ]
    );
    // Nothing of the refused change was kept.
    assert_eq!(app.get("/v4/personal-page/me", &auth).await.json(), page);
    // Each user has their own.
    let admins = app
        .get("/v4/personal-page/me", &c.admin.auth())
        .await
        .json();
    assert_eq!(admins["primaryColor"], Value::Null);
    // A meeting type in the order that is then deleted does not stop the page being sent back
    // whole.
    let mt_id = mine["id"].as_str().unwrap();
    app.call(
        Method::DELETE,
        &format!("/v4/meeting-type/{mt_id}"),
        &auth,
        None,
    )
    .await
    .assert_status(200);
    let r = patch(page.clone()).await;
    r.assert_status(200);
    assert_eq!(r.json(), page);
    // Links must be plain absolute http(s) URLs.
    for bad in [
        "https:example.com",
        " https://x.example",
        "https://x.example/a b",
    ] {
        let r = patch(json!({"headerImage": bad})).await;
        assert_eq!(r.status, 400, "{bad:?} accepted");
    }
}

crate::backend_tests!(
    an_api_key_creates_updates_and_removes_users,
    another_companys_ids_answer_404,
    the_user_list_pages_and_filters,
    a_dashboard_member_edits_only_themself,
    personal_page_settings_merge_and_validate,
    a_gdpr_export_gathers_what_the_company_holds,
);

async fn a_gdpr_export_gathers_what_the_company_holds(app: TestApp) {
    use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    for hour in [10, 11] {
        let start = upcoming_weekday("Europe/Berlin", 3, hour, 0);
        book(
            &app,
            &c.member.auth(),
            booking(&mt, start, "ada@example.com"),
        )
        .await;
    }
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let export = |body: Value, auth: Auth| {
        let app = &app;
        async move {
            app.call(Method::POST, "/v4/gdpr/export", &auth, Some(body))
                .await
        }
    };
    // A user: their profile, settings, meeting types, schedules, tokens and appointments.
    let feed = app.get("/v4/calendar-feed", &c.member.auth()).await.json()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = export(json!({"userId": c.member.user.id}), Auth::bearer(&key)).await;
    r.assert_status(200);
    let doc = r.json();
    let user = &doc["user"];
    assert_eq!(user["profile"]["email"], c.member.user.email.as_str());
    assert!(!user["meetingTypes"].as_array().unwrap().is_empty());
    assert!(!user["availabilities"].as_array().unwrap().is_empty());
    assert_eq!(user["personalAccessTokens"].as_array().unwrap().len(), 1);
    assert!(!r.text.contains(&c.member.pat), "never a secret");
    assert!(user["calendarFeed"]["createdAt"].is_string());
    assert!(!r.text.contains(&feed), "never the feed's address");
    assert_eq!(user["appointmentsHosted"].as_array().unwrap().len(), 2);
    // An attendee: what they attended (their own record only), contacts and mail.
    let r = export(json!({"email": "ADA@example.com"}), Auth::bearer(&key)).await;
    r.assert_status(200);
    let doc = r.json();
    assert!(doc["user"].is_null());
    let attended = doc["appointmentsAttended"].as_array().unwrap();
    assert_eq!(attended.len(), 2);
    assert!(attended
        .iter()
        .all(|a| a["attendees"].as_array().unwrap().len() == 1));
    assert_eq!(doc["contacts"].as_array().unwrap().len(), 1);
    let mail = doc["mail"].as_array().unwrap();
    assert_eq!(
        mail.iter().filter(|m| m["kind"] == "confirmation").count(),
        2
    );
    // Who may: an API key or an admin's session; never a PAT.
    let r = export(json!({"userId": c.member.user.id}), c.owner.auth()).await;
    r.assert_status(403);
    assert!(r.error_message().contains("personal access token"));
    let admin = app.session(&c.admin.user).await;
    export(json!({"email": "ada@example.com"}), admin)
        .await
        .assert_status(200);
    let member = app.session(&c.member.user).await;
    export(json!({"email": "ada@example.com"}), member)
        .await
        .assert_status(403);
    // What is asked must be one person of this company.
    let other = app.company(Plan::Platform).await;
    export(json!({"userId": other.member.user.id}), Auth::bearer(&key))
        .await
        .assert_status(404);
    for body in [
        json!({}),
        json!({"userId": c.member.user.id, "email": "a@example.com"}),
        json!({"email": "nope"}),
    ] {
        export(body, Auth::bearer(&key)).await.assert_status(400);
    }
}
