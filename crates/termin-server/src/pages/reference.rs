//! The API reference at `/docs`, made by termin from its own OpenAPI document with the pages'
//! templates and style sheet: operations grouped by resource in the order a newcomer needs them,
//! descriptions rendered from markdown, request and response schemas expanded, an example
//! request (curl) and response for every operation, a search (a query string without script,
//! as you type with it) and, with script, a "try it" that sends the request with a token the
//! reader pastes, kept in the page only. Nothing is loaded from another host.

use std::collections::BTreeMap;
use std::fmt::Write;

use askama::Template;
use serde_json::{json, Map, Value};

use super::view::Layout;

/// The resources in the order a newcomer meets them, with what each is for.
const GROUPS: &[(&str, &str, &str)] = &[
    ("users", "Your account and users", "Who a credential acts as (`GET /v4/user/me` is the first call to make), the company's users, the personal page, and the GDPR export."),
    ("meeting types", "Meeting types", "What can be booked: length, channel, buffers, notice, seats, booking questions, and one-time links."),
    ("availability", "Availability", "Weekly hours with date exceptions, in a time zone. Each meeting type uses one schedule (the user's first by default)."),
    ("booking", "Booking", "The bookable times of a meeting type, and booking one of them. A time is never booked twice."),
    ("appointments", "Appointments", "What was booked: list, read, move, cancel, guests, notes, transcripts and quick mails to attendees."),
    ("calendars", "Calendars", "The user's own calendars (CalDAV accounts and ICS feeds): their events make the user busy, and bookings are written into one of them. Also the user's feed of their appointments."),
    ("contacts", "Contacts", "The people who booked, kept per company, with tags and notes; bulk import."),
    ("webhooks", "Webhooks", "Signed deliveries of booking events to your endpoints, with retries and a delivery log."),
    ("dashboard", "Dashboard session", "Routes for the dashboard's own session cookie: login, and managing tokens and API keys. A token or API key can never call these."),
    ("operations", "Operations", "For load balancers and monitors."),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// How deep nested objects are expanded; deeper ones name their schema.
const MAX_DEPTH: usize = 4;

pub struct Param {
    pub name: String,
    pub place: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
    pub example: String,
}

pub struct Response {
    /// `s2`, `s4`...: the status's class, for its colour.
    pub class: String,
    pub status: String,
    pub description: String,
    pub schema: String,
}

pub struct Op {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub session_only: bool,
    pub params: Vec<Param>,
    pub body: Option<String>,
    pub responses: Vec<Response>,
    pub curl: String,
    pub example_status: String,
    pub example_response: Option<String>,
    pub try_body: Option<String>,
    search: String,
}

pub struct Group {
    pub anchor: String,
    pub name: String,
    pub intro: String,
    pub ops: Vec<Op>,
}

impl Op {
    /// The words search looks at.
    pub fn search_text(&self) -> &str {
        &self.search
    }
}

/// The reference, built once from the OpenAPI document.
pub struct Reference {
    title: String,
    version: String,
    intro: String,
    base: String,
    groups: Vec<Group>,
}

#[derive(Template)]
#[template(path = "reference.html")]
struct ReferenceView<'a> {
    layout: Layout,
    title: &'a str,
    version: &'a str,
    intro: &'a str,
    base: &'a str,
    query: &'a str,
    groups: Vec<(&'a Group, Vec<&'a Op>)>,
    found: usize,
}

