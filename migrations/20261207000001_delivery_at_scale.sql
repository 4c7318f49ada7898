-- Webhook delivery at scale (docs: README "Benchmarks").
--
-- One index answers every question the worker asks of the queue, whatever the
-- table's statistics say (they swing from 0 to 10^6 pending rows between
-- ANALYZEs): for an endpoint, the pending deliveries not leased
-- (`lease_until = 0`) in the order they are due; its live leases
-- (`lease_until > now`, the in-flight count); its lapsed ones. The three
-- indexes it replaces each answered part of that and led the planner to scan
-- and sort every pending delivery of the endpoint, or, with statistics taken
-- while the queue was empty, to read the record's UPDATE through the wrong one.
DROP INDEX webhook_deliveries_due;
DROP INDEX webhook_deliveries_leased;
DROP INDEX webhook_deliveries_by_endpoint;
-- Nothing is leased while the server is not running; a lease is 0 once it lapsed
-- (the worker gives lapsed leases back before it leases).
UPDATE webhook_deliveries SET lease_until = 0, leased_by = NULL WHERE status <> 'pending' AND (lease_until <> 0 OR leased_by IS NOT NULL);
CREATE INDEX webhook_deliveries_ready ON webhook_deliveries (endpoint_id, lease_until, next_attempt_at, id) WHERE status = 'pending';

-- A merchant's fans in user order: a publish to a million fans is expanded
-- into events a batch at a time, from where the last batch stopped.
DROP INDEX favorites_by_merchant;
CREATE INDEX favorites_fans ON favorites (merchant_id, user_id);

-- A VOUCHER_PUBLISHED fan-out waiting to be (or being) written as events, a
-- batch of fans per transaction (core::fanout). Written by the publish's own
-- transaction, so a publish and all its events are one decision; deleted once
-- the last batch is written.
CREATE TABLE fanout_jobs (
    id             TEXT PRIMARY KEY,
    voucher_id     TEXT NOT NULL REFERENCES vouchers (id),
    -- The events' ids: this prefix and the fan's position (1-based, in user order).
    id_prefix      TEXT NOT NULL,
    -- The envelope's fields as they were at publishing.
    voucher_title  TEXT NOT NULL,
    merchant_id    TEXT NOT NULL,
    merchant_name  TEXT NOT NULL,
    value_type     TEXT,
    published_at   BIGINT NOT NULL,
    -- Fans after this user id are still to be written; `written` so far.
    after_user_id  TEXT NOT NULL DEFAULT '',
    written        BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

-- An event's deliveries are now made in the transaction that gives it its feed
-- position (events::sequence), so no event row is written a second time to mark
-- it dispatched. Events sequenced but not yet dispatched get theirs here;
-- `dispatched_at` is no longer written.
INSERT INTO webhook_deliveries (id, event_id, endpoint_id, partner_id, status, next_attempt_at, last_error, created_at, updated_at)
SELECT e.id || '.' || w.id, e.id, w.id, e.partner_id,
  CASE WHEN w.status = 'enabled' THEN 'pending' ELSE 'failed' END, e.created_at,
  CASE WHEN w.status = 'enabled' THEN NULL ELSE 'the endpoint was disabled' END, e.created_at, e.created_at
FROM events e JOIN webhook_endpoints w ON w.partner_id = e.partner_id AND w.created_at <= e.created_at
  AND (w.event_types = '' OR w.event_types LIKE '%,' || e.type || ',%')
WHERE e.dispatched_at IS NULL AND e.seq IS NOT NULL
ON CONFLICT (event_id, endpoint_id) DO NOTHING;
DROP INDEX events_undispatched;
