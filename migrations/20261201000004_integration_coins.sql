-- Whether the partner's backend keeps a coins ledger (SPEC §7). A partner whose
-- backend answers SSO only sets it off, and the wallet then asks no balance.
ALTER TABLE partners ADD COLUMN integration_coins BIGINT NOT NULL DEFAULT 1;
