-- The breakdowns the cube holds for one measure, and their categories: what a
-- research extract of that measure can be broken down or filtered by.
-- Parameters: period, population, measure.
SELECT DISTINCT dimension, category
FROM cube
WHERE period = ?
  AND population = ?
  AND measure = ?
  AND dimension <> ''
ORDER BY dimension, category;
