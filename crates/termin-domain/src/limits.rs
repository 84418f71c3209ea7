//! Limits and defaults of the product, each defined once. Validation, the slot engine's bounds,
//! storage's index ranges and the documentation all read them from here.

/// Shortest and longest meeting, in minutes (meeting type durations and allowed durations).
pub const MIN_DURATION_MINUTES: i64 = 5;
pub const MAX_DURATION_MINUTES: i64 = 480;
/// The longest an appointment lasts, in milliseconds: bounds the overlap checks' index scans.
pub const MAX_APPOINTMENT_MS: i64 = MAX_DURATION_MINUTES * 60 * 1000;
/// Buffers kept free before and after an appointment, in minutes.
pub const MAX_BUFFER_MINUTES: i64 = 120;
/// Seats of a group meeting type.
pub const MAX_SPOTS: i64 = 100;
/// Other durations a meeting type may offer.
pub const MAX_ALLOWED_DURATIONS: usize = 10;
/// The duration new meeting types get when none is given, in minutes.
pub const DEFAULT_DURATION_MINUTES: i64 = 30;
/// Guests one attendee may bring along (`bringalongEmails`).
pub const MAX_GUESTS: usize = 5;
/// Webhooks one company may have.
pub const MAX_WEBHOOKS: usize = 6;
/// The longest window one bookable-times request computes, in days.
pub const MAX_WINDOW_DAYS: i64 = 62;
/// The largest page a listing returns.
pub const MAX_PAGE_SIZE: i64 = 100;
/// The longest URL termin stores (webhook endpoints), in characters.
pub const MAX_URL_CHARS: usize = 2048;
/// The most an attendee's `notes` (answers to booking questions) may hold, as JSON bytes.
pub const MAX_ATTENDEE_NOTES_BYTES: usize = 16 * 1024;
/// The most one meeting-type location may hold, as JSON bytes.
pub const MAX_LOCATION_BYTES: usize = 2048;

/// How long before a meeting its reminder goes out, unless the meeting type says otherwise.
pub const DEFAULT_REMINDER_MINUTES: i64 = 24 * 60;

/// The most meeting types one user may have (lists of them are never paged).
pub const MAX_MEETING_TYPES_PER_USER: i64 = 100;

/// The most availability schedules one user may have.
pub const MAX_AVAILABILITIES_PER_USER: i64 = 100;
