-- Year-to-date counts for the commissioner packs, from the cube built by
-- `ndtms-stats build`. Parameter: the period (`2025-03`). {measures} is
-- spliced in as quoted literals. Only the substance-group breakdown is read
-- (dimension ''), for England, regions and local authorities. Absent cells
-- are zero.
SELECT measure, area_code, substance_group, value
FROM cube
WHERE period = ?
  AND population = 'adult'
  AND dimension = ''
  AND measure IN ({measures})
  AND geography_level IN ('england', 'region', 'la')
ORDER BY measure, area_code, substance_group;
