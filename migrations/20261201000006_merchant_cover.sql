-- A merchant's cover picture (SPEC §13): 16:9, the shape of a voucher's picture
-- (images.kind 'voucher'), shown across the top of the merchant screen.
ALTER TABLE merchants ADD COLUMN cover_image_id TEXT REFERENCES images (id);
