-- Treatment episodes and treatment journeys, derived from everything the
-- warehouse holds (not period-specific: rebuilt in full by every build).
-- Definitions: shared/spec statistics.md "Episodes and journeys";
-- choices where the spec is silent: queries/README.md.

-- 1. Treatment episodes: linked episodes (person_key present) with at least
--    one intervention started. An episode with no intervention started is a
--    referral: it belongs to no journey and counts in no measure.
CREATE OR REPLACE TABLE treatment_episode AS
WITH first_intervention AS (
    SELECT agency, client_id, episode_id,
           min(modst)                 AS first_modst,
           arg_min(age_at_modst, modst) AS age_at_first_modst
    FROM intervention
    WHERE modst IS NOT NULL
    GROUP BY agency, client_id, episode_id
),
linked AS (
    SELECT e.agency, e.client_id, e.episode_id, e.person_key,
           e.sex, e.ethnic, e.la, e.refld, e.rfls, e.triaged,
           e.drug1, e.drug2, e.drug3, e.disd, e.disrsn,
           e.age_at_referral, e.age_at_triage,
           f.first_modst, f.age_at_first_modst,
           -- substance flags from DRUG1-3 (drug codes: extract-format.md)
           list_has_any([e.drug1, e.drug2, e.drug3], ['1000', '1011', '1105', '1106']) AS uses_opiate,
           list_has_any([e.drug1, e.drug2, e.drug3], ['3201'])                         AS uses_crack,
           list_has_any([e.drug1, e.drug2, e.drug3], ['7000'])                         AS uses_alcohol,
           -- any other drug code (crack, cocaine, cannabis, ...) is a non-opiate drug
           coalesce(e.drug1 NOT IN ('1000', '1011', '1105', '1106', '7000'), false)
           OR coalesce(e.drug2 NOT IN ('1000', '1011', '1105', '1106', '7000'), false)
           OR coalesce(e.drug3 NOT IN ('1000', '1011', '1105', '1106', '7000'), false) AS uses_non_opiate
    FROM episode e
    JOIN first_intervention f USING (agency, client_id, episode_id)
    WHERE e.link_status = 'linked' AND e.person_key IS NOT NULL
),
person_ids AS (
    -- person_id: an integer standing for person_key within this build, so that
    -- later joins and groupings are cheap (it changes from build to build)
    SELECT person_key, CAST(row_number() OVER () AS INTEGER) AS person_id
    FROM (SELECT DISTINCT person_key FROM linked)
),
numbered AS (
    SELECT linked.*, person_ids.person_id
    FROM linked JOIN person_ids USING (person_key)
),
with_earlier AS (
    -- a person's episodes across all agencies, ordered by earliest intervention
    -- start, with what the episodes before each one add up to
    SELECT *,
           row_number()                                    OVER person_order AS episode_seq,
           count(*)                                        OVER earlier AS earlier_episodes,
           sum(CASE WHEN disd IS NULL THEN 1 ELSE 0 END)   OVER earlier AS earlier_open,
           max(disd)                                       OVER earlier AS earlier_latest_disd
    FROM numbered
    WINDOW person_order AS (PARTITION BY person_id
                            ORDER BY first_modst, refld, agency, client_id, episode_id),
           earlier AS (PARTITION BY person_id
                       ORDER BY first_modst, refld, agency, client_id, episode_id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
flagged AS (
    -- A later episode starts a new journey only if ALL hold:
    --  (a) no earlier episode is still open when it starts;
    --  (b) no earlier episode's discharge is after the later episode's discharge;
    --  (c) its earliest intervention start is MORE than 21 days after the
    --      earlier episodes' latest discharge (22 days: new; 21 days: same journey).
    SELECT *,
           earlier_episodes = 0                                            -- a person's first episode
           OR (    earlier_open = 0                                        -- (a) none open ...
               AND earlier_latest_disd < first_modst                       -- (a) ... when it starts
               AND NOT coalesce(earlier_latest_disd > disd, false)         -- (b) (an open later episode: never)
               AND date_diff('day', earlier_latest_disd, first_modst) > 21 -- (c)
              ) AS starts_journey
    FROM with_earlier
)
SELECT agency, client_id, episode_id, person_key, person_id, episode_seq,
       CAST(sum(CASE WHEN starts_journey THEN 1 ELSE 0 END)
            OVER (PARTITION BY person_id ORDER BY episode_seq
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS INTEGER) AS journey_no,
       starts_journey,
       sex, ethnic, la, refld, rfls, triaged, drug1, disd, disrsn,
       first_modst,
       -- the date this episode contributes to its journey's start, and the age then
       coalesce(triaged, first_modst) AS episode_start,
       CASE WHEN triaged IS NOT NULL THEN coalesce(age_at_triage, age_at_first_modst, age_at_referral)
            ELSE coalesce(age_at_first_modst, age_at_triage, age_at_referral) END AS age_at_episode_start,
       uses_opiate, uses_crack, uses_alcohol, uses_non_opiate
FROM flagged;

-- 2. Journeys: one row per (person, journey_no).
CREATE OR REPLACE TABLE journey AS
WITH per_journey AS (
    SELECT person_id, journey_no,
           any_value(person_key)                          AS person_key,
           count(*)                                       AS episodes,
           count(DISTINCT agency)                         AS agencies,
           min(episode_start)                             AS journey_start,
           min(first_modst)                               AS first_intervention_start,
           bool_and(disd IS NOT NULL)                     AS closed,
           max(disd)                                      AS last_discharge,
           bool_or(uses_opiate)                           AS uses_opiate,
           bool_or(uses_crack)                            AS uses_crack,
           bool_or(uses_alcohol)                          AS uses_alcohol,
           bool_or(uses_non_opiate)                       AS uses_non_opiate,
           -- the episode giving the journey its start (earliest triage, else intervention start)
           arg_min({'age': age_at_episode_start, 'agency': agency},
                   {'start': episode_start, 'seq': episode_seq})          AS start_episode,
           -- the episode with the journey's last discharge (same day: later in the journey order)
           arg_max({'agency': agency, 'disrsn': disrsn},
                   {'disd': disd, 'seq': episode_seq})                    AS end_episode,
           -- the first episode in the journey order: referral, primary substance, sex
           arg_min({'refld': refld, 'rfls': rfls, 'drug1': drug1, 'sex': sex}, episode_seq) AS first_episode,
           arg_min(ethnic, episode_seq) FILTER (WHERE ethnic IS NOT NULL) AS ethnic_code
    FROM treatment_episode
    GROUP BY person_id, journey_no
)
SELECT person_key, person_id, journey_no, episodes, agencies,
       journey_start,
       first_intervention_start,
       CASE WHEN closed THEN last_discharge END        AS journey_end,
       CASE WHEN closed THEN end_episode.disrsn END    AS exit_reason_code,
       start_episode.age                               AS age_at_start,
       -- 18 or over at the start is an adult; no recorded age at all counts as adult
       CASE WHEN start_episode.age < 18 THEN 'young_people' ELSE 'adult' END AS population,
       CASE WHEN uses_opiate AND uses_crack           THEN 'opiate and crack'
            WHEN uses_opiate                          THEN 'opiate not crack'
            WHEN uses_non_opiate AND uses_alcohol     THEN 'non-opiate and alcohol'
            WHEN uses_non_opiate                      THEN 'non-opiate only'
            ELSE 'alcohol only' END                   AS substance_group,
       start_episode.agency                            AS start_agency,
       end_episode.agency                              AS exit_agency,
       first_episode.refld                             AS first_referral,
       first_episode.rfls                              AS referral_code,
       first_episode.drug1                             AS primary_drug,
       first_episode.sex                               AS sex_code,
       ethnic_code,
       date_diff('day', first_episode.refld, first_intervention_start) AS waiting_days
FROM per_journey;
