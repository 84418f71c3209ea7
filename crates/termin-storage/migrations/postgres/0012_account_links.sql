-- One-time links that let a person into an account without a password: the first-run setup
-- link (no user yet), a new member's invitation and a password reset. Only the token's hash is
-- kept; using a link marks it in the same transaction as what it does.
CREATE TABLE account_links (
    id           TEXT PRIMARY KEY,
    purpose      TEXT NOT NULL,
    user_id      TEXT REFERENCES users (id),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX account_links_user ON account_links (user_id);
