-- Statements the loader runs. Each statement starts with a `-- name:` line;
-- `?` are bound in order, `$n` by position.
-- A file's records are appended (as whole columns) to the warehouse tables
-- under its new submission id, inside the file's transaction; the statements
-- below then remove what they replace. Every one of them is limited to the
-- file's agency, so DuckDB reads only the row groups that hold it.
-- The _doomed, _withdrawn and _withdrawn_key tables are TEMP tables of the
-- loading connection, created once per load run and emptied for every file:
-- they never reach the warehouse file.

-- name: latest_loaded
-- Each agency's most recent applied submission: (agency, month as days since
-- 1970-01-01, sha256), read once per run.
SELECT agency, (month - DATE '1970-01-01')::INTEGER AS month_days, file_sha256
FROM submission
WHERE outcome = 'loaded'
QUALIFY row_number() OVER (PARTITION BY agency ORDER BY month DESC, submission_id DESC) = 1;

-- name: agencies_with_records
-- Agencies with clients (every episode has its client row): a first
-- submission of any other agency has nothing to replace.
SELECT DISTINCT agency FROM client;

-- name: table_columns
SELECT name, type FROM pragma_table_info(?) ORDER BY cid;

-- name: create_stage
CREATE OR REPLACE TEMP TABLE _doomed (client_id VARCHAR, episode_id VARCHAR, in_period BOOLEAN, restated BOOLEAN);
CREATE OR REPLACE TEMP TABLE _withdrawn (client_id VARCHAR NOT NULL);
CREATE OR REPLACE TEMP TABLE _withdrawn_key (person_key VARCHAR NOT NULL);

-- name: clear_stage
DELETE FROM _doomed;

-- name: doomed_episodes
-- Earlier episodes this submission replaces: the agency's episodes in contact
-- with the reporting period (in_period), episodes the file carries again and
-- every episode of a client whose consent the file withdraws (restated; the
-- file's withdrawn clients are in _withdrawn).
-- Parameters: agency, period start, the file's submission id.
INSERT INTO _doomed
SELECT client_id, episode_id, in_period, restated
FROM (
    SELECT e.client_id, e.episode_id,
           (e.disd IS NULL OR e.disd >= $2) AS in_period,
           (n.client_id IS NOT NULL OR w.client_id IS NOT NULL) AS restated
    FROM episode e
    LEFT JOIN (SELECT client_id, episode_id FROM episode WHERE agency = $1 AND submission_id = $3) n
           ON n.client_id = e.client_id AND n.episode_id = e.episode_id
    LEFT JOIN _withdrawn w ON w.client_id = e.client_id
    WHERE e.agency = $1 AND e.submission_id <> $3
)
WHERE in_period OR restated;

-- name: shrink
-- What the replacement would do to the agency's episodes in the reporting
-- period: how many it holds, and how many the file neither carries again nor
-- withdraws (they would be gone).
SELECT count(*) FILTER (WHERE in_period)::BIGINT,
       count(*) FILTER (WHERE in_period AND NOT restated)::BIGINT
FROM _doomed;

-- The deletes take the agency and the file's submission id (whose rows stay).
-- name: delete_doomed_interventions
DELETE FROM intervention i USING _doomed d
WHERE i.agency = $1 AND i.submission_id <> $2 AND i.client_id = d.client_id AND i.episode_id = d.episode_id;

-- name: delete_doomed_tops
DELETE FROM top_record t USING _doomed d
WHERE t.agency = $1 AND t.submission_id <> $2 AND t.client_id = d.client_id AND t.episode_id = d.episode_id;

-- name: delete_doomed_episodes
DELETE FROM episode e USING _doomed d
WHERE e.agency = $1 AND e.submission_id <> $2 AND e.client_id = d.client_id AND e.episode_id = d.episode_id;

-- name: delete_restated_clients
DELETE FROM client c
WHERE c.agency = $1 AND c.submission_id <> $2
  AND c.client_id IN (SELECT n.client_id FROM client n WHERE n.agency = $1 AND n.submission_id = $2);

-- Consent withdrawal on the load path (src/warehouse/withdraw.rs): the
-- clients of the file's agency in _withdrawn leave every table. The file's
-- own rows of those clients were never appended; these statements take what
-- earlier submissions stored and what `build` derived. Parameter: the agency.

-- name: clear_withdrawn
DELETE FROM _withdrawn;
DELETE FROM _withdrawn_key;

-- name: add_withdrawn
INSERT INTO _withdrawn VALUES (?);

-- name: withdrawn_keys
-- Person keys of the withdrawn clients' episodes.
INSERT INTO _withdrawn_key
SELECT DISTINCT person_key FROM episode
WHERE agency = $1 AND person_key IS NOT NULL AND client_id IN (SELECT client_id FROM _withdrawn);

-- name: withdrawn_derived_keys
-- Person keys the last build derived from the withdrawn clients' episodes
-- (the episodes may be gone already: the replacement ran first).
INSERT INTO _withdrawn_key
SELECT DISTINCT person_key FROM treatment_episode
WHERE agency = $1 AND client_id IN (SELECT client_id FROM _withdrawn)
EXCEPT SELECT person_key FROM _withdrawn_key;

-- name: withdraw_treatment_episode
DELETE FROM treatment_episode
WHERE person_key IN (SELECT person_key FROM _withdrawn_key)
   OR (agency = $1 AND client_id IN (SELECT client_id FROM _withdrawn));

-- name: withdraw_journey
DELETE FROM journey WHERE person_key IN (SELECT person_key FROM _withdrawn_key);

-- name: withdraw_person_period
DELETE FROM person_period WHERE person_key IN (SELECT person_key FROM _withdrawn_key);

-- name: withdraw_top_record
DELETE FROM top_record WHERE agency = $1 AND client_id IN (SELECT client_id FROM _withdrawn);

-- name: withdraw_intervention
DELETE FROM intervention WHERE agency = $1 AND client_id IN (SELECT client_id FROM _withdrawn);

-- name: withdraw_episode
DELETE FROM episode WHERE agency = $1 AND client_id IN (SELECT client_id FROM _withdrawn);

-- name: withdraw_client
DELETE FROM client WHERE agency = $1 AND client_id IN (SELECT client_id FROM _withdrawn);

-- name: insert_submission
INSERT INTO submission (submission_id, file_name, file_sha256, agency, month, period_start, period_end,
                        loaded_at, outcome, rows_total, rows_loaded, rows_clean, load_pct, dq_pct, reject_reason)
VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?);

-- name: insert_message
INSERT INTO submission_message (submission_id, severity, code, field, message, row_count, example_rows)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: next_submission_id
SELECT nextval('submission_seq');

-- name: delete_agency
-- An agency in the reference file replaces its earlier row; agencies missing
-- from the file keep theirs (their loaded data still needs them).
DELETE FROM agency WHERE code = ?;

-- name: insert_agency
INSERT INTO agency (code, name, provider_organisation, commissioning_la, dataset) VALUES (?, ?, ?, ?, ?);

-- name: key_fingerprint
SELECT value FROM warehouse_meta WHERE name = 'attributor_key_fingerprint';

-- name: set_key_fingerprint
INSERT INTO warehouse_meta (name, value) VALUES ('attributor_key_fingerprint', ?);

-- name: begin_run
-- During a load run the write-ahead log is not checkpointed after every few
-- files (which rewrites large parts of the file); each file is still its own
-- committed transaction, so a killed run loses nothing committed.
SET checkpoint_threshold = '8GB';

-- name: end_run
CHECKPOINT;
RESET checkpoint_threshold;