/// Markdown as HTML; any HTML inside it is shown as text, never run.
pub fn markdown(text: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let events = Parser::new(text).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// Markdown of one line, without the paragraph around it.
fn inline(text: &str) -> String {
    let html = markdown(text);
    let trimmed = html.trim();
    trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
        .filter(|s| !s.contains("<p>"))
        .map(str::to_owned)
        .unwrap_or_else(|| trimmed.to_owned())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `schema` with a `$ref` followed, and a nullable `oneOf`/`anyOf` reduced to its one real
/// alternative; the name of the schema followed, if any.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> (&'a Value, Option<&'a str>) {
    let mut s = schema;
    let mut name = None;
    for _ in 0..8 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let n = r.rsplit('/').next().unwrap_or(r);
            name = Some(n);
            match doc.pointer(&format!("/components/schemas/{n}")) {
                Some(target) => s = target,
                None => break,
            }
            continue;
        }
        let alternatives = s
            .get("oneOf")
            .or_else(|| s.get("anyOf"))
            .and_then(Value::as_array);
        if let Some(alts) = alternatives {
            let real: Vec<&Value> = alts.iter().filter(|a| !is_null(a)).collect();
            if real.len() == 1 {
                s = real[0];
                continue;
            }
        }
        break;
    }
    (s, name)
}

fn is_null(s: &Value) -> bool {
    s.get("type").and_then(Value::as_str) == Some("null")
}

/// The schema's type as a person reads it: "string · uuid", "array of Attendee", "integer".
fn type_label(doc: &Value, schema: &Value) -> String {
    let (s, name) = resolve(doc, schema);
    let kind = match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" | "),
        _ if s.get("properties").is_some() => "object".into(),
        _ if s.get("oneOf").is_some() => "one of several".into(),
        _ => "any".into(),
    };
    if kind == "array" {
        if let Some(items) = s.get("items") {
            return format!("array of {}", type_label(doc, items));
        }
    }
    match (name, s.get("format").and_then(Value::as_str)) {
        (Some(n), _) if kind == "object" => n.to_owned(),
        (_, Some(f)) if f != "int64" && f != "int32" => format!("{kind} · {f}"),
        _ => kind,
    }
}

fn nullable(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => schema
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(is_null)),
    }
}

/// Limits and allowed values of a schema, in a few words.
fn constraints(s: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| {
                format!(
                    "<code>{}</code>",
                    esc(v
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                        .as_str())
                )
            })
            .collect();
        parts.push(format!("one of {}", values.join(", ")));
    }
    for (key, label) in [
        ("minimum", "min"),
        ("maximum", "max"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("maxItems", "at most items"),
    ] {
        if let Some(n) = s.get(key) {
            parts.push(format!("{label} {n}"));
        }
    }
    parts.join("; ")
}

/// An object's properties as a list, nested objects inside a `<details>` that opens without
/// script; deeper than [`MAX_DEPTH`], or back to a schema already open, names it only.
fn properties_html(
    doc: &Value,
    schema: &Value,
    depth: usize,
    open: &mut Vec<String>,
    out: &mut String,
) {
    let (s, name) = resolve(doc, schema);
    if let Some(n) = name {
        if open.iter().any(|o| o == n) || depth > MAX_DEPTH {
            let _ = write!(out, "<p class=\"small muted\">{} (as above)</p>", esc(n));
            return;
        }
        open.push(n.to_owned());
    }
    let s = match s.get("items") {
        Some(items) if s.get("properties").is_none() => resolve(doc, items).0,
        _ => s,
    };
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push_str("<ul class=\"props\">");
        for (prop, p) in props {
            let (inner, _) = resolve(doc, p);
            let _ = write!(
                out,
                "<li><code class=\"prop\">{}</code> <span class=\"type\">{}</span>{}{}",
                esc(prop),
                esc(&type_label(doc, p)),
                if required.contains(&prop.as_str()) {
                    " <span class=\"req\">required</span>"
                } else if nullable(p) {
                    " <span class=\"muted small\">or null</span>"
                } else {
                    ""
                },
                {
                    let c = constraints(inner);
                    if c.is_empty() {
                        String::new()
                    } else {
                        format!(" <span class=\"small muted\">({c})</span>")
                    }
                }
            );
            let d = str_of(p, "description");
            let d = if d.is_empty() {
                str_of(inner, "description")
            } else {
                d
            };
            if !d.is_empty() {
                let _ = write!(out, "<div class=\"desc\">{}</div>", inline(d));
            }
            let nested = inner.get("properties").is_some()
                || inner
                    .get("items")
                    .map(|i| resolve(doc, i).0.get("properties").is_some())
                    .unwrap_or(false);
            if nested {
                out.push_str("<details><summary>Fields</summary>");
                properties_html(doc, p, depth + 1, open, out);
                out.push_str("</details>");
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
    } else {
        let c = constraints(s);
        let _ = write!(
            out,
            "<p><span class=\"type\">{}</span>{}</p>",
            esc(&type_label(doc, schema)),
            if c.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"small muted\">({c})</span>")
            }
        );
    }
    if name.is_some() {
        open.pop();
    }
}

