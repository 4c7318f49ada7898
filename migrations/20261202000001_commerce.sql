-- Selling gift cards (issue 16, SPEC §10). Amounts are integers in the minor units of
-- the row's currency (paise for INR); never a float.

-- A voucher with a price is sold, not claimed. `price` is JSON, written and read only
-- through the Price type: {"currency":"INR","model":{"kind":"range","min":10000,
-- "max":1000000,"step":10000},"discountBps":250} (or "kind":"denominations" with
-- "values"); its gift cards come from the code pool or generated codes, or from a
-- supplier when `supplier` names one ('sandbox').
ALTER TABLE vouchers ADD COLUMN price TEXT;
ALTER TABLE vouchers ADD COLUMN supplier TEXT;

CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    partner_id     TEXT NOT NULL REFERENCES partners (id),
    user_id        TEXT NOT NULL REFERENCES users (id),
    voucher_id     TEXT NOT NULL REFERENCES vouchers (id),
    currency       TEXT NOT NULL,
    -- the gift card's value, and what the user pays for it (after discounts and coins)
    face_value     BIGINT NOT NULL CHECK (face_value > 0),
    to_pay         BIGINT NOT NULL CHECK (to_pay >= 0),
    state          TEXT NOT NULL CHECK (state IN ('created', 'payment_pending', 'paid', 'fulfilled',
                       'payment_failed', 'fulfilment_failed', 'refunded', 'reversed')),
    provider       TEXT NOT NULL,
    failure_reason TEXT,
    -- the checkout's own key: a double submit of one checkout is one order
    checkout_key   TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (user_id, checkout_key)
);
CREATE INDEX orders_by_user ON orders (user_id, created_at);
CREATE INDEX orders_by_partner ON orders (partner_id, id);
-- the recovery job's work: orders that are neither final nor fresh
CREATE INDEX orders_unfinished ON orders (updated_at)
    WHERE state IN ('created', 'payment_pending', 'paid', 'fulfilment_failed');

-- What the order is made of, in order: the face value, then what takes from it
-- (brand discount, coupon, coins: negative), so that they sum to what is paid.
CREATE TABLE order_lines (
    order_id   TEXT NOT NULL REFERENCES orders (id),
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('face_value', 'brand_discount', 'coupon_discount', 'coins')),
    amount     BIGINT NOT NULL,
    -- the coupon code, the coin debit's reference id
    reference  TEXT,
    PRIMARY KEY (order_id, position)
);

-- Each attempt to pay an order at its provider. Two captured payments of one order
-- (two tabs) are possible at a provider: the one that did not pay the order is refunded.
CREATE TABLE payments (
    id                  TEXT PRIMARY KEY,
    order_id            TEXT NOT NULL REFERENCES orders (id),
    provider            TEXT NOT NULL,
    -- the provider's ids: its order (Razorpay order_…) and its payment (pay_…)
    provider_order_id   TEXT,
    provider_payment_id TEXT,
    amount              BIGINT NOT NULL CHECK (amount >= 0),
    currency            TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('pending', 'captured', 'failed', 'refund_pending', 'refunded')),
    method              TEXT,
    failure_reason      TEXT,
    provider_refund_id  TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (provider, provider_order_id)
);
CREATE INDEX payments_by_order ON payments (order_id);
CREATE INDEX payments_refunds_due ON payments (updated_at) WHERE state = 'refund_pending';

-- Provider callbacks already applied, by the provider's event id: a replay changes nothing.
CREATE TABLE provider_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- The gift card an order bought: at most one per order, ever.
CREATE TABLE gift_cards (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL UNIQUE REFERENCES orders (id),
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    voucher_id   TEXT NOT NULL REFERENCES vouchers (id),
    card_number  TEXT NOT NULL,
    card_pin     TEXT,
    valid_until  BIGINT,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX gift_cards_by_user ON gift_cards (user_id, created_at);

-- A pool code sold to an order (instead of claimed): never both, never twice.
ALTER TABLE voucher_codes ADD COLUMN order_id TEXT REFERENCES orders (id);
CREATE UNIQUE INDEX voucher_codes_one_order ON voucher_codes (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX voucher_codes_unsold ON voucher_codes (voucher_id, id) WHERE claim_id IS NULL AND order_id IS NULL;
