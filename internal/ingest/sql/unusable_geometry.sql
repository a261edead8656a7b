-- unusable_geometry: an error for every row without a usable polygon (src_geometry's states).
INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'error', 'geometry', CASE state
	WHEN 'missing' THEN 'no geometry'
	WHEN 'unreadable' THEN 'the geometry cannot be read: ' || geom_error
	WHEN 'empty' THEN 'empty geometry'
	WHEN 'range' THEN format('the coordinates lie outside China after reprojection (longitude %s to %s, latitude %s to %s): is the CRS right? A file without one is read as degrees; give --srid',
		round(ST_XMin(g0)::numeric, 3), round(ST_XMax(g0)::numeric, 3), round(ST_YMin(g0)::numeric, 3), round(ST_YMax(g0)::numeric, 3))
	ELSE format('the geometry is a %s, not a polygon', replace(ST_GeometryType(g0), 'ST_', '')) END
FROM ingest_src
WHERE state IN ('missing', 'unreadable', 'empty', 'type', 'range')
