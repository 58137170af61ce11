-- Tables of the personal-data controls, created on every read-write open of a
-- warehouse (idempotent), beside the ingest tables of warehouse-schema.sql.
-- Neither holds personal data: no client, episode or person key, no attributor.

-- One row per command that read or changed the warehouse (`ndtms-stats log` prints it).
CREATE TABLE IF NOT EXISTS access_log (
    logged_at TIMESTAMP NOT NULL,  -- when the command finished (local time)
    os_user   VARCHAR NOT NULL,    -- the operating-system user who ran it (name and uid)
    command   VARCHAR NOT NULL,    -- load | build | release | ... | subject-access | erase | purge | log
    arguments VARCHAR NOT NULL,    -- its arguments; personal data (client ids, attributors) withheld, never key material
    inputs    VARCHAR NOT NULL,    -- JSON list of {"file", "sha256"} of the input files read (key files excepted)
    outputs   VARCHAR NOT NULL,    -- JSON list of the files written
    outcome   VARCHAR NOT NULL,    -- ok | failed
    detail    VARCHAR NOT NULL     -- counts (rows removed, records reported); never values
);

-- Consent withdrawals, counted: the client ids are removed with everything else.
CREATE TABLE IF NOT EXISTS consent_withdrawal (
    agency      VARCHAR NOT NULL,
    clients     BIGINT NOT NULL,   -- clients with CONSENT = N in the agency's submission
    recorded_at TIMESTAMP NOT NULL
);
