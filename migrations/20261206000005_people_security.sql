-- Accounts' second factor and invitations (SPEC §12).
-- A TOTP secret (base32, RFC 6238, SHA-1, 6 digits, 30 s) once its owner confirmed a code;
-- the one being set up until then; the last time step accepted, so a code is taken once.
ALTER TABLE people ADD COLUMN totp_secret TEXT;
ALTER TABLE people ADD COLUMN totp_pending TEXT;
ALTER TABLE people ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
-- 1 while a session waits for its second factor: it opens nothing until then.
ALTER TABLE people_sessions ADD COLUMN second_factor_due BIGINT NOT NULL DEFAULT 0;

-- A one-time link to make an account: the hash of its token, who it is for and with what
-- role, who sent it, until when it works (24 h), and when it was used.
CREATE TABLE people_invitations (
    token_hash   TEXT PRIMARY KEY,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('operator', 'partner_admin', 'partner_developer', 'designer')),
    partner_id   TEXT REFERENCES partners (id),
    invited_by   TEXT REFERENCES people (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    accepted_at  BIGINT,
    CHECK ((role = 'operator' AND partner_id IS NULL) OR (role <> 'operator' AND partner_id IS NOT NULL))
);
CREATE INDEX people_invitations_by_email ON people_invitations (email);
