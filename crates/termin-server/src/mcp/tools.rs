//! The tools: meetergo's MCP server's names, parameters and meaning, for everything termin's API
//! covers. Each tool is one REST operation; its parameters say where each goes (path, query,
//! body, the booking's attendee, the meeting type's `meetingInfo`).

use axum::http::Method;

/// What a parameter holds; its JSON Schema comes from this (`schema::input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Text,
    /// Text or null (null clears).
    NullableText,
    Uuid,
    /// An RFC 3339 instant with its offset.
    Instant,
    /// A date (`2026-12-01`) or an instant.
    DateOrInstant,
    /// An IANA time zone.
    Zone,
    Email,
    Int(i64, i64),
    Bool,
    Texts,
    Uuids,
    Emails,
    /// An object of string keys (booking answers, extra contact data, online profiles).
    Object,
    OneOf(&'static [&'static str]),
    /// A list of the values of `OneOf`.
    ManyOf(&'static [&'static str]),
    /// The rows of a bulk contact import.
    Contacts,
}

/// Where a parameter goes in the REST request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The path's `{…}` segment.
    Path,
    Query,
    Body,
    /// The booking's `attendee` object, under the given REST name.
    Attendee(&'static str),
    /// The meeting type's `meetingInfo` object.
    MeetingInfo,
}

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub at: At,
    pub required: bool,
    pub description: &'static str,
}

/// What a tool does to the world, as MCP's annotations say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Read,
    /// `destructive`: may change or remove what exists; `open_world`: reaches people outside
    /// (invitations, e-mails, public pages, webhooks).
    Write {
        destructive: bool,
        idempotent: bool,
        open_world: bool,
    },
}

/// How a tool's answer is presented beyond the REST body (meetergo's presentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Present {
    Plain,
    Availability,
    Appointment,
    AppointmentPage,
    Appointments,
    Booked,
    Rescheduled,
    Cancelled,
}

#[derive(Debug)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub method: Method,
    /// The REST path, as the OpenAPI document names it.
    pub path: &'static str,
    pub params: &'static [Param],
    pub effect: Effect,
    pub present: Present,
}

const fn p(name: &'static str, ty: Ty, at: At, required: bool, description: &'static str) -> Param {
    Param {
        name,
        ty,
        at,
        required,
        description,
    }
}

const READ: Effect = Effect::Read;
/// Creates something new; nothing that exists changes.
const CREATE: Effect = Effect::Write {
    destructive: false,
    idempotent: false,
    open_world: false,
};
const CHANGE: Effect = Effect::Write {
    destructive: true,
    idempotent: true,
    open_world: false,
};
const CHANGE_PUBLIC: Effect = Effect::Write {
    destructive: true,
    idempotent: true,
    open_world: true,
};
const NOTIFY: Effect = Effect::Write {
    destructive: true,
    idempotent: false,
    open_world: true,
};

const CHANNELS: &[&str] = termin_service::meeting_types::CHANNELS;
const EVENTS: &[&str] = termin_domain::webhook::EventType::WIRE;

const APPOINTMENT_ID: Param = p(
    "appointmentId",
    Ty::Uuid,
    At::Path,
    true,
    "The appointment's id (from list_appointments or get_todays_appointments)",
);
const MEETING_TYPE_ID: Param = p(
    "meetingTypeId",
    Ty::Uuid,
    At::Path,
    true,
    "The meeting type's id (from list_meeting_types)",
);
const CONTACT_ID: Param = p("contactId", Ty::Uuid, At::Path, true, "The contact's id");
const WEBHOOK_ID: Param = p("webhookId", Ty::Uuid, At::Path, true, "The webhook's id");

const MEETING_INFO: [Param; 10] = [
    p(
        "description",
        Ty::Text,
        At::MeetingInfo,
        false,
        "Shown on the booking page; \"\" for none",
    ),
    p(
        "channel",
        Ty::OneOf(CHANNELS),
        At::MeetingInfo,
        false,
        "Where the meeting happens",
    ),
    p(
        "bufferBefore",
        Ty::Int(0, 120),
        At::MeetingInfo,
        false,
        "Minutes kept free before each meeting",
    ),
    p(
        "bufferAfter",
        Ty::Int(0, 120),
        At::MeetingInfo,
        false,
        "Minutes kept free after each meeting",
    ),
    p(
        "bufferMustStayWithinWorkingHours",
        Ty::Bool,
        At::MeetingInfo,
        false,
        "Buffers must fall inside working hours too",
    ),
    p(
        "showAvailableSlots",
        Ty::Bool,
        At::MeetingInfo,
        false,
        "Show the number of free seats",
    ),
    p(
        "enableRedirect",
        Ty::Bool,
        At::MeetingInfo,
        false,
        "Send the attendee to `redirect` after booking",
    ),
    p(
        "redirect",
        Ty::Text,
        At::MeetingInfo,
        false,
        "URL to send attendees to after booking",
    ),
    p(
        "passEventDetailsToRedirect",
        Ty::Bool,
        At::MeetingInfo,
        false,
        "Add the booking's details to the redirect URL",
    ),
    p(
        "color",
        Ty::Text,
        At::MeetingInfo,
        false,
        "Hex colour, e.g. #e55000",
    ),
];

