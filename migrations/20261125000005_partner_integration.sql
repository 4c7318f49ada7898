-- A partner's own backend (SPEC §3 SSO, §7 coins): Tessera calls
-- {integration_base_url}/sso, /balance, /debit and /reverse with the
-- integration secret in the X-Tessera-Secret header. Both optional.
ALTER TABLE partners ADD COLUMN integration_base_url TEXT;
ALTER TABLE partners ADD COLUMN integration_secret TEXT;

-- Every coin debit Tessera asks a partner's ledger for, written before the
-- call, so no outcome is lost to a crash: `debiting` (asked, no answer yet),
-- `debited` (the ledger said SUCCESS), `claimed` (the claim committed with it),
-- `refused` (the ledger said no: nothing was taken), `reversing` (the claim
-- failed or the outcome is unknown: reversal due at next_attempt_at),
-- `reversed` (the ledger confirmed, or had no such debit).
CREATE TABLE coin_debits (
    id                TEXT PRIMARY KEY,          -- the referenceId sent to the ledger
    partner_id        TEXT NOT NULL REFERENCES partners(id),
    user_id           TEXT NOT NULL REFERENCES users(id),
    external_user_id  TEXT NOT NULL,
    voucher_id        TEXT NOT NULL REFERENCES vouchers(id),
    amount            BIGINT NOT NULL CHECK (amount > 0),
    state             TEXT NOT NULL,
    transaction_id    TEXT,
    claim_id          TEXT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    next_attempt_at   BIGINT NOT NULL,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
-- At most one debit in flight per user and voucher: a double tap cannot take coins twice.
CREATE UNIQUE INDEX coin_debits_one_in_flight ON coin_debits (user_id, voucher_id) WHERE state IN ('debiting', 'debited');
CREATE INDEX coin_debits_due ON coin_debits (state, next_attempt_at);
