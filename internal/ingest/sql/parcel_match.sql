-- parcel_match: every row against the current version of its parcel: new (no current version),
-- changed (a field the file has, the code scheme, extra, or the geometry differs) or unchanged.
-- A field the file lacks says nothing and is not compared. The geometry tests run cheapest
-- first: vertex counts; the same vertices on the grid $3 (unchanged without a Hausdorff
-- distance); else changed beyond $2 degrees. $1 is the current code scheme.
CREATE UNLOGGED TABLE ingest_match AS
SELECT f.row, c.id AS cur_id,
	CASE WHEN c.id IS NULL THEN 'new'
	     WHEN ({{join .File ", "}}, $1::text) IS DISTINCT FROM ({{join .Current ", "}}, c.code_scheme) THEN 'changed'
	     WHEN c.extra || f.extra <> c.extra THEN 'changed'
	     WHEN ST_NPoints(f.g) <> ST_NPoints(c.geom) THEN 'changed'
	     WHEN ST_OrderingEquals(ST_SnapToGrid(ST_Normalize(f.g), $3), ST_SnapToGrid(ST_Normalize(c.geom), $3)) THEN 'unchanged'
	     WHEN ST_HausdorffDistance(f.g, c.geom) > $2 THEN 'changed'
	     ELSE 'unchanged' END AS status
FROM ingest_src f LEFT JOIN parcel c ON c.code = f.code AND c.valid_to IS NULL
