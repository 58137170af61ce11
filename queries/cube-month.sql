-- The 12-month trend for the monthly packs: people in treatment and new
-- presentations in each calendar month of the 12 months ending with the
-- period's last month, by provider, LA, region and England, for adults and
-- young people. Same rules as the period measures, applied to each month:
-- a person is placed in the LA of their latest episode in contact that month
-- and takes the population of that episode's journey. At provider level a
-- person counts at each agency, with the population of that agency's episode.

DELETE FROM cube_month WHERE period = (SELECT period FROM build_period);

INSERT INTO cube_month
WITH bounds AS (
    SELECT CAST(date_trunc('month', period_end) - INTERVAL 11 MONTH AS DATE) AS first_month,
           CAST(date_trunc('month', period_end) AS DATE)                     AS last_month,
           period_end
    FROM build_period
),
episode_place AS (
    -- each treatment episode with its reporting LA, region and its journey's population
    SELECT te.person_id, te.agency, te.episode_seq, te.first_modst, te.refld, te.disd,
           j.population,
           coalesce(g.reporting_la, 'LA_UNKNOWN') AS la,
           coalesce(g.region_code, '')            AS region   -- '' for LA_UNKNOWN (no region)
    FROM treatment_episode te
    JOIN journey j USING (person_id, journey_no)
    LEFT JOIN geography_la g ON g.la_code = te.la
),
contact AS (
    -- one row per treatment episode per month of the 12 that it is in contact in
    SELECT e.* EXCLUDE (month_ts), CAST(e.month_ts AS DATE) AS month_start,
           e.first_modst <= last_day(CAST(e.month_ts AS DATE)) AS in_treatment_episode
    FROM (SELECT ep.person_id, ep.agency, ep.episode_seq, ep.first_modst, ep.population, ep.la, ep.region,
                 unnest(generate_series(
                     CAST(greatest(CAST(date_trunc('month', ep.refld) AS DATE), b.first_month) AS TIMESTAMP),
                     CAST(least(CAST(date_trunc('month', coalesce(ep.disd, b.period_end)) AS DATE), b.last_month) AS TIMESTAMP),
                     INTERVAL 1 MONTH)) AS month_ts
          FROM episode_place ep, bounds b
          WHERE ep.refld <= b.period_end
            AND (ep.disd IS NULL OR ep.disd >= b.first_month)) e
),
placed AS (
    -- the latest treatment episode in contact in the month places the person
    -- and gives their population (that of the episode's journey, the latest
    -- journey); an episode not yet started in treatment places nobody
    SELECT month_start, person_id,
           bool_or(in_treatment_episode)                                      AS in_treatment,
           coalesce(arg_max({'la': la, 'region': region, 'population': population}, episode_seq) FILTER (WHERE in_treatment_episode),
                    arg_max({'la': la, 'region': region, 'population': population}, episode_seq)) AS place
    FROM contact
    GROUP BY month_start, person_id
),
new_journey AS (
    SELECT p.month_start, p.place.population AS population, p.place.la AS la,
           nullif(p.place.region, '') AS region, j.start_agency
    FROM journey j
    JOIN placed p ON p.person_id = j.person_id
                 AND p.month_start = CAST(date_trunc('month', j.journey_start) AS DATE)
),
unit AS (
    -- people in treatment in the month
    SELECT month_start, 'in_treatment' AS measure, place.population AS population, place.la AS la,
           nullif(place.region, '') AS region
    FROM placed WHERE in_treatment
    UNION ALL
    -- journeys starting in the month
    SELECT month_start, 'new_presentations', population, la, region FROM new_journey
),
provider_cells AS (
    -- people at each agency where they had an in-treatment episode in contact
    -- that month (population of that episode's journey: provider cells need not add up)
    SELECT month_start, population, 'in_treatment' AS measure, agency, count(DISTINCT person_id) AS n
    FROM contact WHERE in_treatment_episode
    GROUP BY ALL
    UNION ALL
    SELECT month_start, population, 'new_presentations', start_agency, count(*)
    FROM new_journey
    GROUP BY ALL
),
la_cells AS (
    SELECT month_start, measure, population, la, region, count(*) AS n FROM unit GROUP BY ALL
)
SELECT (SELECT period FROM build_period), month_start, population, measure, geography_level, area_code, CAST(n AS BIGINT)
FROM (
    SELECT month_start, population, measure, 'la' AS geography_level, la AS area_code, n FROM la_cells
    UNION ALL
    SELECT month_start, population, measure, 'region', region, sum(n) FROM la_cells WHERE region IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT month_start, population, measure, 'england', 'E92000001', sum(n) FROM la_cells GROUP BY ALL
    UNION ALL
    SELECT month_start, population, measure, 'provider', agency, n FROM provider_cells
);
