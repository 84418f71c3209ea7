-- One-time booking links: a meeting type's booking page that takes one booking. Only the
-- token's hash is kept; the booking that uses a link marks it in its own transaction.
CREATE TABLE one_time_links (
    id               TEXT PRIMARY KEY,
    company_id       TEXT NOT NULL REFERENCES companies (id),
    meeting_type_id  TEXT NOT NULL REFERENCES meeting_types (id),
    created_by       TEXT NOT NULL REFERENCES users (id),
    token_hash       TEXT NOT NULL UNIQUE,
    created_at       BIGINT NOT NULL,
    used_at          BIGINT,
    appointment_id   TEXT
);
