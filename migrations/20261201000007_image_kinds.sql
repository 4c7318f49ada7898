-- Two more kinds of picture (SPEC §13, seed 001's image specs): a partner's header logo
-- (12:5, shown 96×40) and its coin (square, shown 20×20). The kind's CHECK is a column
-- constraint, so the column is replaced (portable to SQLite and PostgreSQL: SQLite
-- cannot alter a CHECK, but drops a column together with its own constraint).
ALTER TABLE images RENAME COLUMN kind TO kind_before;
ALTER TABLE images ADD COLUMN kind TEXT NOT NULL DEFAULT 'voucher'
    CHECK (kind IN ('voucher', 'logo', 'header_logo', 'coin'));
UPDATE images SET kind = kind_before;
ALTER TABLE images DROP COLUMN kind_before;
