//! The MCP door, driven by rmcp's own client: a whole scheduling flow over streamable HTTP with
//! a PAT and with an API key acting for another user, and over stdio through `termin mcp`; the
//! tools' schemas and annotations; errors as tool errors; and the 401 challenge.

use std::collections::HashMap;
use std::net::SocketAddr;

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::{json, Value};
use termin_domain::tenancy::Plan;

use crate::helpers::TestApp;

pub type Client = RunningService<RoleClient, ()>;

/// Serves the app on a loopback port; answers its base URL.
pub async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    format!("http://{addr}")
}

/// An MCP client of `base`'s `/mcp` with `token`, acting as `acting` (API keys).
pub async fn connect(base: &str, token: &str, acting: Option<&str>) -> Client {
    let mut headers = HashMap::new();
    if let Some(user) = acting {
        headers.insert(
            reqwest::header::HeaderName::from_static("x-meetergo-api-user-id"),
            user.parse().unwrap(),
        );
    }
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp"))
        .auth_header(token)
        .custom_headers(headers);
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
        .expect("the MCP client connects")
}

pub async fn call(client: &Client, tool: &str, args: Value) -> CallToolResult {
    let Value::Object(args) = args else {
        panic!("arguments are an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args))
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e}"))
}

/// The structured answer of a call that must succeed.
#[track_caller]
pub fn ok(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "a tool error: {result:?}");
    result
        .structured_content
        .clone()
        .expect("structured content")
}

/// The text of a call that must fail.
#[track_caller]
pub fn failed(result: &CallToolResult) -> String {
    assert_eq!(
        result.is_error,
        Some(true),
        "expected a tool error: {result:?}"
    );
    result.content[0]
        .as_text()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// A `tools/call` posted to the app's `/mcp` in-process, as an assistant sends it.
pub async fn post_tool_call(
    app: &TestApp,
    auth: &crate::helpers::Auth,
    tool: &str,
    args: serde_json::Map<String, Value>,
) -> crate::helpers::TestResponse {
    post_tool_call_at(app, auth, tool, args, Door::Plain).await
}

async fn post_tool_call_at(
    app: &TestApp,
    auth: &crate::helpers::Auth,
    tool: &str,
    args: serde_json::Map<String, Value>,
    door: Door,
) -> crate::helpers::TestResponse {
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": tool, "arguments": args}});
    post_message(app, auth, call, door).await
}

/// Which door of `/mcp` a message is sent to: as assistants send a `tools/call` (termin's
/// plain door, `mcp::plain`), or in a shape that only rmcp's service answers (a body without
/// its length).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Door {
    Plain,
    Rmcp,
}

async fn post_message(
    app: &TestApp,
    auth: &crate::helpers::Auth,
    message: Value,
    door: Door,
) -> crate::helpers::TestResponse {
    let mut request = crate::helpers::build(axum::http::Method::POST, "/mcp", auth, Some(message));
    let h = request.headers_mut();
    h.insert("host", "localhost".parse().unwrap());
    h.insert(
        "accept",
        "application/json, text/event-stream".parse().unwrap(),
    );
    h.insert("mcp-protocol-version", "2025-11-25".parse().unwrap());
    if let Door::Rmcp = door {
        h.remove("content-length");
    }
    app.send(request).await
}

/// The status a tool call ends with: the HTTP status when `/mcp` refuses the request, the REST
/// status a tool error names, or 200 for a result (which has structured content); and the text.
pub async fn tool_status(
    app: &TestApp,
    auth: &crate::helpers::Auth,
    tool: &str,
    args: serde_json::Map<String, Value>,
) -> (u16, String) {
    tool_status_at(app, auth, tool, args, Door::Plain).await
}

