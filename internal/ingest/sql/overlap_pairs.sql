-- overlap_pairs: every pair of rows whose interiors meet, with the overlap's ellipsoidal area.
-- Parallel workers run the relates (a county has three or four neighbour pairs per parcel).
-- A zone import allows overlaps within a group (zones of the same kind and site are merged).
CREATE UNLOGGED TABLE ingest_overlap AS
SELECT a.row AS arow, a.key AS akey, b.row AS brow, b.key AS bkey, ST_Area(ST_Intersection(a.g, b.g)::geography) AS m2
FROM ingest_src a JOIN ingest_src b ON a.g && b.g AND a.row < b.row{{if .SameGroup}}
	AND NOT ({{.SameGroup}}){{end}}
WHERE ST_Relate(a.g, b.g, 'T********')
