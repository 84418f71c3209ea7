-- Each user's outgoing calendar feed: a secret URL of their appointments. The token is looked
-- up by its hash; the sealed copy (under the server's secrets key) lets the API show the URL
-- again. Revoking deletes the row.
CREATE TABLE calendar_feeds (
    user_id       TEXT PRIMARY KEY REFERENCES users (id),
    token_hash    TEXT NOT NULL UNIQUE,
    token_sealed  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
