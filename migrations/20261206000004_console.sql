-- The console and portal (SPEC §12). An operator's review of a FLAGGED redemption: approved or
-- rejected once, by whom (a person's id), when (UTC ms) and why. The queue is the FLAGGED redemptions not yet reviewed,
-- oldest first, read through its own small index.
ALTER TABLE redemptions ADD COLUMN review_verdict TEXT CHECK (review_verdict IN ('approved', 'rejected'));
ALTER TABLE redemptions ADD COLUMN reviewed_at BIGINT;
ALTER TABLE redemptions ADD COLUMN reviewed_by TEXT REFERENCES people (id);
ALTER TABLE redemptions ADD COLUMN review_note TEXT;
CREATE INDEX redemptions_to_review ON redemptions (redeemed_at, id) WHERE status = 'FLAGGED' AND reviewed_at IS NULL;
-- The portal lists a partner's events newest first, and an endpoint's deliveries likewise.
CREATE INDEX events_by_partner_time ON events (partner_id, created_at, id);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at, id);