/// A plausible value for a field, from its example or default, its allowed values, its format,
/// and (for strings) its name.
fn example_of(doc: &Value, schema: &Value, field: &str, depth: usize, all: bool) -> Value {
    let (s, _) = resolve(doc, schema);
    if let Some(e) = s.get("example").or_else(|| schema.get("example")) {
        return e.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.iter().find(|x| !x.is_null()))
    {
        return first.clone();
    }
    if let Some(d) = s.get("default").filter(|d| !d.is_null()) {
        return d.clone();
    }
    let kind = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.get("properties").is_some() => "object",
        _ => "any",
    };
    match kind {
        "object" => {
            if depth > MAX_DEPTH {
                return json!({});
            }
            let mut out = Map::new();
            let required: Vec<&str> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    // A request shows what is required and what cannot be null; a response all.
                    if all || required.contains(&k.as_str()) || !nullable(p) {
                        out.insert(k.clone(), example_of(doc, p, k, depth + 1, all));
                    }
                }
            }
            Value::Object(out)
        }
        "array" => match s.get("items") {
            Some(items) if depth <= MAX_DEPTH => {
                json!([example_of(doc, items, field, depth + 1, all)])
            }
            _ => json!([]),
        },
        "integer" => s
            .get("minimum")
            .and_then(Value::as_i64)
            .map(|m| json!(m.max(if field.contains("uration") { 30 } else { m })))
            .unwrap_or(json!(if field.contains("uration") { 30 } else { 1 })),
        "number" => json!(1.0),
        "boolean" => json!(true),
        "string" => Value::String(string_example(str_of(s, "format"), field)),
        _ => Value::Null,
    }
}

fn string_example(format: &str, field: &str) -> String {
    let f = field.to_ascii_lowercase();
    match format {
        "uuid" => "01929f3e-5c2a-7b1d-8e4f-6a7b8c9d0e1f".into(),
        "date-time" => "2030-01-07T09:00:00Z".into(),
        "date" => "2030-01-07".into(),
        "email" => "ada@example.com".into(),
        "uri" | "url" => "https://example.com/termin".into(),
        _ if f.contains("email") => "ada@example.com".into(),
        _ if f.contains("timezone") => "Europe/Berlin".into(),
        _ if f.contains("endpoint") || f.contains("url") || f.contains("image") => {
            "https://example.com/termin".into()
        }
        _ if f.contains("phone") => "+4930123456".into(),
        _ if f == "firstname" || f == "givenname" => "Ada".into(),
        _ if f == "lastname" || f == "familyname" => "Lovelace".into(),
        _ if f.contains("fullname") => "Ada Lovelace".into(),
        _ if f.contains("slug") => "intro-call".into(),
        _ if f.contains("color") => "#1f5fbf".into(),
        _ if f == "language" => "en".into(),
        _ if f.contains("password") => "a long passphrase".into(),
        _ if f == "start" || f == "end" || f.ends_with("at") => "2030-01-07T09:00:00Z".into(),
        _ if f.contains("name") || f.contains("title") => "Intro call".into(),
        _ => "text".into(),
    }
}

