-- Counts for one release table, from the cube built by `ndtms-stats build`.
-- Parameters: period, population, dimension ('' for none), then the list of
-- measures and geography levels are spliced in by the toolkit as quoted
-- literals ({measures}, {levels}), and {substance} is TRUE when the table has
-- the substance_group dimension (else only substance_group = 'Total' rows).
-- Cells absent from the cube are zero.
SELECT measure, geography_level, area_code, substance_group, category, value
FROM cube
WHERE period = ?
  AND population = ?
  AND (dimension = ? OR dimension = '')
  AND measure IN ({measures})
  AND geography_level IN ({levels})
  AND ({substance} OR substance_group = 'Total')
ORDER BY measure, geography_level, area_code, substance_group, category;
