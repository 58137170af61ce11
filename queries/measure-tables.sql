-- Tables owned by the statistics stage (`ndtms-stats build`), created if absent.
-- They sit beside the ingest tables of warehouse-schema.sql and never change those.
-- Period-specific tables carry a `period` column: a build deletes and
-- rewrites only its own period, so building another period keeps the first.

-- The geography lookup (reference-data/geography.csv), refreshed by every build.
CREATE TABLE IF NOT EXISTS geography_la (
    la_code      VARCHAR PRIMARY KEY,  -- upper-tier LA (GSS code) as it may appear on an episode
    reporting_la VARCHAR NOT NULL,     -- the LA whose figures include it (City of London -> Hackney, Scilly -> Cornwall)
    region_code  VARCHAR NOT NULL
);

-- One row per person per period: who is counted, where and with which attributes.
CREATE TABLE IF NOT EXISTS person_period (
    period          VARCHAR NOT NULL,
    person_key      VARCHAR NOT NULL,
    person_id       INTEGER NOT NULL,  -- internal join key, valid only within the build that wrote the row
    in_treatment    BOOLEAN NOT NULL,  -- false: in contact only through episodes whose first intervention starts after the period
    la              VARCHAR NOT NULL,  -- reporting LA of the latest episode in contact, or LA_UNKNOWN
    region          VARCHAR,           -- NULL for LA_UNKNOWN (counted in England only)
    journey_no      INTEGER NOT NULL,  -- latest journey with an episode in contact in the period
    population      VARCHAR NOT NULL,  -- adult | young_people (of that journey)
    substance_group VARCHAR NOT NULL,  -- leaf category of that journey
    phof_group      VARCHAR NOT NULL,  -- opiate | non-opiate | alcohol
    sex             VARCHAR NOT NULL,
    age_band        VARCHAR NOT NULL,
    ethnic_group    VARCHAR NOT NULL,
    referral_source VARCHAR NOT NULL,
    agencies        VARCHAR[] NOT NULL  -- agencies with an in-treatment episode in contact (provider level)
    -- unique on (period, person_key); no PRIMARY KEY, whose index would slow every rebuild
);

-- The internal, unsuppressed aggregate cube (see queries/README.md). Never published as is.
CREATE TABLE IF NOT EXISTS cube (
    period          VARCHAR NOT NULL,
    population      VARCHAR NOT NULL,
    measure         VARCHAR NOT NULL,
    geography_level VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    substance_group VARCHAR NOT NULL,
    dimension       VARCHAR NOT NULL,
    category        VARCHAR NOT NULL,
    value           BIGINT NOT NULL
);

-- The 12-month trend ending with the period's last month (internal, unsuppressed).
CREATE TABLE IF NOT EXISTS cube_month (
    period          VARCHAR NOT NULL,
    month           DATE NOT NULL,     -- first day of the calendar month
    population      VARCHAR NOT NULL,
    measure         VARCHAR NOT NULL,  -- in_treatment | new_presentations
    geography_level VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    value           BIGINT NOT NULL
);
