-- Webhooks and their durable outbox. An event row and its deliveries are written in the same
-- transaction as the change that caused them, so a crash or restart loses none.

CREATE TABLE webhooks (
    id                    TEXT PRIMARY KEY,
    company_id            TEXT NOT NULL REFERENCES companies (id),
    endpoint              TEXT NOT NULL,
    -- JSON array of event type names.
    event_types           TEXT NOT NULL,
    description           TEXT,
    -- The signing secret itself: the server signs every delivery with it, so it cannot be
    -- stored as a one-way hash.
    secret                TEXT NOT NULL,
    consecutive_failures  BIGINT NOT NULL,
    disabled_at           BIGINT,
    disabled_reason       TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    -- Soft delete keeps the delivery history readable.
    deleted_at            BIGINT
);
CREATE INDEX webhooks_company ON webhooks (company_id);

CREATE TABLE webhook_events (
    id          TEXT PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies (id),
    event_type  TEXT NOT NULL,
    -- The body every subscribed webhook receives, fixed when the event happened.
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY,
    webhook_id        TEXT NOT NULL REFERENCES webhooks (id),
    event_id          TEXT NOT NULL REFERENCES webhook_events (id),
    -- pending, succeeded or failed
    status            TEXT NOT NULL,
    attempts          BIGINT NOT NULL,
    next_attempt_at   BIGINT NOT NULL,
    -- A worker's claim: until then no other worker takes this delivery. A crashed worker's
    -- claim simply runs out, so delivery is at least once.
    locked_until      BIGINT,
    last_status_code  BIGINT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    delivered_at      BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);

CREATE TABLE webhook_attempts (
    id            TEXT PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at  BIGINT NOT NULL,
    status_code   BIGINT,
    error         TEXT,
    duration_ms   BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
