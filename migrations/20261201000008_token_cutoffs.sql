-- A partner JWT issued before its user's logout or erasure stops working (issue 15):
-- the moment, by partner and a SHA-256 of the externalUserId (the id of an erased user
-- is not kept in clear; a new user under the same id is a new row of `users`).
CREATE TABLE token_cutoffs (
    partner_id   TEXT NOT NULL REFERENCES partners (id),
    subject_hash TEXT NOT NULL,
    cutoff_ms    BIGINT NOT NULL,
    PRIMARY KEY (partner_id, subject_hash)
);
