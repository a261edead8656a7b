-- overlap_table: the overlap check's copy of ingest_src, in its own schema on its own connection.
-- matched: the edge cover matched the row edge for edge (set false for the rows it did not;
-- all false when the cover is not used).
CREATE UNLOGGED TABLE ingest_src ({{range .Cols}}{{ident .Name}} {{.Type}}, {{end}}matched boolean NOT NULL DEFAULT {{.Matched}})
