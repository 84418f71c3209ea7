//! `GET /openapi.json` and a readable reference at `GET /docs`, rendered on the server from the
//! same document: no script, font or style sheet is loaded from anywhere else, so the page works
//! on a machine without internet access.

use std::fmt::Write;
use std::sync::Arc;

use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

pub fn router<S: Clone + Send + Sync + 'static>(
    openapi: Arc<utoipa::openapi::OpenApi>,
) -> Router<S> {
    let json = Arc::new(serde_json::to_value(&*openapi).expect("the OpenAPI document serialises"));
    let page = Arc::new(render(&json));
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move { Json((*json).clone()) }),
        )
        .route("/docs", get(move || async move { Html((*page).clone()) }))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .map(esc)
        .unwrap_or_default()
}

/// `#/components/schemas/UserView` becomes a link to that schema's section.
fn schema_ref(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", esc(name));
    }
    if let Some(items) = schema.get("items") {
        return format!("array of {}", schema_ref(items));
    }
    match schema.get("type") {
        Some(Value::String(t)) => esc(t),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn render(doc: &Value) -> String {
    let mut out = String::new();
    let info = &doc["info"];
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} reference</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body>\
         <h1>{title} <small>{version}</small></h1><p>{desc}</p>\
         <p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI {oas}).</p>",
        title = text(info, "title"),
        version = text(info, "version"),
        desc = text(info, "description"),
        oas = text(doc, "openapi"),
    );
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    out.push_str("<h2>Operations</h2>");
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let _ = write!(
                out,
                "<section class=\"op\"><h3><span class=\"m {method}\">{upper}</span> <code>{path}</code></h3>",
                upper = method.to_uppercase(),
                path = esc(path)
            );
            let summary = [text(op, "summary"), text(op, "description")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let _ = write!(out, "<p>{summary}</p>");
            if let Some(params) = op.get("parameters").and_then(Value::as_array) {
                out.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th><th></th></tr>");
                for p in params {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        text(p, "name"),
                        text(p, "in"),
                        p.get("schema").map(schema_ref).unwrap_or_default(),
                        p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        text(p, "description"),
                    );
                }
                out.push_str("</table>");
            }
            if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                let _ = write!(out, "<p>Body: {}</p>", schema_ref(schema));
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                out.push_str("<ul>");
                for (status, r) in responses {
                    let body = r
                        .pointer("/content/application~1json/schema")
                        .map(|s| format!(" — {}", schema_ref(s)))
                        .unwrap_or_default();
                    let _ = write!(
                        out,
                        "<li><b>{}</b> {}{}</li>",
                        esc(status),
                        text(r, "description"),
                        body
                    );
                }
                out.push_str("</ul>");
            }
            out.push_str("</section>");
        }
    }
    out.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            let _ = write!(
                out,
                "<section id=\"schema-{0}\"><h3>{0}</h3><table>",
                esc(name)
            );
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (prop, s) in props {
                    let _ = write!(
                        out,
                        "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(prop),
                        if required.contains(&prop.as_str()) {
                            " *"
                        } else {
                            ""
                        },
                        schema_ref(s),
                        text(s, "description"),
                    );
                }
            } else if let Some(values) = schema.get("enum").and_then(Value::as_array) {
                let values: Vec<String> = values.iter().map(|v| esc(&v.to_string())).collect();
                let _ = write!(
                    out,
                    "<tr><td>one of</td><td>{}</td></tr>",
                    values.join(", ")
                );
            }
            out.push_str("</table></section>");
        }
    }
    out.push_str("</body></html>");
    out
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}\
code{background:#f3f3f3;padding:0 .3em;border-radius:3px}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ddd;padding:.2em .6em;text-align:left;vertical-align:top}.op{border-top:1px solid #eee;padding:.3em 0}\
.m{display:inline-block;min-width:4.5em;text-align:center;color:#fff;border-radius:3px;font-size:.8em;padding:.1em .3em}\
.get{background:#2b7bb9}.post{background:#2e9b4e}.patch{background:#c27c0e}.put{background:#8a5cc2}.delete{background:#c23b3b}";
