-- The mail outbox: each message is written in the transaction of the change it tells about,
-- as structured data (rendered when sent, so `termin mail show` shows exactly what is sent),
-- and a worker on any node sends it. A claim (locked_until) keeps two nodes from sending the
-- same message; a crashed worker's claim runs out and the message is sent again with the same
-- Message-ID.
CREATE TABLE mail_outbox (
    id               TEXT PRIMARY KEY,
    company_id       TEXT NOT NULL REFERENCES companies (id),
    -- The appointment it is about, if any (reminders are found and replaced through it).
    appointment_id   TEXT,
    -- confirmation, invitation, host_booked, updated, cancelled, host_cancelled, reminder, quick_mail
    kind             TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    language         TEXT NOT NULL,
    -- What the message says, as JSON; rendered by the sender.
    payload          TEXT NOT NULL,
    -- A user who sent it (quick mail), for the per-sender bound.
    sender_id        TEXT,
    -- pending, sent, failed, cancelled (a reminder no longer due), unsent (no SMTP configured)
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    -- Not before this (a reminder's time); retries move it on.
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_appointment ON mail_outbox (appointment_id);
CREATE INDEX mail_outbox_company ON mail_outbox (company_id, created_at);
CREATE INDEX mail_outbox_sender ON mail_outbox (sender_id, created_at);
-- The public pages' bound on bookings per e-mail address and hour.
CREATE INDEX attendees_email ON attendees (email, created_at);
