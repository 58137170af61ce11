-- person_period for the period in build_period: one row per person with a
-- treatment episode in contact during the period (any part of the episode,
-- referral to discharge, falls in the period). Needs journeys.sql, labels.sql.

DELETE FROM person_period WHERE period = (SELECT period FROM build_period);

INSERT INTO person_period
WITH contact AS (
    SELECT te.*,
           -- "in treatment": an episode in contact with an intervention started by the period end
           te.first_modst <= bp.period_end AS in_treatment_episode
    FROM treatment_episode te, build_period bp
    WHERE te.refld <= bp.period_end
      AND (te.disd IS NULL OR te.disd >= bp.period_start)
),
per_person AS (
    -- the person's latest treatment episode in the period (last in the journey
    -- order; an episode whose first intervention is after the period end does
    -- not count) places them in one LA and names their latest journey
    SELECT person_id,
           any_value(person_key)                    AS person_key,
           coalesce(arg_max(coalesce(la, ''), episode_seq) FILTER (WHERE in_treatment_episode),
                    arg_max(coalesce(la, ''), episode_seq)) AS latest_la,   -- '' (no LA) -> LA unknown
           coalesce(max(journey_no) FILTER (WHERE in_treatment_episode),
                    max(journey_no))                AS journey_no,  -- journey of the latest episode
           bool_or(in_treatment_episode)            AS in_treatment,
           list_sort(list_distinct(list(agency) FILTER (WHERE in_treatment_episode))) AS agencies
    FROM contact
    GROUP BY person_id
)
SELECT bp.period,
       p.person_key,
       p.person_id,
       p.in_treatment,
       coalesce(g.reporting_la, 'LA_UNKNOWN')    AS la,
       g.region_code                             AS region,
       p.journey_no,
       j.population,
       j.substance_group,
       phof_group_label(j.substance_group)       AS phof_group,
       sex_label(j.sex_code)                     AS sex,
       age_band_label(j.age_at_start)            AS age_band,
       ethnic_group_label(j.ethnic_code)         AS ethnic_group,
       referral_source_label(j.referral_code)    AS referral_source,
       coalesce(p.agencies, CAST([] AS VARCHAR[])) AS agencies
FROM per_person p
JOIN journey j ON j.person_id = p.person_id AND j.journey_no = p.journey_no
LEFT JOIN geography_la g ON g.la_code = p.latest_la
CROSS JOIN build_period bp;
