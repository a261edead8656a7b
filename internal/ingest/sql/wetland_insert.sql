-- wetland_insert: the file's patches ($1 the protected area or NULL, $2 the file's name).
INSERT INTO wetland_patch (code, type_code, importance, name, area_id, source, geom)
SELECT code, type_code, importance, name, $1::bigint, $2, g FROM ingest_src WHERE g IS NOT NULL ORDER BY row
