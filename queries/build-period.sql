-- The period being built, as a one-row temporary table that every other
-- statistics query reads. Parameters, bound positionally by the toolkit:
--   ?1 period label ('2024-25' or '2025-03'), ?2 first day, ?3 last day.
-- To run the queries by hand in the duckdb CLI, replace the three `?` with
-- literals, e.g. '2024-25', DATE '2024-04-01', DATE '2025-03-31'.
CREATE OR REPLACE TEMP TABLE build_period AS
SELECT CAST(? AS VARCHAR) AS period,
       CAST(? AS DATE)    AS period_start,
       CAST(? AS DATE)    AS period_end;
