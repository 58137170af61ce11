-- The internal, unsuppressed cube for the period in build_period.
-- Needs journeys.sql, labels.sql and person-period.sql to have run.
-- Every cell counts people (in_treatment, interventions) or journeys (the rest);
-- a cell absent from the cube is zero.

DELETE FROM cube WHERE period = (SELECT period FROM build_period);

-- Journeys touching the period, with labels and the person's placement.
-- Journey measures use the person's placement in the period (so a mover's
-- exit counts in their new LA) and the journey's own population.
CREATE OR REPLACE TEMP TABLE period_journey AS
SELECT j.*,
       coalesce(pp.la, 'LA_UNKNOWN')                   AS la,
       pp.region,
       sex_label(j.sex_code)                           AS sex,
       age_band_label(j.age_at_start)                  AS age_band,
       ethnic_group_label(j.ethnic_code)               AS ethnic_group,
       referral_source_label(j.referral_code)          AS referral_source,
       exit_reason_label(j.exit_reason_code)           AS exit_reason,
       waiting_band_label(j.waiting_days)              AS waiting_band,
       phof_group_label(j.substance_group)             AS phof_group,
       j.journey_start BETWEEN bp.period_start AND bp.period_end AS starts_in_period,
       coalesce(j.journey_end BETWEEN bp.period_start AND bp.period_end, false) AS ends_in_period,
       j.exit_reason_code IN ('80', '81', '82')        AS successful,
       -- representation: the person starts a new journey on or before the day
       -- 6 calendar months after the discharge (date + INTERVAL 6 MONTH)
       coalesce(j.next_journey_start <= j.journey_end + INTERVAL 6 MONTH, false) AS represented
