//! The one error type of the API. It renders the contract's body shape; a server fault is
//! logged with its detail and answered with none.

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use termin_domain::principal::{ActingUserError, Denied};
use termin_storage::StorageError;
use utoipa::ToSchema;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `attendee.email`.
    pub field: String,
    pub message: String,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub status_code: u16,
    pub message: String,
    pub error: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            message: message.into(),
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::bad_request("Validation failed")
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// A real server fault: the detail goes to the log, never to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            status_code: self.status.as_u16(),
            message: self.message.to_string(),
            error: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        for e in &self.errors {
            write!(f, "; {}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        use termin_storage::Conflict;
        match err.conflict() {
            Some(Conflict::UserEmail) => {
                ApiError::conflict("A user with this email already exists")
            }
            Some(Conflict::UserSlug) => ApiError::conflict("This slug is already in use"),
            Some(Conflict::CompanyOwner) => ApiError::conflict("The company already has an owner"),
            Some(Conflict::MeetingTypeSlug) => ApiError::conflict(
                "This slug is already in use by another of the host's meeting types",
            ),
            Some(Conflict::ContactEmail) => {
                ApiError::conflict("A contact with this email already exists")
            }
            Some(Conflict::IdempotencyKey) => {
                ApiError::conflict("A request with this Idempotency-Key is already being processed")
            }
            Some(Conflict::HostOverlap | Conflict::SpotsExceeded) => {
                ApiError::conflict(crate::service::appointments::SLOT_TAKEN)
            }
            None => ApiError::internal(err),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        ApiError::forbidden(denied.0)
    }
}

impl From<ActingUserError> for ApiError {
    fn from(err: ActingUserError) -> Self {
        let status = match err {
            ActingUserError::Impersonation => StatusCode::FORBIDDEN,
            ActingUserError::MissingHeader | ActingUserError::MalformedHeader => {
                StatusCode::BAD_REQUEST
            }
        };
        ApiError::new(status, err.to_string())
    }
}

/// Collects every bad field of an input before answering, so one 400 names them all.
#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of `result` under `field`, returning the value if it was valid.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(field, e.to_string());
                None
            }
        }
    }

    /// Like [`check`](Self::check) for an optional input.
    pub fn check_opt<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Option<Result<T, E>>,
    ) -> Option<T> {
        result.and_then(|r| self.check(field, r))
    }

    /// A required field: a missing one is an error too.
    pub fn require<'a>(&mut self, field: &str, value: Option<&'a str>) -> Option<&'a str> {
        if value.is_none() {
            self.fail(field, "is required");
        }
        value
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}
