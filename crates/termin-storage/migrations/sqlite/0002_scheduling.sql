-- Scheduling: availability, meeting types, appointments with their hosts and attendees,
-- contacts, and idempotency keys for retried bookings.

CREATE TABLE availabilities (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    -- The weekly schedule and date exceptions in their API JSON shape; always read whole.
    schedule    TEXT NOT NULL,
    exceptions  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX availabilities_user ON availabilities (user_id, created_at);

CREATE TABLE meeting_types (
    id               TEXT PRIMARY KEY,
    company_id       TEXT NOT NULL REFERENCES companies (id),
    user_id          TEXT NOT NULL REFERENCES users (id),
    slug             TEXT NOT NULL,
    enabled          BIGINT NOT NULL,
    availability_id  TEXT REFERENCES availabilities (id),
    -- meetingInfo, meetingOptions, spots, interval, notice, horizon, locations, metadata as JSON:
    -- never filtered on, always read whole.
    settings         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    -- Soft delete: existing appointments keep their meeting type; booking stops.
    deleted_at       BIGINT
);
CREATE UNIQUE INDEX meeting_types_user_slug ON meeting_types (user_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE appointments (
    id                TEXT PRIMARY KEY,
    company_id        TEXT NOT NULL REFERENCES companies (id),
    meeting_type_id   TEXT NOT NULL REFERENCES meeting_types (id),
    start_at          BIGINT NOT NULL,
    end_at            BIGINT NOT NULL,
    meeting_name      TEXT NOT NULL,
    channel           TEXT NOT NULL,
    location          TEXT,
    notes             TEXT,
    spots             BIGINT NOT NULL,
    taken_spots       BIGINT NOT NULL,
    cancelled_at      BIGINT,
    cancel_reason     TEXT,
    cancel_source     TEXT,
    cancelled_by      TEXT,
    rescheduled_at    BIGINT,
    reschedule_count  BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    -- A group meeting never holds more attendees than it has seats.
    CHECK (taken_spots >= 0 AND taken_spots <= spots)
);
CREATE INDEX appointments_company_start ON appointments (company_id, start_at);
CREATE INDEX appointments_company_updated ON appointments (company_id, updated_at);
CREATE INDEX appointments_meeting_type_start ON appointments (meeting_type_id, start_at);

-- One row per host of an appointment; `active` is 0 once the appointment is cancelled.
CREATE TABLE appointment_hosts (
    appointment_id  TEXT NOT NULL REFERENCES appointments (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    start_at        BIGINT NOT NULL,
    end_at          BIGINT NOT NULL,
    active          BIGINT NOT NULL,
    PRIMARY KEY (appointment_id, user_id)
);
CREATE INDEX appointment_hosts_user_start ON appointment_hosts (user_id, start_at);

-- The database itself refuses to put a host into two overlapping active appointments, whatever
-- the application does (PostgreSQL uses an exclusion constraint for the same rule).
CREATE TRIGGER appointment_hosts_no_overlap_insert BEFORE INSERT ON appointment_hosts
WHEN NEW.active = 1 AND EXISTS (
    SELECT 1 FROM appointment_hosts h
    WHERE h.user_id = NEW.user_id AND h.active = 1 AND h.appointment_id <> NEW.appointment_id
      AND h.start_at < NEW.end_at AND NEW.start_at < h.end_at)
BEGIN
    SELECT RAISE(ABORT, 'appointment_hosts_no_overlap');
END;
CREATE TRIGGER appointment_hosts_no_overlap_update BEFORE UPDATE ON appointment_hosts
WHEN NEW.active = 1 AND EXISTS (
    SELECT 1 FROM appointment_hosts h
    WHERE h.user_id = NEW.user_id AND h.active = 1 AND h.appointment_id <> NEW.appointment_id
      AND h.start_at < NEW.end_at AND NEW.start_at < h.end_at)
BEGIN
    SELECT RAISE(ABORT, 'appointment_hosts_no_overlap');
END;

CREATE TABLE contacts (
    id                TEXT PRIMARY KEY,
    company_id        TEXT NOT NULL REFERENCES companies (id),
    account_owner_id  TEXT REFERENCES users (id),
    email             TEXT,
    first_name        TEXT,
    last_name         TEXT,
    phone_number      TEXT,
    language          TEXT,
    tags              TEXT NOT NULL,
    notes             TEXT,
    additional_data   TEXT NOT NULL,
    no_show_count     BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_company_email ON contacts (company_id, email) WHERE email IS NOT NULL;

CREATE TABLE attendees (
    id                 TEXT PRIMARY KEY,
    appointment_id     TEXT NOT NULL REFERENCES appointments (id),
    contact_id         TEXT REFERENCES contacts (id),
    email              TEXT NOT NULL,
    firstname          TEXT,
    lastname           TEXT,
    fullname           TEXT,
    phone              TEXT,
    timezone           TEXT,
    language           TEXT,
    receive_reminders  BIGINT NOT NULL,
    notes              TEXT NOT NULL,
    bringalong_emails  TEXT NOT NULL,
    -- SHA-256 of the attendee's own secret (view, cancel, reschedule without an account).
    secret_hash        TEXT NOT NULL,
    cancelled_at       BIGINT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX attendees_appointment ON attendees (appointment_id);
CREATE INDEX attendees_contact ON attendees (contact_id);

-- A retried POST with the same Idempotency-Key returns the first answer.
CREATE TABLE idempotency_keys (
    scope         TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        BIGINT NOT NULL,
    body          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
