{{define "src_geometry"}}
-- The geometry steps of ingest_src, after the kind's attrs CTE (which keeps the staged _geom, hex
-- EWKB in the file's own CRS).
--
-- parsed: the geometry parsed and reprojected to EPSG:4490 once per row (a function in FROM is
-- evaluated once, where an expression would be copied into every use), and its validity
-- likewise. The fast parse is a cast and ST_Transform: one geometry that cannot be read or
-- reprojected fails the statement, which then runs again with the safe parse (safe_parse.sql),
-- NULL and the reason for that row alone.
, parsed AS (
	SELECT a.*, g0,
		{{if .Safe}}CASE WHEN g0 IS NULL AND a._geom IS NOT NULL THEN pg_temp.ingest_geom_error(a._geom) END{{else}}NULL::text{{end}} AS geom_error,
		valid
	FROM attrs a
	CROSS JOIN LATERAL {{if .Safe}}pg_temp.ingest_geom(a._geom){{else}}ST_Transform(a._geom::geometry, 4490){{end}} AS g0
	CROSS JOIN LATERAL ST_IsValid(g0) AS valid
),
-- classified: state is missing, unreadable, empty, type (not a polygon), range (outside China
-- after reprojection: a wrong CRS), invalid or ok.
classified AS (
	SELECT p.*,
		CASE WHEN g0 IS NULL AND geom_error IS NOT NULL THEN 'unreadable'
		     WHEN g0 IS NULL THEN 'missing'
		     WHEN ST_IsEmpty(g0) THEN 'empty'
		     WHEN ST_GeometryType(g0) NOT IN ('ST_Polygon', 'ST_MultiPolygon') THEN 'type'
		     WHEN ST_XMin(g0) < 73 OR ST_XMax(g0) > 136 OR ST_YMin(g0) < 3 OR ST_YMax(g0) > 54 THEN 'range'
		     WHEN valid THEN 'ok'
		     ELSE 'invalid' END AS state
	FROM parsed p
)
-- g is the MultiPolygon of the ok rows (repaired rows get theirs in check_geometry); g0 stays
-- for the others, for their report lines.
SELECT {{join .Cols ", "}}, geom_error, state,
	CASE WHEN state <> 'ok' THEN g0 END AS g0,
	CASE WHEN state = 'ok' THEN ST_Multi(g0) END::geometry(MultiPolygon, 4490) AS g
FROM classified
{{- end}}
