-- A meeting's transcript and summary (markdown), apart from the appointment's row: they can be
-- long, and listings of appointments never read them.
CREATE TABLE appointment_transcripts (
    appointment_id  TEXT PRIMARY KEY REFERENCES appointments (id),
    transcription   TEXT,
    summary         TEXT,
    updated_at      BIGINT NOT NULL
);
