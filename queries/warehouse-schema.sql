-- Warehouse schema: created on first open of a warehouse file (idempotent).
-- Keys are unique by construction (the loader deletes before it inserts); they are
-- not declared as PRIMARY KEY because DuckDB checks constraints eagerly within a
-- transaction that deletes and re-inserts the same key.
-- Personal data rule: initials and full dates of birth are never stored.
-- Only a keyed pseudonym (person_key), year of birth and ages are kept.

CREATE SEQUENCE IF NOT EXISTS submission_seq START 1;

-- Facts about the warehouse itself, e.g. the fingerprint of the attributor key
-- its person keys were made with (a load under another key is refused).
CREATE TABLE IF NOT EXISTS warehouse_meta (
    name  VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);

-- Agency reference (from agencies.csv), replaced on every load run.
CREATE TABLE IF NOT EXISTS agency (
    code                  VARCHAR NOT NULL,
    name                  VARCHAR NOT NULL,
    provider_organisation VARCHAR NOT NULL,
    commissioning_la      VARCHAR NOT NULL,
    dataset               VARCHAR NOT NULL  -- community-adult | community-yp | secure-adult | secure-yp
);

-- The submissions ledger: one row per file offered to `load`, whatever its outcome.
CREATE TABLE IF NOT EXISTS submission (
    submission_id      BIGINT PRIMARY KEY,
    file_name          VARCHAR NOT NULL,
    file_sha256        VARCHAR NOT NULL,
    agency             VARCHAR,            -- NULL when the file name could not be parsed
    month              DATE,               -- first day of the submission month
    period_start       DATE,               -- reporting period start (1 January of the reporting start year)
    period_end         DATE,               -- last day of the submission month
    loaded_at          TIMESTAMP NOT NULL,
    outcome            VARCHAR NOT NULL,   -- loaded | unchanged | superseded | rejected
    rows_total         BIGINT NOT NULL,
    rows_loaded        BIGINT NOT NULL,    -- rows without errors
    rows_clean         BIGINT NOT NULL,    -- rows with neither errors nor warnings
    load_pct           DOUBLE,
    dq_pct             DOUBLE,
    reject_reason      VARCHAR             -- whole-file rejection reason, NULL otherwise
);

-- Validation messages per submission, aggregated: never carries field values.
CREATE TABLE IF NOT EXISTS submission_message (
    submission_id BIGINT NOT NULL,
    severity      VARCHAR NOT NULL,  -- error | warning
    code          VARCHAR NOT NULL,  -- stable message code, e.g. E_MANDATORY
    field         VARCHAR,           -- field code the message is about
    message       VARCHAR NOT NULL,  -- human-readable reason
    row_count     BIGINT NOT NULL,
    example_rows  VARCHAR NOT NULL   -- up to 5 file row numbers, comma separated
);

-- Clients: (agency, client_id) with consent. Consent-N clients keep only these fields.
CREATE TABLE IF NOT EXISTS client (
    agency        VARCHAR NOT NULL,
    client_id     VARCHAR NOT NULL,
    consent       BOOLEAN NOT NULL,
    submission_id BIGINT NOT NULL
);

-- Episodes (client-level attributes carried on each episode, as in the extract).
CREATE TABLE IF NOT EXISTS episode (
    agency          VARCHAR NOT NULL,
    client_id       VARCHAR NOT NULL,
    episode_id      VARCHAR NOT NULL,
    person_key      VARCHAR,            -- HMAC-SHA256 of the attributor; NULL when not linkable
    link_status     VARCHAR NOT NULL,   -- linked | placeholder | incomplete
    sex             VARCHAR,            -- 1 | 2 | 9
    year_of_birth   BIGINT,
    age_at_referral BIGINT,
    age_at_triage   BIGINT,
    ethnic          VARCHAR,
    pc              VARCHAR,
    la              VARCHAR,            -- as submitted (GSS code) or NULL
    refld           DATE,
    rfls            VARCHAR,
    triaged         DATE,
    drug1           VARCHAR,
    drug2           VARCHAR,
    drug3           VARCHAR,
    injstat         VARCHAR,
    alcunits        BIGINT,
    disd            DATE,
    disrsn          VARCHAR,
    submission_id   BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS intervention (
    agency        VARCHAR NOT NULL,
    client_id     VARCHAR NOT NULL,
    episode_id    VARCHAR NOT NULL,
    mod_id        VARCHAR NOT NULL,
    modal         VARCHAR,  -- 94 | 95 | 96
    modset        VARCHAR,  -- 1..6
    refmoddt      DATE,
    modst         DATE,
    modend        DATE,
    modexit       VARCHAR,
    age_at_modst  BIGINT,           -- age at intervention start (no DOB kept)
    submission_id BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS top_record (
    agency        VARCHAR NOT NULL,
    client_id     VARCHAR NOT NULL,
    episode_id    VARCHAR NOT NULL,
    top_id        VARCHAR NOT NULL,
    topdate       DATE,
    trstage       VARCHAR,  -- S | R | E | P
    alcuse        BIGINT,
    opiuse        BIGINT,
    crause        BIGINT,
    cocause       BIGINT,
    amphuse       BIGINT,
    cannuse       BIGINT,
    acuthpbm      VARCHAR,
    quallife      BIGINT,
    submission_id BIGINT NOT NULL
);
