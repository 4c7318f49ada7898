-- The core platform (SPEC §1–§4): partners, users, outlets, the full voucher,
-- code pools, favorites, claims, redemptions, sessions, idempotency, replay
-- protection and the event outbox.
--
-- Portable across SQLite and PostgreSQL: TEXT ids, BIGINT UTC milliseconds,
-- BIGINT 0/1 for flags, DOUBLE PRECISION for coordinates, JSON kept as TEXT.
-- The guarantees the product lives by are constraints here, not checks in code:
-- see the UNIQUE and CHECK clauses marked "guarantee".

CREATE TABLE partners (
    id                          TEXT PRIMARY KEY,
    name                        TEXT NOT NULL,
    api_secret                  TEXT NOT NULL,
    api_secret_previous         TEXT,
    api_secret_previous_until   BIGINT,
    jwt_secret                  TEXT NOT NULL,
    jwt_secret_previous         TEXT,
    jwt_secret_previous_until   BIGINT,
    allowed_origins             TEXT NOT NULL DEFAULT '[]',
    sandbox                     BIGINT NOT NULL DEFAULT 0,
    created_at                  BIGINT NOT NULL,
    updated_at                  BIGINT NOT NULL
);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    partner_id        TEXT NOT NULL REFERENCES partners (id),
    -- NULL once the user is erased: the partner may later create a new user with
    -- the same id, while the old claims stay, anonymised.
    external_user_id  TEXT,
    email             TEXT,
    first_name        TEXT,
    last_name         TEXT,
    phone_number      TEXT,
    locale            TEXT,
    marketing_opt_in  BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    erased_at         BIGINT
);
-- guarantee: one user per (partner, externalUserId)
CREATE UNIQUE INDEX users_external_id ON users (partner_id, external_user_id);

CREATE TABLE user_cohorts (
    user_id  TEXT NOT NULL REFERENCES users (id),
    cohort   TEXT NOT NULL,
    PRIMARY KEY (user_id, cohort)
);

ALTER TABLE merchants ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled'));
ALTER TABLE merchants ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE merchants ADD COLUMN logo_url TEXT;
ALTER TABLE merchants ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE outlets (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    name         TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    lat          DOUBLE PRECISION,
    lng          DOUBLE PRECISION,
    radius_m     BIGINT NOT NULL DEFAULT 150 CHECK (radius_m > 0),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CHECK ((lat IS NULL AND lng IS NULL) OR (lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180))
);
CREATE INDEX outlets_by_merchant ON outlets (merchant_id);

ALTER TABLE vouchers ADD COLUMN value_amount BIGINT;
ALTER TABLE vouchers ADD COLUMN currency TEXT;
ALTER TABLE vouchers ADD COLUMN valid_from BIGINT;
ALTER TABLE vouchers ADD COLUMN valid_until BIGINT;
ALTER TABLE vouchers ADD COLUMN total_stock BIGINT CHECK (total_stock IS NULL OR total_stock >= 0);
-- guarantee: never more claims than stock (bumped by a conditional UPDATE)
ALTER TABLE vouchers ADD COLUMN claimed_count BIGINT NOT NULL DEFAULT 0
    CHECK (claimed_count >= 0 AND (total_stock IS NULL OR claimed_count <= total_stock));
ALTER TABLE vouchers ADD COLUMN per_user_limit BIGINT NOT NULL DEFAULT 1 CHECK (per_user_limit >= 1);
ALTER TABLE vouchers ADD COLUMN coin_cost BIGINT CHECK (coin_cost IS NULL OR coin_cost > 0);
ALTER TABLE vouchers ADD COLUMN unlock_code TEXT;
ALTER TABLE vouchers ADD COLUMN code_source TEXT NOT NULL DEFAULT 'generated'
    CHECK (code_source IN ('pool', 'generated', 'static'));
ALTER TABLE vouchers ADD COLUMN static_code TEXT;
ALTER TABLE vouchers ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE vouchers ADD COLUMN archived_at BIGINT;

