//! `/v4/appointment`: listing with every filter, today, cancel, guests, notes, calendar file.

use axum::http::{header, Method};
use jiff::SignedDuration;
use serde_json::json;
use termin_domain::tenancy::{Plan, Role};

use crate::helpers::TestApp;
use crate::scheduling::{book, booking, default_meeting_type, upcoming_weekday};

fn ids(page: &serde_json::Value) -> Vec<String> {
    page["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn listing_filters_sorts_and_pages(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let auth = c.member.auth();
    let first = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let mut booked = Vec::new();
    for (i, email) in ["ada@example.com", "grace@example.com", "linus@example.com"]
        .iter()
        .enumerate()
    {
        let start = first + SignedDuration::from_hours(i as i64);
        let r = app
            .call(
                Method::POST,
                "/v4/booking",
                &auth,
                Some(booking(&mt, start, email)),
            )
            .await;
        booked.push(r.json()["appointmentId"].as_str().unwrap().to_owned());
    }
    let all = app.get("/v4/appointment/paginated", &auth).await.json();
    assert_eq!(all["total"], 3);
    assert_eq!(ids(&all), booked, "sorted by start ascending by default");
    let desc = app
        .get(
            "/v4/appointment/paginated?sortDirection=DESC&pageSize=2&page=0",
            &auth,
        )
        .await
        .json();
    assert_eq!(ids(&desc), [booked[2].clone(), booked[1].clone()]);
    assert_eq!(desc["total"], 3);
    let page1 = app
        .get(
            "/v4/appointment/paginated?sortDirection=DESC&pageSize=2&page=1",
            &auth,
        )
        .await
        .json();
    assert_eq!(ids(&page1), [booked[0].clone()]);
    let search = app
        .get("/v4/appointment/paginated?search=GRACE", &auth)
        .await
        .json();
    assert_eq!(ids(&search), [booked[1].clone()]);
    let from = (first + SignedDuration::from_mins(30)).to_string();
    let ranged = app
        .get(
            &format!(
                "/v4/appointment/paginated?start={}",
                from.replace('+', "%2B")
            ),
            &auth,
        )
        .await
        .json();
    assert_eq!(ranged["total"], 2);

    // Naming an attendee who is not in the appointment cancels nothing, one seat or many.
    let stranger = app
        .call(
            Method::POST,
            &format!("/v4/appointment/{}/cancel", booked[0]),
            &auth,
            Some(json!({"attendeeId": termin_domain::AttendeeId::new().to_string()})),
        )
        .await;
    stranger.assert_status(404);
    assert_eq!(
        stranger.error_message(),
        "Attendee not found in this appointment"
    );
    assert_eq!(
        app.get(&format!("/v4/appointment/{}", booked[0]), &auth)
            .await
            .json()["isCancelled"],
        false
    );

    // Cancel one: it moves from upcoming to cancelled.
    let r = app
        .call(
            Method::POST,
            &format!("/v4/appointment/{}/cancel", booked[0]),
            &auth,
            Some(json!({"reason": "sick"})),
        )
        .await;
    r.assert_status(200);
    let cancelled = r.json();
    assert_eq!(cancelled["isCancelled"], true);
    assert_eq!(cancelled["cancel"]["reason"], "sick");
    assert_eq!(
        cancelled["cancel"]["actionBy"],
        c.member.user.id.to_string()
    );
    app.call(
        Method::POST,
        &format!("/v4/appointment/{}/cancel", booked[0]),
        &auth,
        Some(json!({})),
    )
    .await
    .assert_status(409);
    assert_eq!(
        app.get("/v4/appointment/paginated?status=upcoming", &auth)
            .await
            .json()["total"],
        2
    );
    assert_eq!(
        ids(&app
            .get("/v4/appointment/paginated?status=cancelled", &auth)
            .await
            .json()),
        [booked[0].clone()]
    );
    assert_eq!(
        app.get("/v4/appointment/paginated?status=past", &auth)
            .await
            .json()["total"],
        0
    );
    let long = "x".repeat(501);
    app.call(
        Method::POST,
        &format!("/v4/appointment/{}/cancel", booked[1]),
        &auth,
        Some(json!({"reason": long})),
    )
    .await
    .assert_status(400);

    // updatedSince returns what changed since a point in time: the sync cursor of a CRM.
    // Time passes between the bookings, the cursor and the change.
    app.clock.advance(SignedDuration::from_millis(5));
    let cursor = app.clock.clock().now();
    app.clock.advance(SignedDuration::from_millis(5));
    app.call(
        Method::PATCH,
        &format!("/v4/appointment/{}/notes", booked[2]),
        &auth,
        Some(json!({"note": "agenda attached"})),
    )
    .await
    .assert_status(200);
    let changed = app
        .get(
            &format!("/v4/appointment/paginated?updatedSince={cursor}"),
            &auth,
        )
        .await
        .json();
    assert_eq!(ids(&changed), [booked[2].clone()]);
    assert_eq!(changed["appointments"][0]["notes"], "agenda attached");

    for bad in [
        "status=soon",
        "sortBy=title",
        "sortDirection=UP",
        "pageSize=0",
        "pageSize=101",
        "page=-1",
        "updatedSince=yesterday",
        "userId=nope",
    ] {
        app.get(&format!("/v4/appointment/paginated?{bad}"), &auth)
            .await
            .assert_status(400);
    }
}

async fn admins_read_others_through_user_id(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let start = upcoming_weekday("Europe/Berlin", 3, 9, 0);
    let id = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(booking(&mt, start, "x@example.com")),
        )
        .await
        .json()["appointmentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = format!("/v4/appointment/paginated?userId={}", c.member.user.id);
    assert_eq!(
        ids(&app.get(&q, &c.admin.auth()).await.json()),
        [id.as_str()]
    );
    assert_eq!(
        app.get("/v4/appointment/paginated", &c.admin.auth())
            .await
            .json()["total"],
        0
    );
    let other = app
        .add_user(c.id, termin_domain::tenancy::Role::Member)
        .await;
    app.get(&q, &other.auth()).await.assert_status(403);
    app.get(&format!("/v4/appointment/{id}"), &other.auth())
        .await
        .assert_status(404);
    app.get(&format!("/v4/appointment/{id}"), &c.admin.auth())
        .await
        .assert_status(200);
}

async fn guests_notes_and_calendar_files(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let auth = c.member.auth();
    let start = upcoming_weekday("Europe/Berlin", 3, 15, 0);
    let id = app
        .call(
            Method::POST,
            "/v4/booking",
            &auth,
            Some(booking(&mt, start, "old@example.com")),
        )
        .await
        .json()["appointmentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let appt = app
        .get(&format!("/v4/appointment/{id}"), &auth)
        .await
        .json();
    assert_eq!(appt["hostIds"], json!([c.member.user.id]));
    assert_eq!(appt["hosts"][0]["email"], c.member.user.email);
    assert_eq!(
        appt["meetingInfo"],
        json!({"name": "30 minute meeting", "duration": 30, "channel": "local"})
    );
    let attendee = appt["attendees"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(appt["attendees"][0]["fullname"], "Ada Guest");
    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/appointment/{id}/guest"),
            &auth,
            Some(json!({"attendeeId": attendee, "email": "New@Example.com"})),
        )
        .await;
    r.assert_status(200);
    // A guest is added beside the attendee, whose own address stays.
    assert_eq!(r.json()["attendees"][0]["email"], "old@example.com");
    assert_eq!(
        r.json()["attendees"][0]["bringalongEmails"],
        json!(["new@example.com"])
    );
    app.call(
        Method::PATCH,
        &format!("/v4/appointment/{id}/guest"),
        &auth,
        Some(json!({"attendeeId": attendee, "email": "nope"})),
    )
    .await
    .assert_status(400);

    let ics = app.get(&format!("/v4/appointment/{id}/ics"), &auth).await;
    ics.assert_status(200);
    assert!(ics.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let text = ics.text.replace("\r\n ", "");
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert!(text.contains("VERSION:2.0\r\n"));
    assert!(text.contains(&format!("UID:{id}@termin\r\n")));
    assert!(text.contains(&format!("DTSTART:{}\r\n", start.strftime("%Y%m%dT%H%M%SZ"))));
    assert!(text.contains(&format!(
        "DTEND:{}\r\n",
        (start + SignedDuration::from_mins(30)).strftime("%Y%m%dT%H%M%SZ")
    )));
    // The attendee and their guest are both invited.
    assert!(
        text.contains("ATTENDEE:mailto:old@example.com\r\n"),
        "{text}"
    );
    assert!(
        text.contains("ATTENDEE:mailto:new@example.com\r\n"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("END:VCALENDAR"));
}

async fn today_lists_the_acting_users_day(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let today = app.get("/v4/appointment/today", &c.member.auth()).await;
    today.assert_status(200);
    assert_eq!(today.json(), json!([]));
    let mt = default_meeting_type(&app, &c.member).await;
    // 14:00 in the member's zone (Europe/Berlin), on a weekday a few days ahead.
    let at = upcoming_weekday("Europe/Berlin", 3, 14, 0);
    let id = app
        .call(
            Method::POST,
            "/v4/booking",
            &c.member.auth(),
            Some(booking(&mt, at, "t@example.com")),
        )
        .await
        .json()["appointmentId"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = c.member.auth();
    let list = || async { app.get("/v4/appointment/today", &auth).await.json() };
    assert_eq!(list().await, json!([]), "not today yet");
    // That morning at 08:00 it is today's.
    app.clock.set(at - SignedDuration::from_hours(6));
    let today = list().await;
    assert_eq!(today.as_array().unwrap().len(), 1, "{today}");
    assert_eq!(today[0]["id"], id.as_str());
    // At 23:59 still; at 00:01 the next day no longer.
    app.clock.set(at + SignedDuration::from_mins(9 * 60 + 59));
    assert_eq!(list().await.as_array().unwrap().len(), 1);
    app.clock.set(at + SignedDuration::from_mins(10 * 60 + 1));
    assert_eq!(list().await, json!([]));
}

/// A meeting's transcript and summary are stored on the appointment: only the fields sent
/// change, null clears one, listings leave them out, and only those who see the appointment
/// may write them.
async fn transcripts_are_stored_on_the_appointment(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let mt = default_meeting_type(&app, &c.member).await;
    let auth = c.member.auth();
    let start = upcoming_weekday("Europe/Berlin", 3, 11, 0);
    let id = book(&app, &auth, booking(&mt, start, "t@example.com")).await;
    let path = format!("/v4/appointment/{id}/transcription");
    let patch = |body: serde_json::Value| {
        let (app, auth, path) = (&app, &auth, &path);
        async move { app.call(Method::PATCH, path, auth, Some(body)).await }
    };

    let r = patch(json!({"transcription": "# Call\n- agreed on a demo"})).await;
    r.assert_status(200);
    assert_eq!(r.json()["transcription"], "# Call\n- agreed on a demo");
    assert!(r.json().get("summary").is_none());
    let r = patch(json!({"summary": "Demo next week"})).await;
    assert_eq!(r.json()["transcription"], "# Call\n- agreed on a demo");
    assert_eq!(r.json()["summary"], "Demo next week");
    let r = patch(json!({"transcription": null})).await;
    r.assert_status(200);
    assert!(r.json().get("transcription").is_none());
    let one = app
        .get(&format!("/v4/appointment/{id}"), &auth)
        .await
        .json();
    assert_eq!(one["summary"], "Demo next week");
    assert!(one.get("transcription").is_none());
    let page = app.get("/v4/appointment/paginated", &auth).await.json();
    assert!(page["appointments"][0].get("summary").is_none(), "{page}");

    let r = app
        .call(
            Method::PATCH,
            &format!("/v4/appointment/{id}/notes"),
            &auth,
            Some(json!({"note": "n".repeat(10_001)})),
        )
        .await;
    r.assert_status(400);
    assert_eq!(r.error_fields(), ["note"]);
    let r = patch(json!({"summary": "x".repeat(200_001)})).await;
    r.assert_status(400);
    assert_eq!(r.json()["errors"][0]["field"], "summary");
    // A member who is not a host does not see the appointment.
    let other = app.add_user(c.id, Role::Member).await;
    let r = app
        .call(
            Method::PATCH,
            &path,
            &other.auth(),
            Some(json!({"summary": "mine"})),
        )
        .await;
    r.assert_status(404);
}

crate::backend_tests!(
    listing_filters_sorts_and_pages,
    admins_read_others_through_user_id,
    guests_notes_and_calendar_files,
    today_lists_the_acting_users_day,
    transcripts_are_stored_on_the_appointment,
);
