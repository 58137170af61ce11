-- Linkage quality, from everything the warehouse holds (rebuilt by every build).
-- One row per (agency, metric); agency '' is the whole warehouse.
-- Internal quality report: counts are unsuppressed and never published as is.
--
-- Metrics:
--   episodes, episodes_linked, episodes_placeholder, episodes_incomplete
--   clients_consent_withdrawn   clients with CONSENT = N in the agency's latest submission
--                               withdrawing any (nothing else of them is kept)
--   people                      distinct person keys (linked episodes)
--   people_at_several_agencies  people linked across two or more agencies
--   cross_agency_links          pairs of agencies sharing a person, summed over people
--   shared_attributors          attributors (person keys) carried by more than one
--                               CLIENTID at one agency
--   likely_twins                shared attributors whose CLIENTIDs have episodes open
--                               at the same time at that agency (two people at once,
--                               so probably twins rather than a re-registered client)

CREATE OR REPLACE TABLE linkage_quality AS
WITH episode_counts AS (
    SELECT agency,
           count(*)                                              AS episodes,
           count(*) FILTER (WHERE link_status = 'linked')        AS episodes_linked,
           count(*) FILTER (WHERE link_status = 'placeholder')   AS episodes_placeholder,
           count(*) FILTER (WHERE link_status = 'incomplete')    AS episodes_incomplete,
           count(DISTINCT person_key)                            AS people
    FROM episode GROUP BY GROUPING SETS ((agency), ())
),
withdrawn AS (
    -- consent withdrawal removes the clients' ids too: their number is kept per
    -- submission (consent_withdrawal); an agency's count is its latest
    SELECT agency, sum(clients) AS clients_consent_withdrawn
    FROM (SELECT agency, arg_max(clients, recorded_at) AS clients FROM consent_withdrawal GROUP BY agency)
    GROUP BY GROUPING SETS ((agency), ())
),
person_agencies AS (
    SELECT person_key, count(DISTINCT agency) AS n_agencies, list_distinct(list(agency)) AS agencies
    FROM episode WHERE person_key IS NOT NULL GROUP BY person_key
),
cross_agency AS (
    SELECT agency,
           count(*)                                  AS people_at_several_agencies,
           sum(n_agencies - 1)                       AS cross_agency_links
    FROM (SELECT unnest(agencies) AS agency, n_agencies FROM person_agencies WHERE n_agencies > 1)
    GROUP BY agency
    UNION ALL
    SELECT NULL, count(*), sum(n_agencies * (n_agencies - 1) / 2)
    FROM person_agencies WHERE n_agencies > 1
),
shared AS (
    SELECT agency, person_key
    FROM episode WHERE person_key IS NOT NULL
    GROUP BY agency, person_key HAVING count(DISTINCT client_id) > 1
),
overlapping AS (
    -- two different CLIENTIDs with the same attributor, episodes open at once
    SELECT DISTINCT a.agency, a.person_key
    FROM episode a
    JOIN episode b ON a.agency = b.agency AND a.person_key = b.person_key AND a.client_id < b.client_id
    JOIN shared s ON s.agency = a.agency AND s.person_key = a.person_key
    WHERE a.refld <= coalesce(b.disd, DATE '9999-12-31') AND b.refld <= coalesce(a.disd, DATE '9999-12-31')
),
shared_counts AS (
    SELECT s.agency, count(*) AS shared_attributors, count(o.person_key) AS likely_twins
    FROM shared s LEFT JOIN overlapping o USING (agency, person_key)
    GROUP BY GROUPING SETS ((s.agency), ())
),
wide AS (
    SELECT coalesce(e.agency, '') AS agency,
           e.episodes, e.episodes_linked, e.episodes_placeholder, e.episodes_incomplete,
           coalesce(w.clients_consent_withdrawn, 0) AS clients_consent_withdrawn,
           e.people,
           coalesce(c.people_at_several_agencies, 0) AS people_at_several_agencies,
           coalesce(c.cross_agency_links, 0)         AS cross_agency_links,
           coalesce(s.shared_attributors, 0)         AS shared_attributors,
           coalesce(s.likely_twins, 0)               AS likely_twins
    FROM episode_counts e
    LEFT JOIN withdrawn w     ON w.agency IS NOT DISTINCT FROM e.agency
    LEFT JOIN cross_agency c  ON c.agency IS NOT DISTINCT FROM e.agency
    LEFT JOIN shared_counts s ON s.agency IS NOT DISTINCT FROM e.agency
)
SELECT agency, metric, CAST(value AS BIGINT) AS value
FROM (UNPIVOT wide ON episodes, episodes_linked, episodes_placeholder, episodes_incomplete,
                      clients_consent_withdrawn, people, people_at_several_agencies,
                      cross_agency_links, shared_attributors, likely_twins
      INTO NAME metric VALUE value)
ORDER BY agency, metric;
