//! The answers every operation can give besides its own, added to the OpenAPI document in one
//! place, from what the operation is, so that the document lists every status code the server
//! sends (each handler lists only the answers of its own logic):
//!
//! - any API operation: 400 (a malformed path or query, U+0000 in the URI), 408 (the request
//!   took longer than the request timeout) and 429 (a rate limit, `Retry-After` says when);
//! - one with a credential: 401 (none, or not valid), 403 (valid, but not allowed) and 404
//!   (a Platform API Key naming a user in `x-meetergo-api-user-id` who is not there);
//! - one with a path parameter: 404 (nothing there, or not visible to the caller);
//! - one with a body: 413 (over 1 MiB) and 415 (not `application/json`).

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// The hyphenated form of a UUID, the only one ids are read in.
const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// Gives every `format: uuid` string the pattern of the one form ids are read in (`format` is
/// only an annotation in OpenAPI 3.1, and clients and test generators need not honour it).
pub fn pin_uuid_format(openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("format").and_then(|f| f.as_str()) == Some("uuid")
                    && !map.contains_key("pattern")
                {
                    map.insert("pattern".into(), UUID_PATTERN.into());
                }
                map.values_mut().for_each(walk);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(&openapi).expect("the OpenAPI document serialises");
    walk(&mut value);
    serde_json::from_value(value).expect("the OpenAPI document reads back")
}

/// Adds the common answers to every operation of `openapi` but `/health`.
pub fn add_common_responses(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        if path == "/health" {
            continue;
        }
        let has_path_parameter = path.contains('{');
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            add_to(operation, has_path_parameter);
        }
    }
}

fn add_to(operation: &mut Operation, has_path_parameter: bool) {
    let authenticated = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let takes_api_keys = serde_json::to_value(&operation.security)
        .is_ok_and(|security| security.to_string().contains("\"bearer\""));
    let has_body = operation.request_body.is_some();
    let mut answers = vec![
        (
            "400",
            "The request is malformed: a field, parameter or the path is not valid",
        ),
        (
            "408",
            "The request took longer than the server's request timeout",
        ),
        (
            "429",
            "Too many requests; `Retry-After` says when to try again",
        ),
    ];
    if authenticated {
        answers.push(("401", "No credential, or one that is not valid"));
        answers.push(("403", "The credential may not do this"));
    }
    if takes_api_keys {
        answers.push((
            "404",
            "Not found, or not visible to the caller; also when the user a Platform API Key \
             names in `x-meetergo-api-user-id` is not in the company",
        ));
    }
    if has_path_parameter {
        answers.push(("404", "Not found, or not visible to the caller"));
    }
    if has_body {
        answers.push(("413", "The body is larger than 1 MiB"));
        answers.push(("415", "The body is not `application/json`"));
    }
    for (status, description) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(error(description)));
    }
}

fn error(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}
