-- Payload profiles (SPEC §10): the body an endpoint receives — Tessera's envelope, seed 001's
-- transaction and brand bodies (hubble) or seed 002's voucher-issued (spaaza) — and whether a
-- hubble body carries the gift card's code and PIN (an explicit opt-in, https endpoints only).
ALTER TABLE webhook_endpoints ADD COLUMN payload_profile TEXT NOT NULL DEFAULT 'tessera'
    CHECK (payload_profile IN ('tessera', 'hubble', 'spaaza'));
ALTER TABLE webhook_endpoints ADD COLUMN include_codes BIGINT NOT NULL DEFAULT 0 CHECK (include_codes IN (0, 1));
