-- One fulfilment of a paid order at a time: the call issuing its card holds it until then
-- (UTC ms); a supplier slower than that, or a process killed meanwhile, lets the recovery job
-- take the order over once it lapses.
ALTER TABLE orders ADD COLUMN fulfilling_until BIGINT;
