//! The API's JSON: request and response types with their OpenAPI schemas, one module per
//! resource, converted from and to the service's types. The service knows no OpenAPI.

pub mod appointments;
pub mod availability;
pub mod contacts;
pub mod credentials;
pub mod meeting_types;
pub mod users;
pub mod webhooks;
