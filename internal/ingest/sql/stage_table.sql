-- stage_table: the rows as GDAL read them: _row (the 1-based position of the feature in the
-- file), the file's fields under their own names (numbers stay numbers, so that extra attributes
-- keep their JSON type; the rest is text) and _geom, hex EWKB in the file's own CRS (parsed later,
-- src_geometry.sql, so that one unreadable geometry becomes a report line, not a failed COPY).
CREATE UNLOGGED TABLE ingest_stage (_row integer NOT NULL{{range .}}, {{ident .Name}} {{.Type}}{{end}})
