//! The tools' JSON Schemas: inputs from the parameter table, outputs from the OpenAPI
//! document's answer of each tool's REST operation (so an answer's shape is written down once).

use serde_json::{json, Map, Value};

use super::tools::{Present, ToolSpec, Ty};

/// The input schema of `spec`: an object of its parameters, nothing else.
pub fn input(spec: &ToolSpec) -> Map<String, Value> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in spec.params {
        let mut schema = of(p.ty);
        schema["description"] = Value::from(p.description);
        properties.insert(p.name.to_owned(), schema);
        if p.required {
            required.push(p.name);
        }
    }
    object(json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    }))
}

fn of(ty: Ty) -> Value {
    match ty {
        Ty::Text => json!({"type": "string"}),
        Ty::NullableText => json!({"type": ["string", "null"]}),
        Ty::Uuid => json!({"type": "string", "format": "uuid"}),
        Ty::Instant => json!({"type": "string", "format": "date-time"}),
        Ty::DateOrInstant => {
            json!({"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]})
        }
        Ty::Zone => json!({"type": "string", "examples": ["Europe/Berlin"]}),
        Ty::Email => json!({"type": "string", "format": "email"}),
        Ty::Int(min, max) => json!({"type": "integer", "minimum": min, "maximum": max}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Texts => json!({"type": "array", "items": {"type": "string"}}),
        Ty::Uuids => json!({"type": "array", "items": {"type": "string", "format": "uuid"}}),
        Ty::Emails => {
            json!({"type": "array", "items": {"type": "string", "format": "email"}, "maxItems": 5})
        }
        Ty::Object => json!({"type": "object"}),
        Ty::OneOf(values) => json!({"type": "string", "enum": values}),
        Ty::ManyOf(values) => {
            json!({"type": "array", "items": {"type": "string", "enum": values}, "minItems": 1})
        }
        Ty::Contacts => json!({
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "items": {
                "type": "object",
                "properties": {
                    "firstName": {"type": ["string", "null"]},
                    "lastName": {"type": ["string", "null"]},
                    "email": {"type": ["string", "null"], "format": "email"},
                    "phoneNumber": {"type": ["string", "null"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "notes": {"type": ["string", "null"]},
                    "language": {"type": ["string", "null"]},
                    "additionalData": {"type": "object"},
                },
            },
        }),
    }
}

/// The output schema of `spec`: the JSON schema of its REST operation's successful answer
/// (arrays as `{items}`, an empty answer as `{ok}`), with what the presentation adds, and every
/// schema it refers to under `$defs`.
pub fn output(openapi: &Value, spec: &ToolSpec) -> Map<String, Value> {
    let operation = &openapi["paths"][spec.path][spec.method.as_str().to_ascii_lowercase()];
    let answer = operation["responses"]
        .as_object()
        .and_then(|r| r.iter().find(|(code, _)| code.starts_with('2')))
        .map(|(_, r)| &r["content"]["application/json"]["schema"])
        .filter(|s| !s.is_null());
    let components = &openapi["components"]["schemas"];
    let mut root = match answer {
        None => {
            json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]})
        }
        Some(s) if s["type"] == "array" => {
            json!({"type": "object", "properties": {"items": s}, "required": ["items"]})
        }
        Some(s) => match s["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
            Some(name) => components[name].clone(),
            None => s.clone(),
        },
    };
    root["type"] = Value::from("object");
    let added = match spec.present {
        Present::Availability => json!({"slotsStartUtc": {
            "type": "array", "items": {"type": "string", "format": "date-time"},
            "description": "Every offered start as an instant (UTC), sorted"}}),
        Present::Booked | Present::Rescheduled => json!({
            "bookingState": {"type": "string", "enum": ["confirmed"]},
            "startUtc": {"type": "string", "format": "date-time"}}),
        Present::Cancelled => json!({
            "bookingState": {"type": "string", "enum": ["cancelled", "attendee_removed"]},
            "removedAttendeeId": {"type": "string", "format": "uuid"}}),
        Present::Appointment => appointment_additions(),
        _ => json!({}),
    };
    if let (Some(props), Some(added)) = (
        root.get_mut("properties").and_then(Value::as_object_mut),
        added.as_object(),
    ) {
        props.extend(added.clone());
    }
    let mut defs = Map::new();
    collect_refs(&root, components, &mut defs);
    let mut root = rewrite_refs(root);
    if !defs.is_empty() {
        root["$defs"] = rewrite_refs(Value::Object(defs));
    }
    object(root)
}

/// What every appointment in an answer gains (see `present::appointment`).
fn appointment_additions() -> Value {
    json!({
        "status": {"type": "string", "enum": ["confirmed", "cancelled"]},
        "rescheduled": {"type": "boolean"},
        "startLocal": {"type": "string", "description": "The start in the user's time zone, with its offset"},
        "endLocal": {"type": "string", "description": "The end in the user's time zone, with its offset"},
        "localTimezone": {"type": "string", "description": "The user's time zone"},
    })
}

fn collect_refs(value: &Value, components: &Value, defs: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                if !defs.contains_key(name) {
                    let schema = components[name].clone();
                    defs.insert(name.to_owned(), schema.clone());
                    collect_refs(&schema, components, defs);
                }
            }
            map.values().for_each(|v| collect_refs(v, components, defs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, components, defs)),
        _ => {}
    }
}

fn rewrite_refs(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => (
                        k,
                        Value::String(r.replace("#/components/schemas/", "#/$defs/")),
                    ),
                    (_, v) => (k, rewrite_refs(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(rewrite_refs).collect()),
        other => other,
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("every schema here is an object"),
    }
}
