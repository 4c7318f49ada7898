-- The first slice of the catalog: merchants and their vouchers.
-- Portable across SQLite and PostgreSQL: TEXT ids (UUIDs), BIGINT times in UTC
-- milliseconds since the Unix epoch.

CREATE TABLE merchants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE vouchers (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    value_type   TEXT CHECK (value_type IN ('FREE_ITEM', 'PERCENT', 'FIXED', 'BOGO')),
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    created_at   BIGINT NOT NULL,
    published_at BIGINT
);

CREATE INDEX vouchers_by_status ON vouchers (status, published_at);
CREATE INDEX vouchers_by_merchant ON vouchers (merchant_id);
