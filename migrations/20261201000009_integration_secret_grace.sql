-- Rotating the integration secret (the X-Tessera-Secret Tessera sends to a partner's
-- backend for SSO and coins) keeps the replaced one for a grace period, like the API and
-- JWT secrets (issue 15): a call the backend refuses with 401/403 is tried once more
-- with it, so SSO and coins keep working while the partner deploys the new one.
ALTER TABLE partners ADD COLUMN integration_secret_previous TEXT;
ALTER TABLE partners ADD COLUMN integration_secret_previous_until BIGINT;
