-- The built-in fake partner backend of sandbox partners (SPEC §7): coin
-- balances and debits, so SSO and coins run locally with no partner code.
-- `user_id` is the partner's id for the user (externalUserId).
CREATE TABLE sandbox_balances (
    partner_id TEXT NOT NULL REFERENCES partners(id),
    user_id    TEXT NOT NULL,
    balance    BIGINT NOT NULL,
    PRIMARY KEY (partner_id, user_id)
);

CREATE TABLE sandbox_debits (
    reference_id TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners(id),
    user_id      TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    reversed     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);
