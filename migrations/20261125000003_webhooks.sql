-- Webhook delivery (SPEC §5): endpoints per partner, one delivery per (event,
-- endpoint), every attempt recorded.
--
-- Events are written by the business transactions (claims, redemptions,
-- publish fan-out) and only marked undispatched there; the delivery worker
-- turns them into deliveries in batches, off the request path.

ALTER TABLE events ADD COLUMN dispatched_at BIGINT;
-- Events from before webhooks existed had no endpoint to go to.
UPDATE events SET dispatched_at = created_at;
CREATE INDEX events_undispatched ON events (id) WHERE dispatched_at IS NULL;

CREATE TABLE webhook_endpoints (
    id                     TEXT PRIMARY KEY,
    partner_id             TEXT NOT NULL REFERENCES partners (id),
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL DEFAULT '',
    scheme                 TEXT NOT NULL CHECK (scheme IN ('tessera', 'standard-webhooks', 'hubble', 'spaaza')),
    -- ',TYPE,TYPE,' or '' for every type
    event_types            TEXT NOT NULL DEFAULT '',
    secret                 TEXT NOT NULL,
    secret_previous        TEXT,
    secret_previous_until  BIGINT,
    max_in_flight          BIGINT NOT NULL CHECK (max_in_flight BETWEEN 1 AND 256),
    status                 TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason        TEXT,
    disabled_at            BIGINT,
    -- the first failure since the last success; 5 days of it disables the endpoint
    failing_since          BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_partner ON webhook_endpoints (partner_id, created_at);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES events (id),
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id),
    partner_id       TEXT NOT NULL REFERENCES partners (id),
    -- pending: waiting or in flight; delivered; failed: gave up (or the
    -- endpoint was disabled) — recover or resend puts it back to pending
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    -- failures since the last (re)start of the retry schedule
    retry_step       BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    -- in flight until then, by instance `leased_by`; 0 when not leased
    lease_until      BIGINT NOT NULL DEFAULT 0,
    leased_by        TEXT,
    last_status      BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
-- guarantee: one delivery per event and endpoint (dispatch may run twice)
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (event_id, endpoint_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, status, updated_at);

CREATE TABLE webhook_attempts (
    id             TEXT PRIMARY KEY,
    delivery_id    TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at   BIGINT NOT NULL,
    -- NULL when no HTTP response came (timeout, refused connection, blocked address)
    status_code    BIGINT,
    latency_ms     BIGINT NOT NULL,
    -- the first 4 KiB of the response body
    response_body  TEXT NOT NULL DEFAULT '',
    error          TEXT,
    instance       TEXT NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, attempted_at);
