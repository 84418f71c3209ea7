//! termin's pure domain: identifiers, roles and plans, credential formats, the acting-user rules
//! and validated input types. Nothing in here performs IO or awaits anything, so every rule can be
//! unit-tested as a plain function.

pub mod availability;
pub mod credential;
pub mod ids;
pub mod limits;
pub mod principal;
pub mod questions;
pub mod slots;
pub mod special_addresses;
pub mod tenancy;
pub mod validate;
pub mod webhook;

pub use ids::{
    ApiKeyId, AppointmentId, AttendeeId, AvailabilityId, CompanyId, ConnectionId, ContactId,
    DeliveryId, EventId, GrantId, MailId, MeetingTypeId, OAuthClientId, SessionId, TokenId, UserId,
    WebhookId,
};