/// What a status means when the operation says nothing more.
fn usual_meaning(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "204" => "Done; no body",
        "400" => "The request is not valid; `errors` names each field",
        "401" => "No credential, or one that is not valid",
        "403" => "The credential may not do this",
        "404" => "Not found, or not visible to the caller",
        "406" => "A limit on how many may exist is reached",
        "409" => "Conflicts with what exists (for a booking: the time was just taken)",
        "410" => "Gone",
        "413" => "The body is too large",
        "415" => "The body must be JSON",
        "429" => "Too many requests; `Retry-After` says when to try again",
        _ => "",
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The operation's request as a curl command a reader can paste (with `$TOKEN` set).
fn curl(
    base: &str,
    method: &str,
    path: &str,
    params: &[Param],
    body: Option<&Value>,
    session_only: bool,
) -> String {
    let mut url = format!("{base}{path}");
    for p in params.iter().filter(|p| p.place == "path") {
        url = url.replace(&format!("{{{}}}", p.name), &p.example);
    }
    let query: Vec<String> = params
        .iter()
        .filter(|p| p.place == "query" && p.required)
        .map(|p| format!("{}={}", p.name, p.example))
        .collect();
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    let mut out = format!("curl -X {} '{url}'", method.to_uppercase());
    if session_only {
        out.push_str(" \\\n  -b \"termin_session=$SESSION\" -H \"x-csrf-token: $CSRF\"");
    } else if path != "/health" {
        out.push_str(" \\\n  -H \"Authorization: Bearer $TOKEN\"");
    }
    if let Some(b) = body {
        let body = serde_json::to_string_pretty(b)
            .unwrap_or_default()
            .replace('\'', "'\\''");
        out.push_str(" \\\n  -H 'Content-Type: application/json' \\\n  -d '");
        out.push_str(&body);
        out.push('\'');
    }
    out
}

fn op_of(doc: &Value, base: &str, path: &str, method: &str, op: &Value) -> Op {
    let session_only = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty() && s.iter().all(|r| r.get("session").is_some()));
    let params: Vec<Param> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let name = str_of(p, "name").to_owned();
                    let schema = p.get("schema").cloned().unwrap_or(Value::Null);
                    let example = match example_of(doc, &schema, &name, 0, false) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    Param {
                        kind: type_label(doc, &schema),
                        required: p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        description: inline(str_of(p, "description")),
                        place: str_of(p, "in").to_owned(),
                        example,
                        name,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let body_schema = op.pointer("/requestBody/content/application~1json/schema");
    let body_example = body_schema.map(|s| example_of(doc, s, "", 0, false));
    let body = body_schema.map(|s| {
        let mut html = String::new();
        properties_html(doc, s, 0, &mut Vec::new(), &mut html);
        html
    });
    let mut responses = Vec::new();
    let mut example_status = String::new();
    let mut example_response = None;
    if let Some(rs) = op.get("responses").and_then(Value::as_object) {
        for (status, r) in rs {
            let schema = r.pointer("/content/application~1json/schema");
            let schema_html = match schema {
                Some(s) if status.starts_with('2') => {
                    let mut html = String::new();
                    properties_html(doc, s, 0, &mut Vec::new(), &mut html);
                    html
                }
                Some(s) => format!("<span class=\"type\">{}</span>", esc(&type_label(doc, s))),
                None => String::new(),
            };
            if example_status.is_empty() && status.starts_with('2') {
                example_status = status.clone();
                example_response = schema.map(|s| pretty(&example_of(doc, s, "", 0, true)));
            }
            let said = str_of(r, "description");
            let description = if said.is_empty() {
                usual_meaning(status)
            } else {
                said
            };
            responses.push(Response {
                class: format!("s{}", &status[..1.min(status.len())]),
                status: status.clone(),
                description: inline(description),
                schema: schema_html,
            });
        }
    }
    let summary = str_of(op, "summary").to_owned();
    let description = markdown(str_of(op, "description"));
    let search = format!(
        "{method} {path} {summary} {} {}",
        str_of(op, "description"),
        str_of(op, "operationId")
    )
    .to_lowercase();
    Op {
        anchor: format!("op-{}", str_of(op, "operationId")),
        method: method.to_owned(),
        curl: curl(
            base,
            method,
            path,
            &params,
            body_example.as_ref(),
            session_only,
        ),
        path: path.to_owned(),
        summary: inline(&summary),
        description,
        session_only,
        try_body: body_example.as_ref().map(pretty),
        body,
        params,
        responses,
        example_status,
        example_response,
        search,
    }
}

/// Where an operation stands in its group: its own path first, then deeper ones, and within one
/// path the order get, post, put, patch, delete. The bookable times come before booking.
fn rank(path: &str, method: &str) -> (u8, usize, String, usize) {
    let first = u8::from(path != "/v4/booking-availability" && path != "/v4/user/me");
    let m = METHODS.iter().position(|x| *x == method).unwrap_or(9);
    (first, path.matches('/').count(), path.to_owned(), m)
}

impl Reference {
    pub fn new(doc: &Value, base: &str) -> Self {
        let info = &doc["info"];
        let mut by_tag: BTreeMap<String, Vec<Op>> = BTreeMap::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (path, item) in paths {
                for method in METHODS {
                    if let Some(op) = item.get(method) {
                        let tag = op
                            .pointer("/tags/0")
                            .and_then(Value::as_str)
                            .unwrap_or("operations")
                            .to_owned();
                        by_tag
                            .entry(tag)
                            .or_default()
                            .push(op_of(doc, base, path, method, op));
                    }
                }
            }
        }
        let mut groups = Vec::new();
        for (tag, name, intro) in GROUPS {
            if let Some(mut ops) = by_tag.remove(*tag) {
                ops.sort_by_key(|o| rank(&o.path, &o.method));
                groups.push(Group {
                    anchor: format!("group-{}", tag.replace(' ', "-")),
                    name: (*name).to_owned(),
                    intro: inline(intro),
                    ops,
                });
            }
        }
        // A tag not in the list above still shows, last.
        for (tag, ops) in by_tag {
            groups.push(Group {
                anchor: format!("group-{}", tag.replace(' ', "-")),
                name: tag,
                intro: String::new(),
                ops,
            });
        }
        Self {
            title: str_of(info, "title").to_owned(),
            version: str_of(info, "version").to_owned(),
            intro: markdown(str_of(info, "description")),
            base: base.to_owned(),
            groups,
        }
    }

    /// The page, with only the operations that match every word of `query`.
    pub fn render(&self, query: &str) -> super::view::Page {
        let words: Vec<String> = query
            .split_whitespace()
            .map(str::to_lowercase)
            .take(10)
            .collect();
        let groups: Vec<(&Group, Vec<&Op>)> = self
            .groups
            .iter()
            .map(|g| {
                let group_name = g.name.to_lowercase();
                let ops = g
                    .ops
                    .iter()
                    .filter(|o| {
                        words
                            .iter()
                            .all(|w| o.search.contains(w) || group_name.contains(w))
                    })
                    .collect::<Vec<_>>();
                (g, ops)
            })
            .filter(|(_, ops)| !ops.is_empty())
            .collect();
        let found = groups.iter().map(|(_, ops)| ops.len()).sum();
        let mut layout = Layout::new(format!("{} reference", self.title));
        layout.reference = true;
        super::view::Page::render(&ReferenceView {
            layout,
            title: &self.title,
            version: &self.version,
            intro: &self.intro,
            base: &self.base,
            query,
            groups,
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_html_in_it_is_shown_as_text() {
        assert_eq!(
            inline("Use `rgo-...` **once**"),
            "Use <code>rgo-...</code> <strong>once</strong>"
        );
        let html = markdown("<script>alert(1)</script> and <b>bold</b>");
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn examples_follow_formats_names_and_allowed_values() {
        let doc = json!({"components": {"schemas": {"Person": {"type": "object", "required": ["email"],
            "properties": {"email": {"type": "string"}, "start": {"type": "string", "format": "date-time"},
                           "kind": {"type": ["string", "null"], "enum": ["a", "b", null]}, "n": {"type": "integer", "minimum": 5}}}}}});
        let e = example_of(
            &doc,
            &json!({"$ref": "#/components/schemas/Person"}),
            "",
            0,
            true,
        );
        assert_eq!(e["email"], "ada@example.com");
        assert_eq!(e["start"], "2030-01-07T09:00:00Z");
        assert_eq!(e["kind"], "a");
        assert_eq!(e["n"], 5);
    }
}
