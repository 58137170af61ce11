-- Plain-word category labels used in the cube (temporary macros, per connection).
-- Edit the words here; products show them as they are. See queries/README.md.

CREATE OR REPLACE TEMP MACRO sex_label(code) AS
    CASE code WHEN '1' THEN 'male' WHEN '2' THEN 'female' ELSE 'not known' END;

-- Age band at journey start: adult bands from 18, young people's bands under 18.
CREATE OR REPLACE TEMP MACRO age_band_label(age) AS
    CASE WHEN age IS NULL THEN 'not known'
         WHEN age < 14 THEN 'under 14'
         WHEN age < 16 THEN '14-15'
         WHEN age < 18 THEN '16-17'
         WHEN age < 25 THEN '18-24'
         WHEN age < 30 THEN '25-29'
         WHEN age < 35 THEN '30-34'
         WHEN age < 40 THEN '35-39'
         WHEN age < 45 THEN '40-44'
         WHEN age < 50 THEN '45-49'
         WHEN age < 55 THEN '50-54'
         WHEN age < 60 THEN '55-59'
         WHEN age < 65 THEN '60-64'
         ELSE '65+' END;

-- ONS 2001 ethnic categories grouped as NDTMS publishes them (R Chinese under Other).
CREATE OR REPLACE TEMP MACRO ethnic_group_label(code) AS
    CASE WHEN code IN ('A', 'B', 'C')      THEN 'White'
         WHEN code IN ('D', 'E', 'F', 'G') THEN 'Mixed'
         WHEN code IN ('H', 'J', 'K', 'L') THEN 'Asian'
         WHEN code IN ('M', 'N', 'P')      THEN 'Black'
         WHEN code IN ('R', 'S')           THEN 'Other'
         ELSE 'Not stated' END;

CREATE OR REPLACE TEMP MACRO referral_source_label(code) AS
    CASE code WHEN '1' THEN 'self'
              WHEN '2' THEN 'family or friends'
              WHEN '3' THEN 'GP'
              WHEN '4' THEN 'other health or social care'
              WHEN '5' THEN 'criminal justice'
              WHEN '6' THEN 'substance misuse service'
              WHEN '7' THEN 'other'
              ELSE 'not known' END;

-- Discharge reasons 80-82 are all successful completions.
CREATE OR REPLACE TEMP MACRO exit_reason_label(code) AS
    CASE WHEN code IN ('80', '81', '82') THEN 'successful completion'
         WHEN code = '83' THEN 'dropped out or left'
         WHEN code = '84' THEN 'withdrawn by provider'
         WHEN code = '85' THEN 'retained in custody'
         WHEN code = '86' THEN 'declined by client'
         WHEN code = '87' THEN 'died'
         WHEN code = '88' THEN 'transferred not in custody'
         WHEN code = '89' THEN 'transferred in custody'
         ELSE 'not known' END;

CREATE OR REPLACE TEMP MACRO setting_label(code) AS
    CASE code WHEN '1' THEN 'community'
              WHEN '2' THEN 'inpatient unit'
              WHEN '3' THEN 'primary care'
              WHEN '4' THEN 'recovery house'
              WHEN '5' THEN 'residential'
              WHEN '6' THEN 'prison or secure'
              ELSE 'not known' END;

-- Referral to first intervention start: under 3 weeks = 0-20 days,
-- 3-6 weeks = 21-42 days, over 6 weeks = 43 days or more.
CREATE OR REPLACE TEMP MACRO waiting_band_label(days) AS
    CASE WHEN days IS NULL THEN 'not known'
         WHEN days < 21 THEN 'under 3 weeks'
         WHEN days <= 42 THEN '3-6 weeks'
         ELSE 'over 6 weeks' END;

-- PHOF C19 groups: opiate; non-opiate (non-opiate only + non-opiate and alcohol); alcohol (alcohol only).
CREATE OR REPLACE TEMP MACRO phof_group_label(substance_group) AS
    CASE WHEN substance_group LIKE 'opiate%' THEN 'opiate'
         WHEN substance_group LIKE 'non-opiate%' THEN 'non-opiate'
         ELSE 'alcohol' END;
