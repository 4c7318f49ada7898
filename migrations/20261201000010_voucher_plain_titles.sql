-- Search matches what people read: a voucher's title without its {b}{r}{s} markup (issue 15:
-- searching "r" matched every {r} tag). Written by the application (markup::plain_text) with
-- the title; vouchers from before are filled at start-up (vouchers::fill_plain_titles), so
-- NULL means "not filled yet" and search falls back to the title meanwhile.
ALTER TABLE vouchers ADD COLUMN title_plain TEXT;
