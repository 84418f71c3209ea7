//! What a use case can answer besides success. Each variant is a meaning, not a status code:
//! the doors map it once (the HTTP door to the contract's error body, the CLI to a message).

use std::borrow::Cow;

use termin_domain::principal::{ActingUserError, Denied};
use termin_storage::{Conflict, StorageError};

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `attendee.email`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No credential, or one that is not (or no longer) valid.
    #[error("{0}")]
    Unauthenticated(Cow<'static, str>),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    /// The thing does not exist, or the caller may not know that it does.
    #[error("{0}")]
    NotFound(Cow<'static, str>),
    /// The request is valid but collides with the current state (a slot taken, a name in use).
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// The input is wrong; `fields` names each bad field (empty when the request as a whole is).
    #[error("{message}")]
    Invalid {
        message: Cow<'static, str>,
        fields: Vec<FieldError>,
    },
    /// A limit on how many of something may exist is reached.
    #[error("{0}")]
    LimitReached(Cow<'static, str>),
    /// Too many attempts: the caller may try again after `retry_after_secs`.
    #[error("{message}")]
    Throttled {
        message: Cow<'static, str>,
        retry_after_secs: u64,
    },
    /// A real fault. The detail is for the log, never for the caller.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// `ServiceError::Invalid`'s message when fields name what is wrong.
pub const VALIDATION_FAILED: &str = "Validation failed";

impl ServiceError {
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Unauthenticated(message.into())
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::NotFound(message.into())
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Conflict(message.into())
    }

    /// The request as a whole is wrong (no single field to name).
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Invalid {
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self::Invalid {
            message: VALIDATION_FAILED.into(),
            fields,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// A real fault; the door logs the detail and answers without it.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }
}

/// The message of a user slug taken by someone else.
pub const SLUG_TAKEN: &str = "This slug is already in use";

/// The message every "slot taken" conflict carries, whichever check found it.
pub const SLOT_TAKEN: &str = "Slot no longer available";

impl From<StorageError> for ServiceError {
    fn from(err: StorageError) -> Self {
        match err.conflict() {
            Some(Conflict::UserEmail) => Self::conflict("A user with this email already exists"),
            Some(Conflict::UserSlug) => Self::conflict(SLUG_TAKEN),
            Some(Conflict::CompanyOwner) => Self::conflict("The company already has an owner"),
            Some(Conflict::MeetingTypeSlug) => {
                Self::conflict("This slug is already in use by another of the host's meeting types")
            }
            Some(Conflict::ContactEmail) => {
                Self::conflict("A contact with this email already exists")
            }
            Some(Conflict::IdempotencyKey) => {
                Self::conflict("A request with this Idempotency-Key is already being processed")
            }
            Some(Conflict::HostOverlap | Conflict::SpotsExceeded) => Self::conflict(SLOT_TAKEN),
            None => Self::internal(err),
        }
    }
}

impl From<Denied> for ServiceError {
    fn from(denied: Denied) -> Self {
        Self::forbidden(denied.0)
    }
}

impl From<ActingUserError> for ServiceError {
    fn from(err: ActingUserError) -> Self {
        match err {
            ActingUserError::Impersonation => Self::forbidden(err.to_string()),
            ActingUserError::MissingHeader | ActingUserError::MalformedHeader => {
                Self::bad_request(err.to_string())
            }
        }
    }
}

/// Collects every bad field of an input before answering, so one error names them all.
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

    pub fn finish(self) -> ServiceResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::validation(self.errors))
        }
    }
}
