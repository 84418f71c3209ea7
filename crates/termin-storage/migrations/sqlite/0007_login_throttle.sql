-- Failed dashboard logins, per account ('account:<email>') and per client address
-- ('address:<ip>'). Kept in the database so that the throttle holds across nodes: an attacker
-- who spreads guesses over nodes meets the same count everywhere.
CREATE TABLE login_throttle (
    key              TEXT PRIMARY KEY,
    -- Failures since the count last started (a quiet hour starts it again).
    failures         BIGINT NOT NULL,
    last_failure_at  BIGINT NOT NULL,
    -- No login for this key is checked before this instant.
    blocked_until    BIGINT NOT NULL
);
-- Rows whose failures are forgotten are pruned as new failures come in.
CREATE INDEX login_throttle_age ON login_throttle (last_failure_at);
