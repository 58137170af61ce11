-- Monthly counts for a release trend table (12 calendar months ending with
-- the period), from cube_month. Parameters: period, population; {measures}
-- and {levels} are spliced in as quoted literals. Absent months are zero.
SELECT measure, geography_level, area_code, strftime(month, '%Y-%m') AS month, value
FROM cube_month
WHERE period = ?
  AND population = ?
  AND measure IN ({measures})
  AND geography_level IN ({levels})
ORDER BY measure, geography_level, area_code, month;
