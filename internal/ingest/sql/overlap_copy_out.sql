-- overlap_copy_out: the usable rows, streamed in binary to the overlap check's connection (and the
-- edge cover), rings oriented interior-left as the edge cover reads them (the same polygons).
COPY (SELECT {{range $i, $c := .Cols}}{{if $i}}, {{end}}{{if eq $c "g"}}ST_ForcePolygonCCW(g) AS g{{else}}{{ident $c}}{{end}}{{end}}
	FROM ingest_src WHERE g IS NOT NULL) TO STDOUT (FORMAT binary)
