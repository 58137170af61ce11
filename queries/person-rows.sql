-- A person's rows in every table of the warehouse, to report them (subject
-- access) or remove them (consent withdrawal, erasure, retention). See
-- src/warehouse/selection.rs for which table is handled how.
--
-- The selection is staged in three TEMP tables of the connection (never in the
-- warehouse file): _sel_client (clients taken whole), _sel_episode (episodes
-- taken) and _sel_key (person keys whose derived rows are taken), with two
-- macros testing a row against it. Call the macros with qualified columns
-- (`t.agency`): a bare `agency` would bind inside the macro's own subquery.

-- name: create_selection
CREATE OR REPLACE TEMP TABLE _sel_client (agency VARCHAR NOT NULL, client_id VARCHAR NOT NULL);
CREATE OR REPLACE TEMP TABLE _sel_episode (agency VARCHAR NOT NULL, client_id VARCHAR NOT NULL, episode_id VARCHAR NOT NULL);
CREATE OR REPLACE TEMP TABLE _sel_key (person_key VARCHAR NOT NULL);
CREATE OR REPLACE TEMP MACRO in_selected_client(a, c) AS
    EXISTS (SELECT 1 FROM _sel_client s WHERE s.agency = a AND s.client_id = c);
CREATE OR REPLACE TEMP MACRO in_selected_record(a, c, e) AS
    in_selected_client(a, c)
    OR EXISTS (SELECT 1 FROM _sel_episode s WHERE s.agency = a AND s.client_id = c AND s.episode_id = e);

-- name: drop_selection
DROP MACRO IF EXISTS temp.in_selected_record;
DROP MACRO IF EXISTS temp.in_selected_client;
DROP TABLE IF EXISTS temp._sel_client;
DROP TABLE IF EXISTS temp._sel_episode;
DROP TABLE IF EXISTS temp._sel_key;

-- name: add_client
INSERT INTO _sel_client VALUES (?, ?);

-- name: add_key
INSERT INTO _sel_key VALUES (?);

-- name: add_person_clients
-- Every client (at any agency) with an episode under the person key.
INSERT INTO _sel_client
SELECT DISTINCT agency, client_id FROM episode WHERE person_key = ?
EXCEPT SELECT agency, client_id FROM _sel_client;

-- name: select_client_episodes
-- The episodes of the clients taken whole.
INSERT INTO _sel_episode
SELECT e.agency, e.client_id, e.episode_id FROM episode e JOIN _sel_client c USING (agency, client_id);

-- name: select_closed_before
-- Retention: episodes discharged before the date. Parameter: the date.
INSERT INTO _sel_episode
SELECT agency, client_id, episode_id FROM episode WHERE disd < CAST(? AS DATE);

-- name: select_emptied_clients
-- Retention: clients left with no episode once the selected ones are gone.
INSERT INTO _sel_client
SELECT DISTINCT s.agency, s.client_id FROM _sel_episode s
WHERE NOT EXISTS (SELECT 1 FROM episode e
                  WHERE e.agency = s.agency AND e.client_id = s.client_id
                    AND NOT in_selected_record(e.agency, e.client_id, e.episode_id));

-- name: select_keys
-- Person keys of the selected episodes.
INSERT INTO _sel_key
SELECT DISTINCT t.person_key FROM episode t
WHERE t.person_key IS NOT NULL AND in_selected_record(t.agency, t.client_id, t.episode_id)
EXCEPT SELECT person_key FROM _sel_key;

-- name: select_derived_keys
-- Person keys the last build derived from the selection (the episodes may be gone
-- already: withdrawal runs after the submission replaced them).
INSERT INTO _sel_key
SELECT DISTINCT t.person_key FROM treatment_episode t WHERE in_selected_record(t.agency, t.client_id, t.episode_id)
EXCEPT SELECT person_key FROM _sel_key;

-- name: periods_touched
SELECT DISTINCT period FROM person_period WHERE person_key IN (SELECT person_key FROM _sel_key) ORDER BY period;

-- name: other_clients
-- Clients at other agencies under the selected person keys (not in the selection).
SELECT count(*) FROM (SELECT DISTINCT t.agency, t.client_id FROM episode t
                      WHERE t.person_key IN (SELECT person_key FROM _sel_key) AND NOT in_selected_client(t.agency, t.client_id));

-- The selected rows of each table, `rows_<table>`, with their rowid as `_row`.
-- Ingest tables are taken by client and episode, derived tables by person key
-- (and treatment episodes by their episode too).

-- name: rows_client
SELECT t.rowid AS _row, t.* FROM client t WHERE in_selected_client(t.agency, t.client_id)

-- name: rows_episode
SELECT t.rowid AS _row, t.* FROM episode t WHERE in_selected_record(t.agency, t.client_id, t.episode_id)

-- name: rows_intervention
SELECT t.rowid AS _row, t.* FROM intervention t WHERE in_selected_record(t.agency, t.client_id, t.episode_id)

-- name: rows_top_record
SELECT t.rowid AS _row, t.* FROM top_record t WHERE in_selected_record(t.agency, t.client_id, t.episode_id)

-- name: rows_treatment_episode
SELECT t.rowid AS _row, t.* FROM treatment_episode t
WHERE t.person_key IN (SELECT person_key FROM _sel_key) OR in_selected_record(t.agency, t.client_id, t.episode_id)

-- name: rows_journey
SELECT rowid AS _row, * FROM journey WHERE person_key IN (SELECT person_key FROM _sel_key)

-- name: rows_person_period
SELECT rowid AS _row, * FROM person_period WHERE person_key IN (SELECT person_key FROM _sel_key)

-- name: rows_submission
-- The submissions (files) the selected records came in.
SELECT rowid AS _row, * FROM submission WHERE submission_id IN (
    SELECT t.submission_id FROM client t WHERE in_selected_client(t.agency, t.client_id)
    UNION SELECT t.submission_id FROM episode t WHERE in_selected_record(t.agency, t.client_id, t.episode_id)
    UNION SELECT t.submission_id FROM intervention t WHERE in_selected_record(t.agency, t.client_id, t.episode_id)
    UNION SELECT t.submission_id FROM top_record t WHERE in_selected_record(t.agency, t.client_id, t.episode_id))

-- name: record_withdrawal
-- How many clients an agency's submission withdrew (the linkage report's count;
-- no client id is kept). Parameters: agency, clients.
INSERT INTO consent_withdrawal (agency, clients, recorded_at) VALUES (?, ?, now()::TIMESTAMP);