macro_rules! params {
    ($($param:expr),* $(,)?) => { &[$($param),*] };
}

/// `a`, then `b`, then `c`, as one list (`N` is their total length, checked when compiled).
const fn join<const A: usize, const B: usize, const C: usize, const N: usize>(
    a: [Param; A],
    b: [Param; B],
    c: [Param; C],
) -> [Param; N] {
    assert!(A > 0 && A + B + C == N);
    let mut all = [a[0]; N];
    let mut i = 0;
    while i < N {
        all[i] = if i < A {
            a[i]
        } else if i < A + B {
            b[i - A]
        } else {
            c[i - A - B]
        };
        i += 1;
    }
    all
}

const SPOTS: Param = p(
    "spots",
    Ty::Int(1, 100),
    At::Body,
    false,
    "Attendees per slot; more than 1 makes it a group meeting",
);

const CREATE_MEETING_TYPE: [Param; 13] = join(
    [
        p(
            "name",
            Ty::Text,
            At::MeetingInfo,
            true,
            "Shown on the booking page",
        ),
        p(
            "duration",
            Ty::Int(5, 480),
            At::MeetingInfo,
            true,
            "Minutes, 5 to 480",
        ),
    ],
    MEETING_INFO,
    [SPOTS],
);

const UPDATE_MEETING_TYPE: [Param; 15] = join(
    [
        MEETING_TYPE_ID,
        p(
            "name",
            Ty::Text,
            At::MeetingInfo,
            false,
            "Shown on the booking page",
        ),
        p(
            "duration",
            Ty::Int(5, 480),
            At::MeetingInfo,
            false,
            "Minutes, 5 to 480",
        ),
    ],
    MEETING_INFO,
    [
        p(
            "slug",
            Ty::Text,
            At::Body,
            false,
            "URL segment of the booking page",
        ),
        SPOTS,
    ],
);

const CONTACT_FIELDS: [Param; 8] = [
    p("firstName", Ty::NullableText, At::Body, false, "First name"),
    p("lastName", Ty::NullableText, At::Body, false, "Last name"),
    p(
        "email",
        Ty::Email,
        At::Body,
        false,
        "E-mail address; unique in the company",
    ),
    p(
        "phoneNumber",
        Ty::NullableText,
        At::Body,
        false,
        "Phone number",
    ),
    p(
        "tags",
        Ty::Texts,
        At::Body,
        false,
        "Tags, e.g. [\"Lead\"]; a change replaces the whole list",
    ),
    p(
        "notes",
        Ty::NullableText,
        At::Body,
        false,
        "Internal notes, not shown to the contact",
    ),
    p(
        "language",
        Ty::NullableText,
        At::Body,
        false,
        "Language, e.g. de or en",
    ),
    p(
        "additionalData",
        Ty::Object,
        At::Body,
        false,
        "Any further data, as an object",
    ),
];

const UPDATE_CONTACT: [Param; 9] = join([CONTACT_ID], CONTACT_FIELDS, []);

const PERSONAL_PAGE: &[Param] = params![
    p("useCustomColors", Ty::Bool, At::Body, false, "Must be true for primaryColor and secondaryColor to show"),
    p("primaryColor", Ty::Text, At::Body, false, "Hex, e.g. #e55000"),
    p("secondaryColor", Ty::Text, At::Body, false, "Hex, e.g. #e55000"),
    p("headerImage", Ty::NullableText, At::Body, false, "Image URL (https), or null to remove it"),
    p("description", Ty::NullableText, At::Body, false, "Shown on the page"),
    p("showAllMeetingTypes", Ty::Bool, At::Body, false, "List every meeting type, not only those in meetingTypeOrder"),
    p("meetingTypeOrder", Ty::Uuids, At::Body, false, "Meeting type ids, in display order"),
    p("onlineProfiles", Ty::Object, At::Body, false, "Contact and social links: linkedIn, facebook, twitter, instagram, xing, phone, email, addressStreet, addressCity, addressPostalCode, addressCountry, customLinks"),
];

