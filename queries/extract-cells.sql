-- Cells of a research extract, from the cube built by `ndtms-stats build`.
-- Parameters: period, population, measure, dimension ('' for none). The
-- geography levels are spliced in as quoted literals ({levels}). Rows with
-- dimension '' are the totals over the dimension. Absent cells are zero.
SELECT area_code, substance_group, category, value
FROM cube
WHERE period = ?
  AND population = ?
  AND measure = ?
  AND (dimension = '' OR dimension = ?)
  AND geography_level IN ({levels})
ORDER BY area_code, substance_group, category;
