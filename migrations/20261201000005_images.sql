-- The store's pictures (SPEC §13): originals as uploaded (checked first, core/src/images.rs)
-- and the resized variants served to phones, made on first request.
CREATE TABLE images (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('voucher', 'logo')),
    content_type TEXT NOT NULL,
    width        BIGINT NOT NULL,
    height       BIGINT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE image_variants (
    image_id     TEXT NOT NULL REFERENCES images (id),
    width        BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (image_id, width)
);

ALTER TABLE vouchers ADD COLUMN image_id TEXT REFERENCES images (id);
ALTER TABLE merchants ADD COLUMN logo_image_id TEXT REFERENCES images (id);
