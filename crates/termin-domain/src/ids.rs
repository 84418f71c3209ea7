//! Identifiers as newtypes, so a user id can never be passed where a company id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Text that is not an id: not a UUID in its hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdError;

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be a UUID such as 01a2286d-ba9d-75cf-92f4-e5125d78cd85")
    }
}

impl std::error::Error for IdError {}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            /// A fresh, time-ordered (v7) identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            /// Only the hyphenated form (`01a2286d-ba9d-75cf-92f4-e5125d78cd85`), in either
            /// case: the one form the API writes and documents.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                if s.len() != 36 {
                    return Err(IdError);
                }
                Uuid::try_parse(s).map(Self).map_err(|_| IdError)
            }
        }
    };
}

id_type!(
    /// A company (workspace).
    CompanyId
);
id_type!(
    /// A user of a company.
    UserId
);
id_type!(
    /// A Personal Access Token's record (not its secret).
    TokenId
);
id_type!(
    /// A Platform API Key's record; also the `<uuid>` part of the key itself.
    ApiKeyId
);
id_type!(
    /// A dashboard login session's record (not the cookie value).
    SessionId
);
id_type!(
    /// A weekly availability schedule.
    AvailabilityId
);
id_type!(
    /// A meeting type (event type).
    MeetingTypeId
);
id_type!(
    /// An appointment (one booked slot, with one or more attendees).
    AppointmentId
);
id_type!(
    /// One attendee of an appointment.
    AttendeeId
);
id_type!(
    /// A contact in a company's address book.
    ContactId
);
id_type!(
    /// A webhook subscription.
    WebhookId
);
id_type!(
    /// A user's connection to their own calendars (a CalDAV account or an ICS feed).
    ConnectionId
);
id_type!(
    /// An event in the webhook outbox.
    EventId
);
id_type!(
    /// One event's delivery to one webhook (with its attempts).
    DeliveryId
);
id_type!(
    /// A message in the mail outbox.
    MailId
);
id_type!(
    /// A registered OAuth client (an AI assistant's app); its `client_id`.
    OAuthClientId
);
id_type!(
    /// A user's consent to one OAuth client: the family of its tokens.
    GrantId
);
