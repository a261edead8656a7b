-- overlap_copy_in: the overlap check's end of overlap_copy_out.
COPY ingest_src ({{range $i, $c := .Cols}}{{if $i}}, {{end}}{{ident $c}}{{end}}) FROM STDIN (FORMAT binary)