/// Every tool, in meetergo's order.
pub const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        name: "get_me",
        title: "Get the authenticated user",
        description: "Return the user this connection acts as: id, name, e-mail, time zone and role. A cheap check that the credential works; call it once and reuse the id and time zone.",
        method: Method::GET,
        path: "/v4/user/me",
        params: &[],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "list_meeting_types",
        title: "List meeting types",
        description: "List the user's bookable meeting types with the id, duration, allowed durations, seats and host that a booking needs.",
        method: Method::GET,
        path: "/v4/meeting-type",
        params: &[],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "get_availability",
        title: "Get available slots",
        description: "Return a meeting type's bookable start times between start and end (at most 62 days). Each start is given in `timezone` (default: the user's own zone) and, in slotsStartUtc, as an instant: book_appointment accepts exactly these starts. Events in a calendar are busy time, never availability.",
        method: Method::GET,
        path: "/v4/booking-availability",
        params: params![
            p("meetingTypeId", Ty::Uuid, At::Query, true, "The meeting type's id (from list_meeting_types)"),
            p("start", Ty::DateOrInstant, At::Query, true, "Start of the window: a date (2026-12-01, read in `timezone`) or an instant"),
            p("end", Ty::DateOrInstant, At::Query, true, "End of the window: a date (its end, read in `timezone`) or an instant"),
            p("timezone", Ty::Zone, At::Query, false, "IANA time zone the times are shown in, e.g. Europe/Berlin; default: the user's"),
            p("meetingDuration", Ty::Int(5, 480), At::Query, false, "Minutes: one of the meeting type's allowed durations; a booking of these slots must send the same duration"),
            p("existingAppointmentId", Ty::Uuid, At::Query, false, "When looking for a new time for this appointment: it does not block itself"),
            p("hostIds", Ty::Uuids, At::Query, false, "Only these hosts (of a team meeting type); left out, the meeting type decides"),
            p("queueId", Ty::Text, At::Query, false, "Routing queues are not supported by termin; leave it out"),
        ],
        effect: READ,
        present: Present::Availability,
    },
    ToolSpec {
        name: "book_appointment",
        title: "Book an appointment",
        description: "Book a start returned by get_availability and send the invitations. Any other start is refused (409). The answer's bookingState `confirmed` means the appointment exists. Give fullName, or firstName and lastName.",
        method: Method::POST,
        path: "/v4/booking",
        params: params![
            p("meetingTypeId", Ty::Uuid, At::Body, true, "The meeting type's id"),
            p("start", Ty::Instant, At::Body, true, "A start from get_availability, as an instant (RFC 3339)"),
            p("duration", Ty::Int(5, 480), At::Body, false, "Minutes; only when get_availability was asked with meetingDuration"),
            p("email", Ty::Email, At::Attendee("email"), true, "The attendee's e-mail address"),
            p("firstName", Ty::Text, At::Attendee("firstname"), false, "The attendee's first name"),
            p("lastName", Ty::Text, At::Attendee("lastname"), false, "The attendee's last name"),
            p("fullName", Ty::Text, At::Attendee("fullname"), false, "The attendee's whole name, when it cannot be split"),
            p("phone", Ty::Text, At::Attendee("phone"), false, "The attendee's phone number"),
            p("timezone", Ty::Zone, At::Attendee("timezone"), false, "The attendee's IANA time zone, e.g. Europe/Berlin"),
            p("receiveReminders", Ty::Bool, At::Attendee("receiveReminders"), false, "Send the attendee reminder e-mails; default true"),
            p("notes", Ty::Object, At::Attendee("notes"), false, "Answers to the booking questions, keyed by question"),
            p("guestEmails", Ty::Emails, At::Attendee("bringalongEmails"), false, "Up to 5 more people invited with the attendee"),
            p("hostIds", Ty::Uuids, At::Body, false, "Only these hosts (of a team meeting type); left out, the meeting type decides"),
        ],
        effect: NOTIFY,
        present: Present::Booked,
    },
    ToolSpec {
        name: "reschedule_appointment",
        title: "Reschedule an appointment",
        description: "Move an appointment to a new start; its length stays. The new start must be bookable (ask get_availability with existingAppointmentId) unless ignoreAvailability is set; another appointment is never overlapped. Everyone is notified.",
        method: Method::POST,
        path: "/v4/appointment/{id}/reschedule",
        params: params![
            APPOINTMENT_ID,
            p("start", Ty::Instant, At::Body, true, "The new start, as an instant (RFC 3339)"),
            p("ignoreAvailability", Ty::Bool, At::Body, false, "Allow a time outside the availability, notice and grid"),
        ],
        effect: NOTIFY,
        present: Present::Rescheduled,
    },
    ToolSpec {
        name: "cancel_appointment",
        title: "Cancel an appointment",
        description: "Cancel an appointment and notify everyone. For a group meeting, attendeeId removes one person and cancelAll cancels it for all. bookingState says which happened: `cancelled` or `attendee_removed`.",
        method: Method::POST,
        path: "/v4/appointment/{id}/cancel",
        params: params![
            APPOINTMENT_ID,
            p("attendeeId", Ty::Uuid, At::Body, false, "Remove only this attendee (group meetings)"),
            p("cancelAll", Ty::Bool, At::Body, false, "Cancel a group meeting for everyone"),
            p("reason", Ty::Text, At::Body, false, "At most 500 characters; included in the notification e-mails"),
        ],
        effect: NOTIFY,
        present: Present::Cancelled,
    },
    ToolSpec {
        name: "list_appointments",
        title: "List appointments",
        description: "A page of the user's appointments with filters, each with its id and status (`confirmed` or `cancelled`). Pages count from 0.",
        method: Method::GET,
        path: "/v4/appointment/paginated",
        params: params![
            p("page", Ty::Int(0, 1_000_000), At::Query, false, "0-based page; default 0"),
            p("pageSize", Ty::Int(1, 100), At::Query, false, "1 to 100; default 10"),
            p("start", Ty::DateOrInstant, At::Query, false, "Only appointments starting at or after this"),
            p("end", Ty::DateOrInstant, At::Query, false, "Only appointments starting before this"),
            p("search", Ty::Text, At::Query, false, "Matches attendee names and e-mail addresses"),
            p("status", Ty::OneOf(&["upcoming", "past", "cancelled"]), At::Query, false, "Only upcoming, past or cancelled appointments"),
            p("meetingTypeId", Ty::Uuid, At::Query, false, "Only this meeting type's"),
            p("sortBy", Ty::OneOf(&["appointment.start", "appointment.createdAt"]), At::Query, false, "Default appointment.start"),
            p("sortDirection", Ty::OneOf(&["ASC", "DESC"]), At::Query, false, "Default ASC"),
        ],
        effect: READ,
        present: Present::AppointmentPage,
    },
    ToolSpec {
        name: "get_todays_appointments",
        title: "Get today's appointments",
        description: "The user's appointments today, in the user's own time zone.",
        method: Method::GET,
        path: "/v4/appointment/today",
        params: &[],
        effect: READ,
        present: Present::Appointments,
    },
    ToolSpec {
        name: "get_appointment",
        title: "Get an appointment",
        description: "One appointment in full: status, attendees with their attendeeIds (for add_guest, send_quick_email and cancelling one attendee), hosts, location, notes and transcript.",
        method: Method::GET,
        path: "/v4/appointment/{id}",
        params: params![APPOINTMENT_ID],
        effect: READ,
        present: Present::Appointment,
    },
    ToolSpec {
        name: "add_guest",
        title: "Add a guest to an appointment",
        description: "Add one guest e-mail to an attendee's guests (kept once, at most 5 per attendee); the guest is invited. The attendee's own address does not change.",
        method: Method::PATCH,
        path: "/v4/appointment/{id}/guest",
        params: params![
            APPOINTMENT_ID,
            p("attendeeId", Ty::Uuid, At::Body, false, "The attendee who brings the guest (from get_appointment); may be left out when there is one"),
            p("email", Ty::Email, At::Body, true, "The guest's e-mail address"),
        ],
        effect: NOTIFY,
        present: Present::Appointment,
    },
    ToolSpec {
        name: "update_appointment_notes",
        title: "Update appointment notes",
        description: "Replace the host's note on an appointment (not shown to attendees). It replaces: include any text to keep.",
        method: Method::PATCH,
        path: "/v4/appointment/{id}/notes",
        params: params![
            APPOINTMENT_ID,
            p("note", Ty::Text, At::Body, true, "At most 10000 characters"),
        ],
        effect: CHANGE,
        present: Present::Appointment,
    },
    ToolSpec {
        name: "create_one_time_booking_link",
        title: "Create a one-time booking link",
        description: "Make a link to the meeting type's booking page that takes exactly one booking; the person who gets it picks their own time.",
        method: Method::POST,
        path: "/v4/one-time-booking-link/create/{meetingTypeId}",
        params: params![MEETING_TYPE_ID],
        effect: Effect::Write {
            destructive: false,
            idempotent: false,
            open_world: true,
        },
        present: Present::Plain,
    },
    ToolSpec {
        name: "search_contacts",
        title: "Search contacts",
        description: "Search the contacts by name, e-mail or phone, or by tag, with their appointments. Use it to find a contact before creating one.",
        method: Method::GET,
        path: "/crm",
        params: params![
            p("searchTerm", Ty::Text, At::Query, false, "Matches name, e-mail or phone"),
            p("tags", Ty::Texts, At::Query, false, "Only contacts with all these tags"),
            p("sortBy", Ty::OneOf(&["createdAt", "updatedAt", "firstName", "lastName", "email"]), At::Query, false, "Default createdAt"),
            p("sortOrder", Ty::OneOf(&["asc", "desc"]), At::Query, false, "Default desc"),
            p("page", Ty::Int(1, 1_000_000), At::Query, false, "1-based page; default 1"),
            p("limit", Ty::Int(1, 100), At::Query, false, "1 to 100; default 20"),
        ],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "get_contact",
        title: "Get a contact",
        description: "One contact with their appointments, named by contactId or by an attendeeId from an appointment (exactly one of the two).",
        method: Method::GET,
        path: "/crm/details",
        params: params![
            p("contactId", Ty::Uuid, At::Query, false, "The contact's id"),
            p("attendeeId", Ty::Uuid, At::Query, false, "An attendee's id from get_appointment"),
        ],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "create_contact",
        title: "Create a contact",
        description: "Create a contact owned by the user. An e-mail address or a phone number is required; an e-mail address already used in the company is refused (409).",
        method: Method::POST,
        path: "/crm",
        params: &CONTACT_FIELDS,
        effect: CREATE,
        present: Present::Plain,
    },
    ToolSpec {
        name: "update_contact",
        title: "Update a contact",
        description: "Change a contact: only the fields given change, null clears one. Tags replace the whole list.",
        method: Method::PATCH,
        path: "/crm/{id}",
        params: &UPDATE_CONTACT,
        effect: CHANGE,
        present: Present::Plain,
    },
    ToolSpec {
        name: "bulk_create_contacts",
        title: "Bulk-create contacts",
        description: "Create up to 1000 contacts in one call, each on its own: the answer says for each row whether it was created or why not.",
        method: Method::POST,
        path: "/crm/bulk",
        params: params![p("contacts", Ty::Contacts, At::Body, true, "1 to 1000 contacts; each needs an e-mail address or a phone number")],
        effect: CREATE,
        present: Present::Plain,
    },
    ToolSpec {
        name: "delete_contact",
        title: "Delete a contact",
        description: "Delete a contact for good. Their appointments stay; the attendees are no longer linked to a contact.",
        method: Method::DELETE,
        path: "/crm/{id}",
        params: params![CONTACT_ID],
        effect: CHANGE,
        present: Present::Plain,
    },
    ToolSpec {
        name: "list_calendar_connections",
        title: "List calendar connections",
        description: "The user's connected calendars (CalDAV accounts and ICS feeds): which calendars are read for busy time, which receives bookings, and whether the last sync worked. Helps explain missing availability.",
        method: Method::GET,
        path: "/v4/calendar-connections/connections",
        params: &[],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "send_quick_email",
        title: "E-mail an attendee",
        description: "Send a one-off e-mail to an attendee (a follow-up, directions, a preparation note); replies reach the user. At most 5 per 5 minutes.",
        method: Method::POST,
        path: "/v4/attendee/quick-mail",
        params: params![
            p("attendeeId", Ty::Uuid, At::Body, true, "The attendee's id from get_appointment"),
            p("title", Ty::Text, At::Body, true, "Subject line"),
            p("content", Ty::Text, At::Body, true, "The message (plain text)"),
        ],
        effect: NOTIFY,
        present: Present::Plain,
    },
    ToolSpec {
        name: "update_meeting_transcription",
        title: "Store a transcript or summary",
        description: "Attach a meeting's transcript and/or summary (markdown) to an appointment. termin records nothing itself: the caller supplies the text. Only the fields given change; null clears one.",
        method: Method::PATCH,
        path: "/v4/appointment/{id}/transcription",
        params: params![
            APPOINTMENT_ID,
            p("transcription", Ty::NullableText, At::Body, false, "The transcript in markdown, or null to clear it"),
            p("summary", Ty::NullableText, At::Body, false, "The summary in markdown, or null to clear it"),
        ],
        effect: CHANGE,
        present: Present::Appointment,
    },
    ToolSpec {
        name: "get_meeting_type",
        title: "Get a meeting type",
        description: "One meeting type in full: duration, channel, buffers, booking questions, seats and host. Read it before an update.",
        method: Method::GET,
        path: "/v4/meeting-type/{id}",
        params: params![MEETING_TYPE_ID],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "create_meeting_type",
        title: "Create a meeting type",
        description: "Create a meeting type for the user. It is bookable on its public page at once; the slug comes from the name.",
        method: Method::POST,
        path: "/v4/meeting-type",
        params: &CREATE_MEETING_TYPE,
        effect: Effect::Write {
            destructive: false,
            idempotent: false,
            open_world: true,
        },
        present: Present::Plain,
    },
    ToolSpec {
        name: "update_meeting_type",
        title: "Update a meeting type",
        description: "Change a meeting type: only the fields given change.",
        method: Method::PATCH,
        path: "/v4/meeting-type/{id}",
        params: &UPDATE_MEETING_TYPE,
        effect: CHANGE_PUBLIC,
        present: Present::Plain,
    },
    ToolSpec {
        name: "delete_meeting_type",
        title: "Delete a meeting type",
        description: "Delete a meeting type: its booking page stops taking bookings at once. Existing appointments stay.",
        method: Method::DELETE,
        path: "/v4/meeting-type/{id}",
        params: params![MEETING_TYPE_ID],
        effect: CHANGE_PUBLIC,
        present: Present::Plain,
    },
    ToolSpec {
        name: "get_personal_page",
        title: "Get the booking page",
        description: "The user's personal booking page: colours, header image, description, profile links and meeting type order.",
        method: Method::GET,
        path: "/v4/personal-page/me",
        params: &[],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "update_personal_page",
        title: "Update the booking page",
        description: "Change the user's personal booking page: only the fields given change. Colours show only with useCustomColors.",
        method: Method::PATCH,
        path: "/v4/personal-page/me",
        params: PERSONAL_PAGE,
        effect: CHANGE_PUBLIC,
        present: Present::Plain,
    },
    ToolSpec {
        name: "list_webhooks",
        title: "List webhooks",
        description: "The company's webhook endpoints (at most 6) and the events each receives; never their secrets.",
        method: Method::GET,
        path: "/webhooks",
        params: &[],
        effect: READ,
        present: Present::Plain,
    },
    ToolSpec {
        name: "create_webhook",
        title: "Create a webhook",
        description: "Register an https endpoint on a public host to receive events (at most 6 per company). The answer carries the signing secret, this once.",
        method: Method::POST,
        path: "/webhooks",
        params: params![
            p("endpoint", Ty::Text, At::Body, true, "https URL that receives the POSTs"),
            p("eventTypes", Ty::ManyOf(EVENTS), At::Body, true, "The events to send; at least one"),
            p("description", Ty::Text, At::Body, false, "A label for your own reference"),
        ],
        effect: Effect::Write {
            destructive: false,
            idempotent: false,
            open_world: true,
        },
        present: Present::Plain,
    },
    ToolSpec {
        name: "update_webhook",
        title: "Update a webhook",
        description: "Change a webhook's endpoint, description or events; eventTypes replaces the whole list.",
        method: Method::PATCH,
        path: "/webhooks/{id}",
        params: params![
            WEBHOOK_ID,
            p("endpoint", Ty::Text, At::Body, false, "https URL that receives the POSTs"),
            p("eventTypes", Ty::ManyOf(EVENTS), At::Body, false, "The events to send; at least one"),
            p("description", Ty::Text, At::Body, false, "A label for your own reference"),
        ],
        effect: CHANGE_PUBLIC,
        present: Present::Plain,
    },
    ToolSpec {
        name: "delete_webhook",
        title: "Delete a webhook",
        description: "Delete a webhook endpoint: its pending deliveries are dropped and it receives nothing more.",
        method: Method::DELETE,
        path: "/webhooks/{id}",
        params: params![WEBHOOK_ID],
        effect: CHANGE_PUBLIC,
        present: Present::Plain,
    },
];

pub fn find(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}
