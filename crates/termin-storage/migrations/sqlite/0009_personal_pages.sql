-- A user's personal page settings (meetergo's /v4/personal-page/me), as one JSON document. No
-- row: the defaults.
CREATE TABLE personal_pages (
    user_id     TEXT PRIMARY KEY REFERENCES users (id),
    settings    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
