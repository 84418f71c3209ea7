-- OAuth 2.1, with termin as its own authorization server (for AI assistants that connect to
-- /mcp by URL). A client registers itself (RFC 7591); a user's consent makes a grant; the grant
-- hands out access tokens, which are personal access tokens of the user limited to the granted
-- scope groups (so every rule of a PAT holds for them by construction), and refresh tokens that
-- rotate. Revoking the grant revokes all of them.
CREATE TABLE oauth_clients (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    -- The exact redirect URIs, one per line.
    redirect_uris  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE oauth_grants (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL REFERENCES oauth_clients (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    scopes        TEXT NOT NULL,
    resource      TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id, created_at);

-- Authorization codes: single use, short-lived; a code used twice revokes what it gave.
CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    resource        TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    grant_id        TEXT
);

-- Refresh tokens: each is used once and replaced; a used one presented again revokes the grant.
CREATE TABLE oauth_refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES oauth_grants (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

ALTER TABLE personal_access_tokens ADD COLUMN oauth_grant_id TEXT;
CREATE INDEX personal_access_tokens_grant ON personal_access_tokens (oauth_grant_id);
