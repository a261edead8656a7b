-- overlap_any: whether a row the edge cover did not match overlaps any other row at all (interiors
-- meet: 'T********'). Rows it matched share every boundary with their neighbours, vertex for
-- vertex, and cannot overlap one another; no overlap here spares relating every pair.
SELECT EXISTS (
	SELECT 1 FROM ingest_src u JOIN ingest_src b ON u.g && b.g AND u.row <> b.row
	WHERE NOT u.matched AND (b.matched OR u.row < b.row) AND ST_Relate(u.g, b.g, 'T********'))