FROM (SELECT *,
             -- the earliest start of any later journey of the person
             min(journey_start) OVER (PARTITION BY person_id ORDER BY journey_no
                                      ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_journey_start
      FROM journey) j
CROSS JOIN build_period bp
LEFT JOIN person_period pp ON pp.period = bp.period AND pp.person_id = j.person_id;

-- TOP change: the journey's first start TOP (stage S) and the review TOP
-- (stage R) nearest to 6 months after it, recorded 5 to 7 calendar months
-- after it; counted in the period of the review TOP. Days used in the last
-- 28 of the journey's primary substance (DRUG1 of its first episode); only
-- journeys using it at the start count. Reliable reduction: a fall of at
-- least `reliable_change` days (toolkit thresholds, see README), not abstinent.
CREATE OR REPLACE TEMP TABLE top_change AS
WITH journey_top AS (
    SELECT te.person_id, te.journey_no, t.agency, t.client_id, t.episode_id, t.top_id, t.topdate, t.trstage,
           t.alcuse, t.opiuse, t.crause, t.cocause, t.amphuse, t.cannuse
    FROM top_record t
    JOIN treatment_episode te USING (agency, client_id, episode_id)
),
start_top AS (
    SELECT * FROM journey_top WHERE trstage = 'S'
    QUALIFY row_number() OVER (PARTITION BY person_id, journey_no
                               ORDER BY topdate, agency, client_id, episode_id, top_id) = 1
),
review_top AS (
    SELECT r.*
    FROM journey_top r
    JOIN start_top s USING (person_id, journey_no)
    WHERE r.trstage = 'R'
      AND r.topdate BETWEEN s.topdate + INTERVAL 5 MONTH AND s.topdate + INTERVAL 7 MONTH
    QUALIFY row_number() OVER (PARTITION BY r.person_id, r.journey_no
        ORDER BY abs(date_diff('day', CAST(s.topdate + INTERVAL 6 MONTH AS DATE), r.topdate)), r.topdate,
                 r.agency, r.client_id, r.episode_id, r.top_id) = 1
),
reliable_change(substance_field, reliable_change) AS (
    VALUES ('opiuse', 9), ('crause', 7), ('cocause', 7), ('amphuse', 7), ('cannuse', 7), ('alcuse', 9)
),
paired AS (
    SELECT j.person_id, j.journey_no, s.agency,
           CASE WHEN j.primary_drug IN ('1000', '1011', '1105', '1106') THEN 'opiuse'
                WHEN j.primary_drug = '3201' THEN 'crause'
                WHEN j.primary_drug = '3200' THEN 'cocause'
                WHEN j.primary_drug = '3100' THEN 'amphuse'
                WHEN j.primary_drug = '5000' THEN 'cannuse'
                WHEN j.primary_drug = '7000' THEN 'alcuse' END AS substance_field,
           s.opiuse AS s_opi, s.crause AS s_cra, s.cocause AS s_coc, s.amphuse AS s_amp, s.cannuse AS s_can, s.alcuse AS s_alc,
           r.opiuse AS r_opi, r.crause AS r_cra, r.cocause AS r_coc, r.amphuse AS r_amp, r.cannuse AS r_can, r.alcuse AS r_alc,
           r.topdate AS review_date
    FROM journey j
    JOIN start_top s USING (person_id, journey_no)
    JOIN review_top r USING (person_id, journey_no)
),
days AS (
    SELECT person_id, journey_no, agency, substance_field, review_date,
           CASE substance_field WHEN 'opiuse' THEN s_opi WHEN 'crause' THEN s_cra WHEN 'cocause' THEN s_coc
                WHEN 'amphuse' THEN s_amp WHEN 'cannuse' THEN s_can WHEN 'alcuse' THEN s_alc END AS start_days,
           CASE substance_field WHEN 'opiuse' THEN r_opi WHEN 'crause' THEN r_cra WHEN 'cocause' THEN r_coc
                WHEN 'amphuse' THEN r_amp WHEN 'cannuse' THEN r_can WHEN 'alcuse' THEN r_alc END AS review_days
    FROM paired
)
SELECT d.person_id, d.journey_no, d.agency,
       d.review_days = 0 AS abstinent,
       d.review_days > 0 AND d.start_days - d.review_days >= rc.reliable_change AS reduced
FROM days d
JOIN reliable_change rc USING (substance_field)
CROSS JOIN build_period bp
WHERE d.start_days > 0 AND d.review_days IS NOT NULL
  AND d.review_date BETWEEN bp.period_start AND bp.period_end;

-- One wide row per counted unit (person or journey) per measure; a NULL
-- dimension value means the measure is not broken down by that dimension.
CREATE OR REPLACE TEMP TABLE measure_fact AS
-- people in treatment
SELECT 'in_treatment' AS measure, population, la, region, agencies, substance_group,
       'Total' AS total, sex, age_band, ethnic_group, referral_source,
       NULL::VARCHAR AS exit_reason, NULL::VARCHAR AS waiting_band, phof_group, NULL::VARCHAR AS setting
FROM person_period
WHERE period = (SELECT period FROM build_period) AND in_treatment
UNION ALL
-- new presentations: journeys starting in the period (at the agency of their start)
SELECT 'new_presentations', population, la, region, [start_agency], substance_group,
       'Total', sex, age_band, ethnic_group, referral_source, NULL, waiting_band, phof_group, NULL
FROM period_journey WHERE starts_in_period
UNION ALL
-- waiting: new presentations by waiting band
SELECT 'waiting', population, la, region, [start_agency], substance_group,
       'Total', NULL, NULL, NULL, NULL, NULL, waiting_band, NULL, NULL
FROM period_journey WHERE starts_in_period
UNION ALL
-- exits: journeys ending in the period (at the agency of their last discharge)
SELECT 'exits', population, la, region, [exit_agency], substance_group,
       'Total', sex, age_band, ethnic_group, referral_source, exit_reason, NULL, phof_group, NULL
FROM period_journey WHERE ends_in_period
UNION ALL
SELECT 'successful_completions', population, la, region, [exit_agency], substance_group,
       'Total', sex, age_band, ethnic_group, referral_source, NULL, NULL, phof_group, NULL
FROM period_journey WHERE ends_in_period AND successful
UNION ALL
SELECT 'deaths', population, la, region, [exit_agency], substance_group,
       'Total', sex, age_band, NULL, NULL, NULL, NULL, NULL, NULL
FROM period_journey WHERE ends_in_period AND exit_reason_code = '87'
UNION ALL
SELECT 'completions_without_representation', population, la, region, [exit_agency], substance_group,
       'Total', sex, age_band, NULL, NULL, NULL, NULL, phof_group, NULL
FROM period_journey WHERE ends_in_period AND successful AND NOT represented
UNION ALL
SELECT 'top_' || m.measure, j.population, j.la, j.region, [t.agency], j.substance_group,
       'Total', j.sex, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM top_change t
JOIN period_journey j USING (person_id, journey_no)
JOIN (VALUES ('start_review'), ('abstinent'), ('reduced')) m(measure)
  ON m.measure = 'start_review' OR (m.measure = 'abstinent' AND t.abstinent) OR (m.measure = 'reduced' AND t.reduced);

-- interventions: people by intervention setting (a person counts once in each
-- setting they had an intervention in, during the period, at each agency)
INSERT INTO measure_fact
WITH active AS (
    SELECT te.person_id, i.agency, setting_label(i.modset) AS setting
    FROM intervention i
    JOIN treatment_episode te USING (agency, client_id, episode_id)
    CROSS JOIN build_period bp
    WHERE i.modst <= bp.period_end
      AND (i.modend IS NULL OR i.modend >= bp.period_start)
      AND te.refld <= bp.period_end
      AND (te.disd IS NULL OR te.disd >= bp.period_start)
),
by_setting AS (
    SELECT person_id, setting, list_sort(list_distinct(list(agency))) AS agencies
    FROM active GROUP BY person_id, setting
    UNION ALL
    SELECT person_id, NULL, list_sort(list_distinct(list(agency)))
    FROM active GROUP BY person_id
)
SELECT 'interventions', pp.population, pp.la, pp.region, b.agencies, pp.substance_group,
       CASE WHEN b.setting IS NULL THEN 'Total' END, NULL, NULL, NULL, NULL, NULL, NULL, NULL, b.setting
FROM by_setting b
JOIN person_period pp ON pp.period = (SELECT period FROM build_period) AND pp.person_id = b.person_id;

-- Cells: every unit counted at its LA and at each agency in its list (provider
-- level, which need not add up to the LA), then once under the '' (total) row
-- and once under each dimension it has a category for (a NULL category means
-- the measure has no such breakdown).
CREATE OR REPLACE TEMP TABLE area_cell AS
WITH placed AS (
    SELECT 'la' AS geography_level, la AS area_code, region, * EXCLUDE (la, region, agencies)
    FROM measure_fact
    UNION ALL
    SELECT 'provider', unnest(agencies), NULL, * EXCLUDE (la, region, agencies)
    FROM measure_fact
),
combination AS (
    -- units with identical coordinates, counted once (makes the next step cheap)
    SELECT *, count(*) AS units FROM placed GROUP BY ALL
),
by_dimension AS (
    SELECT geography_level, area_code, region, measure, population, substance_group, units,
           unnest([{'dimension': '',                'category': total},
                   {'dimension': 'sex',             'category': sex},
                   {'dimension': 'age_band',        'category': age_band},
                   {'dimension': 'ethnic_group',    'category': ethnic_group},
                   {'dimension': 'referral_source', 'category': referral_source},
                   {'dimension': 'exit_reason',     'category': exit_reason},
                   {'dimension': 'waiting_band',    'category': waiting_band},
                   {'dimension': 'phof_group',      'category': phof_group},
                   {'dimension': 'setting',         'category': setting}]) AS cell
    FROM combination
)
SELECT geography_level, area_code, region, measure, population, substance_group,
       cell.dimension AS dimension, cell.category AS category, sum(units) AS n
FROM by_dimension
WHERE cell.category IS NOT NULL
GROUP BY ALL;

INSERT INTO cube
WITH geography_cells AS (
    SELECT geography_level, area_code, measure, population, substance_group, dimension, category, n
    FROM area_cell
    UNION ALL
    -- LA -> region -> England; people with no English LA (LA_UNKNOWN) count in England only
    SELECT 'region', region, measure, population, substance_group, dimension, category, sum(n)
    FROM area_cell WHERE geography_level = 'la' AND region IS NOT NULL
    GROUP BY ALL
    UNION ALL
    SELECT 'england', 'E92000001', measure, population, substance_group, dimension, category, sum(n)
    FROM area_cell WHERE geography_level = 'la'
    GROUP BY ALL
),
substance_rollup(leaf, substance_category) AS (
    VALUES ('opiate and crack', 'opiate and crack'), ('opiate and crack', 'opiate'), ('opiate and crack', 'Total'),
           ('opiate not crack', 'opiate not crack'), ('opiate not crack', 'opiate'), ('opiate not crack', 'Total'),
           ('non-opiate only', 'non-opiate only'), ('non-opiate only', 'Total'),
           ('non-opiate and alcohol', 'non-opiate and alcohol'), ('non-opiate and alcohol', 'Total'),
           ('alcohol only', 'alcohol only'), ('alcohol only', 'Total')
)
SELECT (SELECT period FROM build_period), c.population, c.measure, c.geography_level, c.area_code,
       r.substance_category, c.dimension, c.category, CAST(sum(c.n) AS BIGINT)
FROM geography_cells c
JOIN substance_rollup r ON r.leaf = c.substance_group
GROUP BY ALL;
