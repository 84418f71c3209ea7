-- Users' connections to their own calendars (CalDAV accounts and ICS feeds), the calendars of
-- each, the busy time read from them, and the outbox of bookings written into them.
--
-- Secrets are sealed under the server's key: a CalDAV password, and an ICS feed's whole URL
-- (its address is the secret). Booleans are 0 or 1.
CREATE TABLE calendar_connections (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT NOT NULL REFERENCES users (id),
    company_id          TEXT NOT NULL,
    provider            TEXT NOT NULL,
    account             TEXT NOT NULL,
    server_url          TEXT,
    home_url            TEXT,
    username            TEXT,
    secret_sealed       TEXT NOT NULL,
    feed_etag           TEXT,
    feed_last_modified  TEXT,
    created_at          BIGINT NOT NULL,
    last_attempt_at     BIGINT,
    last_success_at     BIGINT,
    last_error          TEXT,
    failures            BIGINT NOT NULL DEFAULT 0,
    next_sync_at        BIGINT NOT NULL,
    locked_until        BIGINT
);
CREATE INDEX calendar_connections_user ON calendar_connections (user_id);
CREATE INDEX calendar_connections_due ON calendar_connections (next_sync_at);

CREATE TABLE connection_calendars (
    connection_id       TEXT NOT NULL REFERENCES calendar_connections (id) ON DELETE CASCADE,
    id                  TEXT NOT NULL,
    url                 TEXT NOT NULL,
    name                TEXT NOT NULL,
    color               TEXT,
    read_for_conflicts  BIGINT NOT NULL,
    write_bookings      BIGINT NOT NULL,
    tag                 TEXT,
    read_at             BIGINT,
    PRIMARY KEY (connection_id, id)
);

-- Busy time, cut into pieces of at most a day so that a window's rows are found by start alone.
CREATE TABLE calendar_busy (
    user_id        TEXT NOT NULL,
    connection_id  TEXT NOT NULL,
    calendar_id    TEXT NOT NULL,
    start_at       BIGINT NOT NULL,
    end_at         BIGINT NOT NULL
);
CREATE INDEX calendar_busy_user ON calendar_busy (user_id, start_at);
CREATE INDEX calendar_busy_calendar ON calendar_busy (connection_id, calendar_id);

-- One row per appointment and host: the event to bring into the host's calendar. `version`
-- counts up with every change of the appointment; a write is done only if no change came in
-- while it ran.
CREATE TABLE calendar_writes (
    id               TEXT PRIMARY KEY,
    appointment_id   TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    status           TEXT NOT NULL,
    version          BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    written_url      TEXT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (appointment_id, user_id)
);
CREATE INDEX calendar_writes_due ON calendar_writes (status, next_attempt_at);

CREATE TABLE calendar_write_attempts (
    write_id     TEXT NOT NULL,
    at           BIGINT NOT NULL,
    action       TEXT NOT NULL,
    target       TEXT,
    status_code  BIGINT,
    error        TEXT,
    duration_ms  BIGINT NOT NULL
);
CREATE INDEX calendar_write_attempts_write ON calendar_write_attempts (write_id, at);
