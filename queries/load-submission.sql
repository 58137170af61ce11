-- Statements the loader runs for one submission, inside one transaction.
-- Each statement starts with a `-- name:` line; `?` are bound in order.
-- Staging tables (_stage_*, _doomed) are TEMP tables of the loading
-- connection, created once per load run and emptied for every file: they are
-- never written to the warehouse file.

-- name: latest_loaded
-- The agency's most recent applied submission: (month as days since 1970-01-01, sha256).
SELECT (month - DATE '1970-01-01')::INTEGER AS month_days, file_sha256
FROM submission
WHERE agency = ? AND outcome = 'loaded'
ORDER BY month DESC, submission_id DESC
LIMIT 1;

-- name: create_stage
CREATE OR REPLACE TEMP TABLE _stage_client AS SELECT agency, client_id, consent FROM client WHERE false;
CREATE OR REPLACE TEMP TABLE _stage_episode AS SELECT * EXCLUDE (submission_id) FROM episode WHERE false;
CREATE OR REPLACE TEMP TABLE _stage_intervention AS SELECT * EXCLUDE (submission_id) FROM intervention WHERE false;
CREATE OR REPLACE TEMP TABLE _stage_top AS SELECT * EXCLUDE (submission_id) FROM top_record WHERE false;
CREATE OR REPLACE TEMP TABLE _doomed AS SELECT agency, client_id, episode_id FROM episode WHERE false;

-- name: clear_stage
DELETE FROM _stage_client;
DELETE FROM _stage_episode;
DELETE FROM _stage_intervention;
DELETE FROM _stage_top;
DELETE FROM _doomed;

-- name: doomed_episodes
-- Episodes this submission replaces: the agency's episodes in contact with the
-- reporting period, episodes the file carries again, and every episode of a
-- client whose consent the file withdraws. Parameters: agency, period start.
INSERT INTO _doomed
SELECT e.agency, e.client_id, e.episode_id
FROM episode e
WHERE e.agency = $1
  AND (
        e.disd IS NULL
     OR e.disd >= $2
     OR EXISTS (SELECT 1 FROM _stage_episode s
                WHERE s.client_id = e.client_id AND s.episode_id = e.episode_id)
     OR EXISTS (SELECT 1 FROM _stage_client c
                WHERE c.client_id = e.client_id AND NOT c.consent)
  );

-- name: count_doomed
SELECT count(*) FROM _doomed;

-- name: delete_doomed_interventions
-- The agency predicate lets DuckDB skip row groups of other agencies.
DELETE FROM intervention i USING _doomed d
WHERE i.agency = $1 AND i.agency = d.agency AND i.client_id = d.client_id AND i.episode_id = d.episode_id;

-- name: delete_doomed_tops
DELETE FROM top_record t USING _doomed d
WHERE t.agency = $1 AND t.agency = d.agency AND t.client_id = d.client_id AND t.episode_id = d.episode_id;

-- name: delete_doomed_episodes
DELETE FROM episode e USING _doomed d
WHERE e.agency = $1 AND e.agency = d.agency AND e.client_id = d.client_id AND e.episode_id = d.episode_id;

-- name: delete_restated_clients
DELETE FROM client c USING _stage_client s
WHERE c.agency = s.agency AND c.client_id = s.client_id;

-- The inserts below take the submission id as their parameter.
-- name: insert_clients
INSERT INTO client (agency, client_id, consent, submission_id)
SELECT agency, client_id, consent, $1 FROM _stage_client;

-- name: insert_episodes
INSERT INTO episode SELECT *, $1 FROM _stage_episode;

-- name: insert_interventions
INSERT INTO intervention SELECT *, $1 FROM _stage_intervention;

-- name: insert_tops
INSERT INTO top_record SELECT *, $1 FROM _stage_top;

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
