-- Settings of the server itself, kept with its data. `secrets_check` is a value sealed under the
-- secrets key at the first start: a later start with another key is refused before it can seal
-- anything under the wrong key (see docs/calendar.md).
CREATE TABLE server_settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
