-- repair: each invalid geometry repaired with ST_MakeValid (its polygons only), with the planar
-- areas (EPSG:4548) before (a0) and after (a1, NULL when the repair is no valid polygon).
-- OFFSET 0 keeps the repair from being computed once per use of fixed.
CREATE UNLOGGED TABLE ingest_repair AS
SELECT x.row, x.key, x.reason, x.fixed, ST_Area(ST_Transform(x.g0, 4548)) AS a0,
	CASE WHEN x.fixed IS NOT NULL AND NOT ST_IsEmpty(x.fixed) AND ST_IsValid(x.fixed) THEN ST_Area(ST_Transform(x.fixed, 4548)) END AS a1
FROM (SELECT row, key, g0, ST_IsValidReason(g0) AS reason,
	ST_Multi(ST_CollectionExtract(ST_MakeValid(g0), 3))::geometry(MultiPolygon, 4490) AS fixed
	FROM ingest_src WHERE state = 'invalid' OFFSET 0) x
