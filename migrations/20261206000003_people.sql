-- The people who run Tessera (SPEC §12): console and portal accounts with a role, signed in
-- with email and password (argon2id), their sessions (only a hash of each token is kept), and
-- the audit log of what they do. An operator belongs to no partner; everyone else to one.
CREATE TABLE people (
    id                   TEXT PRIMARY KEY,
    -- lower-case
    email                TEXT NOT NULL UNIQUE,
    -- argon2id, PHC string format
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('operator', 'partner_admin', 'partner_developer', 'designer')),
    partner_id           TEXT REFERENCES partners (id),
    -- failed sign-ins since the last good one; ten lock the account
    failed_sign_ins      BIGINT NOT NULL DEFAULT 0,
    locked_at            BIGINT,
    -- sessions begun before it are over
    password_changed_at  BIGINT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    CHECK ((role = 'operator' AND partner_id IS NULL) OR (role <> 'operator' AND partner_id IS NOT NULL))
);

CREATE TABLE people_sessions (
    -- SHA-256 of the cookie's token, hex
    token_hash  TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX people_sessions_by_person ON people_sessions (person_id);

CREATE TABLE audit_log (
    id       TEXT PRIMARY KEY,
    at       BIGINT NOT NULL,
    -- the person who acted (NULL: the command line)
    actor    TEXT,
    action   TEXT NOT NULL,
    subject  TEXT,
    -- JSON, when the action changed something
    before   TEXT,
    after    TEXT
);
CREATE INDEX audit_log_by_time ON audit_log (at);
