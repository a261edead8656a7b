-- wetland_others: patches of other inventories (another protected area's, or none) that the
-- file's patches overlap ($1 the area being replaced, NULL for none), named for the report.
SELECT s.row, s.key, w.id, w.code
FROM ingest_src s JOIN wetland_patch w ON w.geom && s.g AND ST_Relate(w.geom, s.g, '2********')
WHERE s.g IS NOT NULL AND w.area_id IS DISTINCT FROM $1::bigint
ORDER BY s.row LIMIT 50