/// [`tool_status`] through the given door of `/mcp`.
pub async fn tool_status_at(
    app: &TestApp,
    auth: &crate::helpers::Auth,
    tool: &str,
    args: serde_json::Map<String, Value>,
    door: Door,
) -> (u16, String) {
    let response = post_tool_call_at(app, auth, tool, args, door).await;
    if response.status != 200 {
        return (response.status.as_u16(), response.text);
    }
    let body: Value = serde_json::from_str(&response.text).unwrap_or_else(|_| {
        panic!("{tool}: not a JSON-RPC answer: {}", response.text);
    });
    let result = &body["result"];
    if result["isError"] != true {
        assert!(result["structuredContent"].is_object(), "{tool}: {body}");
        return (200, response.text);
    }
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    let status = text
        .strip_prefix("termin API ")
        .and_then(|t| t.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{tool}: a tool error names its status: {text}"));
    (status, text.to_owned())
}

/// get_me → list_meeting_types → get_availability → book_appointment → list_appointments →
/// reschedule_appointment → cancel_appointment, checking each answer; `me` is who the client
/// acts as.
pub async fn scheduling_flow(client: &Client, me: &termin_storage::users::UserRecord) {
    let who = ok(&call(client, "get_me", json!({})).await);
    assert_eq!(who["id"], me.id.to_string());
    assert_eq!(who["email"], me.email);
    let types = ok(&call(client, "list_meeting_types", json!({})).await);
    let mt = &types["items"][0];
    let mt_id = mt["id"].as_str().unwrap().to_owned();
    let from = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let until = from + jiff::SignedDuration::from_hours(24 * 14);
    let answer = call(
        client,
        "get_availability",
        json!({"meetingTypeId": mt_id, "start": from.to_string(), "end": until.to_string()}),
    )
    .await;
    let times = ok(&answer);
    // The text lists the same starts, in the user's zone, as instants.
    let text = &answer.content[0].as_text().unwrap().text;
    let first_local = times["dates"][0]["spots"][0]["startTime"].as_str().unwrap();
    assert!(
        text.contains(first_local) && text.contains(&me.timezone),
        "{text}"
    );
    assert_eq!(
        times["timezone"], me.timezone,
        "times are shown in the user's own zone"
    );
    let slots: Vec<String> = times["slotsStartUtc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert!(slots.len() >= 2, "two weeks offer slots: {times}");
    assert!(
        slots.iter().all(|s| s.ends_with('Z')),
        "instants: {slots:?}"
    );
    let booked = ok(&call(
        client,
        "book_appointment",
        json!({"meetingTypeId": mt_id, "start": slots[0], "email": "ada@example.com",
               "firstName": "Ada", "lastName": "Lovelace", "guestEmails": ["bob@example.com"]}),
    )
    .await);
    assert_eq!(booked["bookingState"], "confirmed");
    assert_eq!(booked["startUtc"], slots[0]);
    let id = booked["appointmentId"].as_str().unwrap().to_owned();
    let listed = ok(&call(client, "list_appointments", json!({"status": "upcoming"})).await);
    let found = listed["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap_or_else(|| panic!("the booking is listed: {listed}"))
        .clone();
    assert_eq!(found["status"], "confirmed");
    assert_eq!(found["start"], slots[0]);
    assert_eq!(found["localTimezone"], me.timezone);
    assert_eq!(
        found["attendees"][0]["bringalongEmails"],
        json!(["bob@example.com"])
    );
    let local: jiff::Timestamp = found["startLocal"].as_str().unwrap().parse().unwrap();
    assert_eq!(local, slots[0].parse::<jiff::Timestamp>().unwrap());
    assert!(!found["startLocal"].as_str().unwrap().ends_with('Z'));
    let moved = ok(&call(
        client,
        "reschedule_appointment",
        json!({"appointmentId": id, "start": slots[1]}),
    )
    .await);
    assert_eq!(moved["bookingState"], "confirmed");
    assert_eq!(moved["startUtc"], slots[1]);
    assert_eq!(moved["appointment"]["rescheduled"], true);
    let cancelled = ok(&call(
        client,
        "cancel_appointment",
        json!({"appointmentId": id, "reason": "Plans changed"}),
    )
    .await);
    assert_eq!(cancelled["bookingState"], "cancelled");
    assert_eq!(cancelled["status"], "cancelled");
    let again = ok(&call(client, "get_appointment", json!({"appointmentId": id})).await);
    assert_eq!(again["isCancelled"], true);
}

async fn a_pat_runs_the_whole_flow(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let base = serve(&app).await;
    let client = connect(&base, &c.member.pat, None).await;
    scheduling_flow(&client, &c.member.user).await;
    client.cancel().await.unwrap();
}

async fn an_api_key_acts_for_the_user_it_names(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let (_, key) = app.api_key(c.id, &c.owner.user).await;
    let base = serve(&app).await;
    let member = c.member.user.id.to_string();
    let client = connect(&base, &key, Some(&member)).await;
    scheduling_flow(&client, &c.member.user).await;
    client.cancel().await.unwrap();
    // Without the header a key acts as the owner only where the REST route allows it.
    let owner = connect(&base, &key, None).await;
    let me = ok(&call(&owner, "get_me", json!({})).await);
    assert_eq!(me["id"], c.owner.user.id.to_string());
    let refused = failed(&call(&owner, "list_meeting_types", json!({})).await);
    assert!(
        refused.contains("400") && refused.contains("x-meetergo-api-user-id"),
        "{refused}"
    );
    owner.cancel().await.unwrap();
}

async fn tools_describe_themselves(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let base = serve(&app).await;
    let client = connect(&base, &c.member.pat, None).await;
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for expected in [
        "get_me",
        "list_meeting_types",
        "get_meeting_type",
        "create_meeting_type",
        "update_meeting_type",
        "delete_meeting_type",
        "get_availability",
        "book_appointment",
        "reschedule_appointment",
        "cancel_appointment",
        "list_appointments",
        "get_todays_appointments",
        "get_appointment",
        "add_guest",
        "update_appointment_notes",
        "update_meeting_transcription",
        "create_one_time_booking_link",
        "send_quick_email",
        "search_contacts",
        "get_contact",
        "create_contact",
        "update_contact",
        "bulk_create_contacts",
        "delete_contact",
        "list_calendar_connections",
        "get_personal_page",
        "update_personal_page",
        "list_webhooks",
        "create_webhook",
        "update_webhook",
        "delete_webhook",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} is missing: {names:?}"
        );
    }
    for t in &tools {
        let a = t.annotations.as_ref().expect("annotations");
        assert!(a.read_only_hint.is_some() && a.destructive_hint.is_some());
        assert!(a.open_world_hint.is_some(), "{}", t.name);
        assert!(t.description.as_ref().is_some_and(|d| d.len() > 40));
        let out = t.output_schema.as_ref().expect("an output schema");
        assert_eq!(out["type"], "object", "{}", t.name);
        // Every reference resolves inside the schema.
        let text = serde_json::to_string(out.as_ref()).unwrap();
        for r in text.split("\"$ref\":\"#/$defs/").skip(1) {
            let name = &r[..r.find('"').unwrap()];
            assert!(out["$defs"].get(name).is_some(), "{}: {name}", t.name);
        }
        assert_eq!(t.input_schema["additionalProperties"], false);
    }
    let get = |n: &str| tools.iter().find(|t| t.name == n).unwrap();
    let book = get("book_appointment");
    assert_eq!(
        book.annotations.as_ref().unwrap().read_only_hint,
        Some(false)
    );
    assert_eq!(
        book.annotations.as_ref().unwrap().open_world_hint,
        Some(true)
    );
    let required: Vec<&str> = book.input_schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["meetingTypeId", "start", "email"]);
    let listing = get("list_appointments");
    assert_eq!(
        listing.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
    assert!(listing.output_schema.as_ref().unwrap()["properties"]["appointments"].is_object());
    client.cancel().await.unwrap();
}

async fn errors_are_tool_errors_with_the_apis_message(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let base = serve(&app).await;
    let client = connect(&base, &c.member.pat, None).await;
    let missing = failed(
        &call(
            &client,
            "get_appointment",
            json!({"appointmentId": uuid::Uuid::now_v7().to_string()}),
        )
        .await,
    );
    assert_eq!(missing, "termin API 404: Appointment not found");
    let types = ok(&call(&client, "list_meeting_types", json!({})).await);
    let bad = failed(
        &call(
            &client,
            "book_appointment",
            json!({"meetingTypeId": types["items"][0]["id"], "start": "tomorrow", "email": "not-an-address"}),
        )
        .await,
    );
    assert!(
        bad.starts_with("termin API 400: ")
            && bad.contains("start")
            && bad.contains("attendee.email"),
        "{bad}"
    );
    let unknown = failed(&call(&client, "get_me", json!({"userId": "x"})).await);
    assert!(unknown.contains("userId"), "{unknown}");
    // A path parameter is an id, never another route's name.
    let not_an_id = failed(
        &call(
            &client,
            "get_appointment",
            json!({"appointmentId": "today"}),
        )
        .await,
    );
    assert!(
        not_an_id.starts_with("termin API 400") && not_an_id.contains("UUID"),
        "{not_an_id}"
    );
    // U+0000 is refused as the REST API refuses it, on both backends alike.
    let nul = failed(&call(&client, "search_contacts", json!({"searchTerm": "a\u{0}b"})).await);
    assert!(nul.starts_with("termin API 400"), "{nul}");
    client.cancel().await.unwrap();
}

async fn no_credential_is_challenged(app: TestApp) {
    let base = serve(&app).await;
    let http = reqwest::Client::new();
    let c = app.company(Plan::Platform).await;
    let crate::helpers::Auth::Session { cookie, .. } = app.session(&c.member.user).await else {
        unreachable!()
    };
    let bearer = format!("Bearer {}", c.member.pat);
    // `tools/list` (rmcp's service answers it) and a plain `tools/call` (termin's own door, see
    // `mcp::plain`), each refused alike.
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
               "params": {"name": "get_me", "arguments": {}}}),
    ] {
        let post = |headers: &[(&str, &str)]| {
            let mut request = http
                .post(format!("{base}/mcp"))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .json(&message);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.send()
        };
        let r = post(&[]).await.unwrap();
        assert_eq!(r.status(), 401, "{message}");
        assert!(r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        // A dashboard session cookie is not a credential here.
        assert_eq!(post(&[("cookie", &cookie)]).await.unwrap().status(), 401);
        // Another site's page may not call it from a browser.
        let r = post(&[
            ("authorization", &bearer),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(r.await.unwrap().status(), 403, "{message}");
        // Nor may a name that is not this server's reach it (DNS rebinding).
        let r = post(&[("authorization", &bearer), ("host", "rebound.example")]);
        assert_eq!(r.await.unwrap().status(), 403, "{message}");
        let r = post(&[
            ("authorization", &bearer),
            ("host", "localhost.evil.example"),
        ]);
        assert_eq!(r.await.unwrap().status(), 403, "{message}");
        // The server's own public name is one (`termin.test` in these tests).
        let r = post(&[
            ("authorization", &bearer),
            ("host", "termin.test"),
            ("mcp-protocol-version", "2025-11-25"),
        ]);
        assert_eq!(r.await.unwrap().status(), 200, "{message}");
    }
}

/// A plain `tools/call` is answered by termin's own door (`mcp::plain`), any other shape by
/// rmcp's service, and the two answers are the same. They differ in one way this test uses to
/// tell them apart: the plain door keeps the REST body's text as the structured content, while
/// rmcp's service writes it out again from a `Value` (with its keys sorted).
async fn the_plain_door_answers_as_rmcp_does(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let types = app.get("/v4/meeting-type", &auth).await;
    let mt = types.json()[0]["id"].as_str().unwrap().to_owned();
    let day = |days: i64| {
        (app.clock.clock().now() + jiff::SignedDuration::from_hours(24 * days))
            .strftime("%Y-%m-%d")
            .to_string()
    };
    let (start, end) = (day(1), day(15));
    let zone = "America/New_York";
    let args = |v: Value| v.as_object().unwrap().clone();
    let calls = [
        (
            "get_availability",
            args(json!({"meetingTypeId": mt, "start": start, "end": end, "timezone": zone})),
        ),
        ("list_meeting_types", args(json!({}))),
        ("get_me", args(json!({}))),
        (
            "get_appointment",
            args(json!({"appointmentId": uuid::Uuid::now_v7().to_string()})),
        ),
        ("get_me", args(json!({"userId": "x"}))),
    ];
    for (tool, arguments) in calls {
        let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                          "params": {"name": tool, "arguments": arguments}});
        let plain = post_message(&app, &auth, call.clone(), Door::Plain).await;
        let rmcp = post_message(&app, &auth, call.clone(), Door::Rmcp).await;
        assert_eq!(
            (plain.status.as_u16(), rmcp.status.as_u16()),
            (200, 200),
            "{tool}"
        );
        assert_eq!(plain.headers["content-type"], rmcp.headers["content-type"]);
        assert_eq!(plain.json(), rmcp.json(), "{tool}");
    }

    // Which door answered a 14-day `get_availability`: the plain door keeps the REST body's
    // text (then `slotsStartUtc`), rmcp's service writes a `Value` out again, keys sorted.
    let asked = format!(
        "/v4/booking-availability?meetingTypeId={mt}&start={start}&end={end}&timezone={zone}"
    );
    let rest = app.get(&asked, &auth).await;
    assert_eq!(rest.status, 200);
    let members = rest.text.trim_end().strip_suffix('}').unwrap().to_owned();
    assert!(members.len() > 1000, "two weeks of times: {}", rest.text);
    let kept = format!(r#""structuredContent":{members},"slotsStartUtc":["#);
    let answered_by = |r: &crate::helpers::TestResponse| {
        assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(400)]);
        match (r.text.contains(&kept), r.text.contains(&members)) {
            (true, _) => Door::Plain,
            (false, false) => Door::Rmcp,
            (false, true) => panic!("a third shape"),
        }
    };
    let call = |meta: Option<Value>| {
        let mut call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
            "name": "get_availability",
            "arguments": {"meetingTypeId": mt, "start": start, "end": end, "timezone": zone}}});
        if let Some(meta) = meta {
            call["params"]["_meta"] = meta;
        }
        call
    };
    // With the given `MCP-Protocol-Version` (none: `None`), as the plain door takes it.
    let post = |message: Value, version: Option<&'static str>| {
        let mut request =
            crate::helpers::build(axum::http::Method::POST, "/mcp", &auth, Some(message));
        let h = request.headers_mut();
        h.insert("host", "localhost".parse().unwrap());
        h.insert(
            "accept",
            "application/json, text/event-stream".parse().unwrap(),
        );
        if let Some(v) = version {
            h.insert("mcp-protocol-version", v.parse().unwrap());
        }
        app.send(request)
    };
    let plain = post_message(&app, &auth, call(None), Door::Plain).await;
    let rmcp = post_message(&app, &auth, call(None), Door::Rmcp).await;
    assert_eq!(answered_by(&plain), Door::Plain);
    assert_eq!(answered_by(&rmcp), Door::Rmcp);
    let same = plain.json();
    // rmcp's client sends a progress token with every request: still plain. Any other `_meta`
    // is rmcp's to judge.
    for (meta, door) in [
        (json!({"progressToken": "p1"}), Door::Plain),
        (json!({"com.example/trace": "t1"}), Door::Rmcp),
    ] {
        let r = post(call(Some(meta)), Some("2025-11-25")).await;
        assert_eq!(answered_by(&r), door);
        assert_eq!(r.json(), same);
    }
    // So is a protocol version in `_meta` (per-request negotiation), which must match the header.
    let r = post(
        call(Some(
            json!({"io.modelcontextprotocol/protocolVersion": "2025-11-25"}),
        )),
        Some("2025-06-18"),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = post(
        call(Some(
            json!({"io.modelcontextprotocol/protocolVersion": "2025-11-25"}),
        )),
        None,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    // And 2026-07-28, whose requests carry more rules than this door knows.
    let r = post(call(None), Some("2026-07-28")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    // Older versions, or none (which rmcp takes as 2025-03-26), are plain.
    for version in [None, Some("2025-03-26"), Some("2025-06-18")] {
        let r = post(call(None), version).await;
        assert_eq!(answered_by(&r), Door::Plain, "{version:?}");
        assert_eq!(r.json(), same);
    }
}

/// The connection the plain door's authentication used goes on to a route that reads with it,
/// and back to the pool before a route that borrows its own: with all but one of the pool's
/// connections taken, calls to both kinds of route are answered (holding two, one would wait
/// for a connection that no one gives back).
async fn a_call_never_holds_two_connections(app: TestApp) {
    let c = app.company(Plan::Platform).await;
    let auth = c.member.auth();
    let types = app.get("/v4/meeting-type", &auth).await;
    let mt = types.json()[0]["id"].as_str().unwrap().to_owned();
    let pool = app.db.pool();
    let mut taken = Vec::new();
    for _ in 1..pool.options().get_max_connections() {
        taken.push(pool.acquire().await.unwrap());
    }
    let calls = [
        // `Caller`: borrows a connection of its own.
        ("list_meeting_types", json!({})),
        // `ConnectedCaller`: goes on with authentication's.
        (
            "get_availability",
            json!({"meetingTypeId": mt, "start": "2030-03-04", "end": "2030-03-06"}),
        ),
    ];
    for (tool, args) in calls {
        let args = args.as_object().unwrap().clone();
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tool_status(&app, &auth, tool, args),
        )
        .await
        .unwrap_or_else(|_| panic!("{tool} waits for a connection"));
        assert_eq!(answer.0, 200, "{tool}: {}", answer.1);
    }
    drop(taken);
}

/// `/mcp` draws on the credential's own bucket, once per request, and says so.
async fn mcp_requests_are_charged_to_the_credential(app: TestApp) {
    let mut config = crate::helpers::test_config();
    config.rate_limit = termin_server::config::RateLimitConfig {
        per_minute: 1,
        burst: 100,
    };
    let app = app.with_config(config);
    let c = app.company(Plan::Platform).await;
    let remaining = |r: &crate::helpers::TestResponse| -> i64 {
        r.headers["ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let auth = c.member.auth();
    let call_me = || post_tool_call(&app, &auth, "get_me", Default::default());
    let first = call_me().await;
    assert_eq!(first.status, 200, "{}", first.text);
    let second = call_me().await;
    assert_eq!(
        remaining(&first) - remaining(&second),
        1,
        "one token a request"
    );
    let rest = app.get("/v4/user/me", &c.member.auth()).await;
    assert_eq!(
        remaining(&second) - remaining(&rest),
        1,
        "the same bucket as the REST API"
    );
}

crate::backend_tests!(
    the_plain_door_answers_as_rmcp_does,
    a_call_never_holds_two_connections,
    mcp_requests_are_charged_to_the_credential,
    a_pat_runs_the_whole_flow,
    an_api_key_acts_for_the_user_it_names,
    tools_describe_themselves,
    errors_are_tool_errors_with_the_apis_message,
    no_credential_is_challenged,
);

/// `termin mcp --url` relays stdio to the server: the same flow through the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_runs_the_whole_flow() {
    let app = TestApp::sqlite().await;
    let c = app.company(Plan::Platform).await;
    let base = serve(&app).await;
    let mut child = tokio::process::Command::new(crate::process::binary())
        .args(["mcp", "--url", &base])
        .env("TERMIN_TOKEN", &c.member.pat)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("termin mcp starts");
    let stdout = child.stdout.take().unwrap();
    let stdin = child.stdin.take().unwrap();
    let client: Client = ().serve((stdout, stdin)).await.expect("stdio session");
    scheduling_flow(&client, &c.member.user).await;
    client.cancel().await.unwrap();
    let _ = child.kill().await;
}
