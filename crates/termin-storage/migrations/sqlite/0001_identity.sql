-- Identity and credentials. Times are milliseconds since the Unix epoch (BIGINT) and ids are
-- UUID strings (TEXT) in both dialects, so every query is written once for SQLite and PostgreSQL.

CREATE TABLE companies (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL REFERENCES companies (id),
    email           TEXT NOT NULL,
    given_name      TEXT NOT NULL,
    family_name     TEXT NOT NULL,
    slug            TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    language        TEXT NOT NULL,
    role            TEXT NOT NULL,
    user_type       TEXT NOT NULL,
    -- argon2id PHC string; NULL for users who never log in (resources, API-created users).
    password_hash   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    -- A deactivated user keeps their data and can be reactivated; their credentials do not work.
    deactivated_at  BIGINT,
    -- A removed user is gone from the workspace for good; rows stay so nothing they hosted is lost.
    removed_at      BIGINT
);
-- Login is by email, so an email identifies one present user across the whole installation.
CREATE UNIQUE INDEX users_email_present ON users (email) WHERE removed_at IS NULL;
-- Booking pages live at /{userSlug}/..., so slugs are unique across the installation.
CREATE UNIQUE INDEX users_slug_present ON users (slug) WHERE removed_at IS NULL;
-- Exactly one owner per company is enforced by the database, not only by the service.
CREATE UNIQUE INDEX users_one_owner ON users (company_id) WHERE role = 'owner' AND removed_at IS NULL;
CREATE INDEX users_company ON users (company_id, created_at);

CREATE TABLE personal_access_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    -- SHA-256 of the whole token; the token itself is never stored.
    token_hash    TEXT NOT NULL UNIQUE,
    hint          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id, created_at);

CREATE TABLE api_keys (
    -- The id is also the <uuid> part of the key, so a key is found by id and its hash compared.
    id              TEXT PRIMARY KEY,
    company_id      TEXT NOT NULL REFERENCES companies (id),
    created_by      TEXT NOT NULL REFERENCES users (id),
    name            TEXT NOT NULL,
    key_hash        TEXT NOT NULL,
    hint            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    last_used_at    BIGINT,
    deactivated_at  BIGINT,
    revoked_at      BIGINT
);
CREATE INDEX api_keys_company ON api_keys (company_id, created_at);

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    secret_hash   TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    -- Absolute timeout; the idle timeout is checked against last_seen_at.
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