-- A voucher with cohorts is visible only to users in one of them; none: everyone.
CREATE TABLE voucher_cohorts (
    voucher_id  TEXT NOT NULL REFERENCES vouchers (id),
    cohort      TEXT NOT NULL,
    PRIMARY KEY (voucher_id, cohort)
);

CREATE TABLE claims (
    id           TEXT PRIMARY KEY,
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    voucher_id   TEXT NOT NULL REFERENCES vouchers (id),
    -- the user's nth claim of this voucher; never above the voucher's per-user limit
    seq          BIGINT NOT NULL DEFAULT 1 CHECK (seq >= 1),
    source       TEXT NOT NULL DEFAULT 'claim' CHECK (source IN ('claim', 'issue')),
    voucher_title TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    redeemed_at  BIGINT,
    -- guarantee: the per-user limit; a user's nth claim exists at most once
    UNIQUE (user_id, voucher_id, seq)
);
-- guarantee: one open claim per (user, voucher) at a time
CREATE UNIQUE INDEX claims_one_open ON claims (user_id, voucher_id) WHERE redeemed_at IS NULL;
CREATE INDEX claims_by_user ON claims (user_id, created_at);
CREATE INDEX claims_by_partner ON claims (partner_id, created_at);

CREATE TABLE voucher_codes (
    id          TEXT PRIMARY KEY,
    voucher_id  TEXT NOT NULL REFERENCES vouchers (id),
    code        TEXT NOT NULL,
    -- guarantee: a pool code is dispensed to one claim, once
    claim_id    TEXT UNIQUE REFERENCES claims (id),
    created_at  BIGINT NOT NULL,
    UNIQUE (voucher_id, code)
);
CREATE INDEX voucher_codes_free ON voucher_codes (voucher_id, id) WHERE claim_id IS NULL;

CREATE TABLE redemptions (
    id             TEXT PRIMARY KEY,
    -- guarantee: one redemption per claim, ever
    claim_id       TEXT NOT NULL UNIQUE REFERENCES claims (id),
    partner_id     TEXT NOT NULL REFERENCES partners (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    voucher_id     TEXT NOT NULL REFERENCES vouchers (id),
    outlet_id      TEXT NOT NULL REFERENCES outlets (id),
    status         TEXT NOT NULL CHECK (status IN ('SUCCESS', 'FLAGGED')),
    flag_reason    TEXT,
    code           TEXT NOT NULL,
    lat            DOUBLE PRECISION,
    lng            DOUBLE PRECISION,
    accuracy_m     DOUBLE PRECISION,
    distance_m     DOUBLE PRECISION,
    voucher_title  TEXT NOT NULL,
    outlet_name    TEXT NOT NULL,
    redeemed_at    BIGINT NOT NULL
);
CREATE INDEX redemptions_by_user ON redemptions (user_id, redeemed_at);
CREATE INDEX redemptions_by_partner ON redemptions (partner_id, redeemed_at);

CREATE TABLE favorites (
    user_id      TEXT NOT NULL REFERENCES users (id),
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, merchant_id)
);
CREATE INDEX favorites_by_merchant ON favorites (merchant_id);

CREATE TABLE sessions (
    -- SHA-256 of the session token, hex; the token itself is never stored
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    ended_at    BIGINT
);
-- guarantee: one active session per user
CREATE UNIQUE INDEX sessions_one_active ON sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE idempotency_keys (
    partner_id     TEXT NOT NULL REFERENCES partners (id),
    key            TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    -- NULL while the first request is still being handled
    status         BIGINT,
    response_body  TEXT,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (partner_id, key)
);

CREATE TABLE seen_signatures (
    partner_id  TEXT NOT NULL,
    signature   TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (partner_id, signature)
);
CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);

-- The webhook outbox: written in the same transaction as the change it reports.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    partner_id  TEXT NOT NULL REFERENCES partners (id),
    type        TEXT NOT NULL,
    user_id     TEXT,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX events_by_partner ON events (partner_id, id);
