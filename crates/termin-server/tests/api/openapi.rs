//! The OpenAPI document as a reviewed snapshot: any change to a route, field, status code or
//! constraint shows up in the diff of `snapshots/api__openapi__openapi.snap`.

use serde_json::Value;

/// Time zone enums list the names of the machine's time zone database, which changes with it:
/// the snapshot holds a placeholder, and the lists are checked here instead.
fn without_time_zone_names(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => {
            let mut found = 0;
            if let Some(Value::Array(names)) = map.get("enum") {
                if names.iter().any(|n| n == "Europe/Berlin") {
                    let strings: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
                    assert!(strings.contains(&"UTC") && strings.contains(&"America/New_York"));
                    assert!(!strings.contains(&"localtime") && !strings.contains(&"Factory"));
                    assert!(strings.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
                    let nullable = names.iter().any(Value::is_null);
                    let mut placeholder = vec![Value::from("<canonical IANA time zone names>")];
                    if nullable {
                        placeholder.push(Value::Null);
                    }
                    map.insert("enum".into(), Value::Array(placeholder));
                    found += 1;
                }
            }
            found + map.values_mut().map(without_time_zone_names).sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(without_time_zone_names).sum(),
        _ => 0,
    }
}

#[test]
fn the_openapi_document_is_the_reviewed_one() {
    let mut document = serde_json::to_value(termin_server::app::openapi()).unwrap();
    assert!(without_time_zone_names(&mut document) > 0);
    insta::assert_json_snapshot!("openapi", document);
}

/// Every string and array a request can carry (parameters and bodies) has a documented
/// maximum: a `maxLength` (or a list of values, or a format of fixed length) and a `maxItems`.
#[test]
fn every_string_and_array_a_request_carries_is_bounded() {
    let document = serde_json::to_value(termin_server::app::openapi()).unwrap();
    let schemas = &document["components"]["schemas"];
    let mut unbounded = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let at = format!("{method} {path} ?{}", parameter["name"]);
                walk(
                    &parameter["schema"],
                    &at,
                    schemas,
                    &mut seen,
                    &mut unbounded,
                );
            }
            if let Some(content) = operation["requestBody"]["content"].as_object() {
                for media in content.values() {
                    let at = format!("{method} {path} body");
                    walk(&media["schema"], &at, schemas, &mut seen, &mut unbounded);
                }
            }
        }
    }
    assert!(unbounded.is_empty(), "unbounded: {unbounded:#?}");
}

fn walk(
    schema: &Value,
    at: &str,
    schemas: &Value,
    seen: &mut std::collections::HashSet<String>,
    unbounded: &mut Vec<String>,
) {
    let (schema, at) = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap().to_owned();
            if !seen.insert(name.clone()) {
                return;
            }
            (&schemas[&name], name)
        }
        None => (schema, at.to_owned()),
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let fixed_format = matches!(
        schema["format"].as_str(),
        Some("uuid" | "date" | "date-time")
    );
    if types.contains(&"string")
        && schema.get("maxLength").is_none()
        && schema.get("enum").is_none()
        && !fixed_format
    {
        unbounded.push(format!("string {at}"));
    }
    if types.contains(&"array") && schema.get("maxItems").is_none() {
        unbounded.push(format!("array {at}"));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for sub in schema[key].as_array().into_iter().flatten() {
            walk(sub, &at, schemas, seen, unbounded);
        }
    }
    for (name, sub) in schema["properties"].as_object().into_iter().flatten() {
        walk(sub, &format!("{at}.{name}"), schemas, seen, unbounded);
    }
    if schema["items"].is_object() {
        walk(
            &schema["items"],
            &format!("{at}[]"),
            schemas,
            seen,
            unbounded,
        );
    }
    if schema["additionalProperties"].is_object() {
        walk(
            &schema["additionalProperties"],
            &format!("{at}{{}}"),
            schemas,
            seen,
            unbounded,
        );
    }
}
