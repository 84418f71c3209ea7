//! Request extractors that answer bad input with the contract's error body instead of axum's
//! plain-text rejections.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, StatusCode};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use termin_service::FieldError;

/// Largest accepted request body (contract: over 1 MiB answers 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body. Wrong content type: 415; too large: 413; malformed or mistyped: 400 naming the
/// field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The raw bytes of a JSON body (content type and size checked), for handlers that need the
/// exact request, such as an idempotent POST.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json_content_type(req.headers())?;
        Bytes::from_request(req, state)
            .await
            .map(JsonBytes)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("Request body is larger than {MAX_BODY_BYTES} bytes"),
                    )
                } else {
                    ApiError::bad_request("Could not read the request body")
                }
            })
    }
}

/// 415 unless the request says it carries JSON.
fn require_json_content_type(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false);
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    Ok(())
}

/// Parses a JSON body strictly and predictably:
/// - nothing but whitespace may follow the document (400);
/// - no string (value or key) may hold U+0000, which PostgreSQL cannot store: 400 naming the
///   field, on both backends alike;
/// - a number written with a zero fraction (`30.0`) is accepted where an integer is expected;
/// - where the API takes an object, it takes only an object (`strict_json`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "Request body must be a JSON document",
        ));
    }
    let mut value = crate::http::strict_json::document(bytes).map_err(malformed)?;
    // JSON can carry U+0000 only escaped; only then is the document searched for it.
    if contains_nul_escape(bytes) {
        if let Some(field) = nul_path(&value, String::new()) {
            return Err(ApiError::validation(vec![FieldError {
                field,
                message: "must not contain the character U+0000".into(),
            }]));
        }
    }
    match serde_path_to_error::deserialize(crate::http::strict_json::Strict(&value)) {
        Ok(parsed) => Ok(parsed),
        // Perhaps an integral float where an integer belongs: read again with those as
        // integers (only then, so that free-form JSON such as `{"lat": 52.0}` is kept as sent).
        Err(e) if e.inner().to_string().contains("floating point") => {
            integral_floats_as_integers(&mut value);
            serde_path_to_error::deserialize(crate::http::strict_json::Strict(&value))
                .map_err(field_error)
        }
        Err(e) => Err(field_error(e)),
    }
}

fn malformed(err: serde_json::Error) -> ApiError {
    ApiError::bad_request(format!("Malformed JSON: {err}"))
}

fn field_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        malformed(inner)
    } else {
        ApiError::validation(vec![FieldError {
            field: if path == "." { String::new() } else { path },
            message: strip_position(&inner.to_string()),
        }])
    }
}

fn contains_nul_escape(bytes: &[u8]) -> bool {
    bytes
        .windows(6)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && &w[2..] == b"0000")
}

/// The path (`attendee.notes`, `hosts[2]`) of the first string holding U+0000, if any.
fn nul_path(value: &serde_json::Value, at: String) -> Option<String> {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "\\u0000")))
            } else {
                nul_path(v, join(k))
            }
        }),
        _ => None,
    }
}

fn integral_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                    *n = serde_json::Number::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// serde_json appends " at line 1 column 20"; the field name says more to an API user.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A path or query that holds U+0000 (`%00`) is refused with 400 naming the query parameter,
/// on every route (`rate_limit::enforce` asks this first): PostgreSQL cannot store the
/// character, and SQLite would, so letting it through would make the two backends answer
/// differently.
pub fn nul_in_uri(uri: &axum::http::Uri) -> Option<ApiError> {
    if uri.path().contains("%00") {
        return Some(ApiError::bad_request(
            "The path must not contain the character U+0000",
        ));
    }
    let query = uri.query().filter(|q| q.contains("%00"))?;
    let name = query
        .split('&')
        .find(|pair| pair.contains("%00"))
        .map(|pair| pair.split_once('=').map_or(pair, |(k, _)| k))
        .unwrap_or_default();
    let name = if name.contains("%00") { "query" } else { name };
    Some(ApiError::validation(vec![FieldError {
        field: name.to_owned(),
        message: "must not contain the character U+0000".into(),
    }]))
}

/// Path parameters; a malformed id answers 400.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|rejection: PathRejection| {
                ApiError::bad_request(format!("Invalid path parameter: {}", rejection.body_text()))
            })
    }
}

/// Query parameters; unknown enum values and wrong types answer 400.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rejection: QueryRejection| {
                ApiError::bad_request(format!("Invalid query: {}", rejection.body_text()))
            })
    }
}
